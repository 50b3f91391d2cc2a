/**
 * The small part of the DNS wire format (RFC 1035) the embedded server needs: read a
 * query's header and first question, write an answer with A records or an error code.
 * Anything else is forwarded as raw bytes, so no general codec (and no dependency) is needed.
 */

/** DNS record types used here. */
export const TYPE_A = 1;
export const TYPE_PTR = 12;
export const TYPE_AAAA = 28;
export const CLASS_IN = 1;

/** Response codes. */
export const RCODE_NOERROR = 0;
export const RCODE_FORMERR = 1;
export const RCODE_SERVFAIL = 2;
export const RCODE_NXDOMAIN = 3;
export const RCODE_REFUSED = 5;

/** A parsed query: its header fields and first question. */
export interface DnsQuery {
  id: number;
  flags: number;
  /** Lowercase, without the trailing dot. */
  name: string;
  qtype: number;
  qclass: number;
  /** Offset just past the first question (the question section is copied from here back). */
  questionEnd: number;
}

/** Parse a query; throws RangeError when the message is malformed or not a query. */
export function parseQuery(msg: Uint8Array): DnsQuery {
  if (msg.length < 12) throw new RangeError("parse dns message: shorter than a header");
  const view = Buffer.from(msg.buffer, msg.byteOffset, msg.byteLength);
  const id = view.readUInt16BE(0);
  const flags = view.readUInt16BE(2);
  if ((flags & 0x8000) !== 0) throw new RangeError("parse dns message: not a query");
  const qdcount = view.readUInt16BE(4);
  if (qdcount < 1) throw new RangeError("parse dns message: no question");
  const labels: string[] = [];
  let off = 12;
  let total = 0;
  for (;;) {
    if (off >= view.length) throw new RangeError("parse dns message: truncated name");
    const len = view[off] ?? 0;
    off += 1;
    if (len === 0) break;
    // Compression pointers cannot occur in the first question: nothing precedes it.
    if ((len & 0xc0) !== 0) throw new RangeError("parse dns message: bad label");
    if (off + len > view.length) throw new RangeError("parse dns message: truncated label");
    total += len + 1;
    if (total > 255) throw new RangeError("parse dns message: name too long");
    labels.push(view.toString("latin1", off, off + len));
    off += len;
  }
  if (off + 4 > view.length) throw new RangeError("parse dns message: truncated question");
  const qtype = view.readUInt16BE(off);
  const qclass = view.readUInt16BE(off + 2);
  return { id, flags, name: labels.join(".").toLowerCase(), qtype, qclass, questionEnd: off + 4 };
}

/** Encode a name as labels (no compression). */
export function encodeName(name: string): Buffer {
  const parts = name.replace(/\.$/, "").split(".").filter((p) => p !== "");
  const out: Buffer[] = [];
  for (const p of parts) {
    const b = Buffer.from(p, "latin1");
    if (b.length > 63) throw new RangeError(`encode dns name: label "${p}" is longer than 63 bytes`);
    out.push(Buffer.from([b.length]), b);
  }
  out.push(Buffer.from([0]));
  return Buffer.concat(out);
}

/** Build a query (used by tests and by anything that needs to ask a server). */
export function buildQuery(id: number, name: string, qtype = TYPE_A): Buffer {
  const header = Buffer.alloc(12);
  header.writeUInt16BE(id, 0);
  header.writeUInt16BE(0x0100, 2); // RD
  header.writeUInt16BE(1, 4);
  const tail = Buffer.alloc(4);
  tail.writeUInt16BE(qtype, 0);
  tail.writeUInt16BE(CLASS_IN, 2);
  return Buffer.concat([header, encodeName(name), tail]);
}

/** One answer record. */
export type DnsAnswer = { type: "A"; address: string; ttl: number } | { type: "PTR"; name: string; ttl: number };

/**
 * Build the response to `query` (whose raw bytes are `raw`): the question copied, then the
 * answers, each naming the question by a compression pointer to offset 12.
 */
export function buildResponse(raw: Uint8Array, query: DnsQuery, rcode: number, answers: readonly DnsAnswer[]): Buffer {
  const header = Buffer.alloc(12);
  header.writeUInt16BE(query.id, 0);
  // QR, the query's opcode and RD, AA (authoritative for its own names), RA.
  const flags = 0x8000 | (query.flags & 0x7900) | 0x0400 | 0x0080 | (rcode & 0xf);
  header.writeUInt16BE(flags, 2);
  header.writeUInt16BE(1, 4);
  header.writeUInt16BE(answers.length, 6);
  const question = Buffer.from(raw.buffer, raw.byteOffset + 12, query.questionEnd - 12);
  const records: Buffer[] = [];
  for (const a of answers) {
    const rdata = a.type === "A" ? Buffer.from(a.address.split(".").map(Number)) : encodeName(a.name);
    const rr = Buffer.alloc(12);
    rr.writeUInt16BE(0xc00c, 0);
    rr.writeUInt16BE(a.type === "A" ? TYPE_A : TYPE_PTR, 2);
    rr.writeUInt16BE(CLASS_IN, 4);
    rr.writeUInt32BE(a.ttl, 6);
    rr.writeUInt16BE(rdata.length, 10);
    records.push(rr, rdata);
  }
  return Buffer.concat([header, question, ...records]);
}

/** A parsed response, as far as tests and clients need it: rcode and the A addresses. */
export interface DnsResponse {
  id: number;
  rcode: number;
  addresses: string[];
}

function skipName(b: Buffer, off: number): number {
  for (;;) {
    const len = b[off];
    if (len === undefined) throw new RangeError("parse dns response: truncated name");
    if ((len & 0xc0) === 0xc0) return off + 2;
    if (len === 0) return off + 1;
    off += len + 1;
  }
}

/** Parse a response's rcode and A records. */
export function parseResponse(msg: Uint8Array): DnsResponse {
  const b = Buffer.from(msg.buffer, msg.byteOffset, msg.byteLength);
  if (b.length < 12) throw new RangeError("parse dns response: shorter than a header");
  const id = b.readUInt16BE(0);
  const rcode = b.readUInt16BE(2) & 0xf;
  const qd = b.readUInt16BE(4);
  const an = b.readUInt16BE(6);
  let off = 12;
  for (let i = 0; i < qd; i++) off = skipName(b, off) + 4;
  const addresses: string[] = [];
  for (let i = 0; i < an; i++) {
    off = skipName(b, off);
    if (off + 10 > b.length) throw new RangeError("parse dns response: truncated record");
    const type = b.readUInt16BE(off);
    const rdlen = b.readUInt16BE(off + 8);
    off += 10;
    if (off + rdlen > b.length) throw new RangeError("parse dns response: truncated record data");
    if (type === TYPE_A && rdlen === 4) addresses.push(`${b[off]}.${b[off + 1]}.${b[off + 2]}.${b[off + 3]}`);
    off += rdlen;
  }
  return { id, rcode, addresses };
}
