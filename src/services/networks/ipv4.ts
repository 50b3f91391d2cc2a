/**
 * IPv4 address arithmetic on plain numbers (unsigned 32-bit): parsing, CIDR prefixes,
 * containment and overlap. Parse failures throw RangeError (invalid-argument upstream).
 */

/** An IPv4 prefix: the network address (host bits zero) and its length. */
export interface Prefix {
  addr: number;
  len: number;
}

const OCTET_RE = /^(0|[1-9][0-9]{0,2})$/;

/** Parse a dotted-quad IPv4 address. */
export function parseIp(text: string): number {
  const parts = text.split(".");
  if (parts.length !== 4) throw new RangeError(`invalid IPv4 address "${text}"`);
  let n = 0;
  for (const p of parts) {
    if (!OCTET_RE.test(p)) throw new RangeError(`invalid IPv4 address "${text}"`);
    const v = Number(p);
    if (v > 255) throw new RangeError(`invalid IPv4 address "${text}"`);
    n = n * 256 + v;
  }
  return n;
}

/** True when `text` is a dotted-quad IPv4 address. */
export function isIp(text: string): boolean {
  try {
    parseIp(text);
    return true;
  } catch {
    return false;
  }
}

/** Format a 32-bit number as a dotted quad. */
export function formatIp(n: number): string {
  return `${(n >>> 24) & 255}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}

/** The netmask of a prefix length as a number. */
export function maskOf(len: number): number {
  return len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0;
}

/** The number of addresses in a prefix of length `len`. */
export function sizeOf(len: number): number {
  return 2 ** (32 - len);
}

/**
 * Parse "a.b.c.d/len". With `strict`, host bits must be zero (Docker refuses
 * "172.20.0.1/16" as a subnet); otherwise they are cleared.
 */
export function parseCidr(text: string, strict = false): Prefix {
  const slash = text.indexOf("/");
  if (slash < 0) throw new RangeError(`invalid CIDR address: ${text}`);
  const lenText = text.slice(slash + 1);
  if (!/^[0-9]{1,2}$/.test(lenText)) throw new RangeError(`invalid CIDR address: ${text}`);
  const len = Number(lenText);
  if (len > 32) throw new RangeError(`invalid CIDR address: ${text}`);
  let ip: number;
  try {
    ip = parseIp(text.slice(0, slash));
  } catch {
    throw new RangeError(`invalid CIDR address: ${text}`);
  }
  const addr = (ip & maskOf(len)) >>> 0;
  if (strict && addr !== ip) throw new RangeError(`invalid subnet ${text}: it should be ${formatCidr({ addr, len })}`);
  return { addr, len };
}

/** Format a prefix as "a.b.c.d/len". */
export function formatCidr(p: Prefix): string {
  return `${formatIp(p.addr)}/${p.len}`;
}

/** The last address of a prefix (the broadcast address for len < 31). */
export function lastOf(p: Prefix): number {
  return p.addr + sizeOf(p.len) - 1;
}

/** True when `ip` lies inside prefix `p`. */
export function contains(p: Prefix, ip: number): boolean {
  return ip >= p.addr && ip <= lastOf(p);
}

/** True when the prefixes share at least one address. */
export function overlaps(a: Prefix, b: Prefix): boolean {
  return a.addr <= lastOf(b) && b.addr <= lastOf(a);
}

/** True when `inner` lies entirely inside `outer`. */
export function within(outer: Prefix, inner: Prefix): boolean {
  return inner.len >= outer.len && contains(outer, inner.addr);
}

/** Split `p` into consecutive prefixes of length `len` (len >= p.len). */
export function* splitPrefix(p: Prefix, len: number): Generator<Prefix> {
  if (len < p.len) throw new RangeError(`split ${formatCidr(p)}: size /${len} is larger than the pool`);
  const step = sizeOf(len);
  for (let a = p.addr; a <= lastOf(p); a += step) yield { addr: a, len };
}
