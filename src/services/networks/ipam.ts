/**
 * Berth's default IPAM: subnets from an ordered list of pools (Docker's defaults), never
 * overlapping the host's routes and addresses or another berth network; addresses handed
 * out lowest-free (as Docker's default IPAM does) from the IP range or the subnet.
 * Pure functions: the service persists the results in the network records.
 */
import { conflict, failedPrecondition, invalidArgument } from "../../shared/errors.js";
import { contains, formatCidr, formatIp, lastOf, overlaps, parseCidr, parseIp, splitPrefix, type Prefix } from "./ipv4.js";

/** A default address pool: `base` is split into subnets of prefix length `size`. */
export interface AddressPool {
  base: string;
  size: number;
}

/** Docker's default pools: 172.17-31.0.0/16, then 192.168.0.0/16 in /20s. */
export const DEFAULT_ADDRESS_POOLS: readonly AddressPool[] = [
  ...Array.from({ length: 15 }, (_, i) => ({ base: `172.${17 + i}.0.0/16`, size: 16 })),
  { base: "192.168.0.0/16", size: 20 },
];

/** Docker's text for a user subnet that overlaps another network or a host route. */
export const POOL_OVERLAP = "Pool overlaps with other one on this address space";

/** The first subnet of the pools that overlaps none of `taken`. */
export function chooseSubnet(pools: readonly AddressPool[], taken: readonly Prefix[]): Prefix {
  for (const pool of pools) {
    const base = parseCidr(pool.base);
    for (const candidate of splitPrefix(base, pool.size)) {
      if (!taken.some((t) => overlaps(t, candidate))) return candidate;
    }
  }
  throw failedPrecondition("could not find an available, non-overlapping IPv4 address pool among the defaults to assign to the network");
}

/** Refuse a user subnet that overlaps something taken (Docker's text, 409). */
export function checkUserSubnet(subnet: Prefix, taken: readonly Prefix[]): void {
  if (taken.some((t) => overlaps(t, subnet))) throw conflict(POOL_OVERLAP);
}

/** The addressable range of a subnet (without network and broadcast addresses for len < 31). */
function hostRange(p: Prefix): [number, number] {
  if (p.len >= 31) return [p.addr, lastOf(p)];
  return [p.addr + 1, lastOf(p) - 1];
}

/** The default gateway of a subnet: its first usable address. */
export function defaultGateway(subnet: Prefix): number {
  return hostRange(subnet)[0];
}

/** The pool an address is allocated from. */
export interface AllocationPool {
  subnet: string;
  gateway: string;
  ipRange?: string;
  userSubnet: boolean;
}

/**
 * Pick an address: `requested` when given (must be inside the subnet, or the range when
 * there is one, and free), otherwise the lowest free one of the range. `used` holds the
 * addresses already allocated (the gateway is always excluded).
 */
export function allocateAddress(pool: AllocationPool, used: ReadonlySet<string>, requested?: string): string {
  const subnet = parseCidr(pool.subnet);
  const range = pool.ipRange !== undefined ? parseCidr(pool.ipRange) : subnet;
  const gateway = pool.gateway;
  if (requested !== undefined && requested !== "") {
    if (!pool.userSubnet) {
      throw invalidArgument("user specified IP address is supported only when connecting to networks with user configured subnets");
    }
    let ip: number;
    try {
      ip = parseIp(requested);
    } catch {
      throw invalidArgument(`invalid endpoint settings: invalid IPv4 address: ${requested}`);
    }
    const [lo, hi] = hostRange(subnet);
    if (!contains(subnet, ip) || ip < lo || ip > hi) {
      throw invalidArgument(`invalid endpoint settings: no configured subnet or ip-range contain the IP address ${requested}`);
    }
    if (requested === gateway || used.has(requested)) throw conflict(`Address already in use: ${requested}`);
    return requested;
  }
  const [slo, shi] = hostRange(subnet);
  const lo = Math.max(range.addr, slo);
  const hi = Math.min(lastOf(range), shi);
  for (let ip = lo; ip <= hi; ip++) {
    const s = formatIp(ip);
    if (s !== gateway && !used.has(s)) return s;
  }
  throw failedPrecondition(`no available IPv4 addresses on this network's address pools: ${formatCidr(range)}`);
}

/** Docker's MAC derived from the IPv4 address: 02:42 followed by the four address bytes. */
export function macFromIp(ip: string): string {
  const n = parseIp(ip);
  const bytes = [0x02, 0x42, (n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255];
  return bytes.map((b) => b.toString(16).padStart(2, "0")).join(":");
}
