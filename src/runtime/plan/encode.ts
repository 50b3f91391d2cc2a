/**
 * `encodePlan()` turns a Plan into the bytes `native/plan/decode.c` reads; `decodePlan()`
 * is its inverse (used by tests and for debugging). The format is described in
 * `opcodes.ts` and `native/include/plan.h`.
 */
import type { IdMapping, NamespaceJoin, Op, OpName, Plan } from "./plan.js";
import { ARG_TYPE, OPCODE, OP_FIRST, PLAN_LIMITS, PLAN_MAGIC, PLAN_VERSION, RECORD_NAME, SCHEMA, type RecordName } from "./opcodes.js";

/** One decoded or to-be-encoded arg value, by schema letter. */
type ArgValue = bigint | number | string | Uint8Array | readonly string[] | readonly number[];

interface PlanRecord {
  readonly name: RecordName;
  readonly args: readonly ArgValue[];
}

const U64_MAX = (1n << 64n) - 1n;
const U32_MAX = 0xffff_ffff;

function fail(msg: string): never {
  throw new RangeError(`encode plan: ${msg}`);
}

/** The args of an op, in the order of its schema in opcodes.ts. */
function opArgs(op: Op): ArgValue[] {
  switch (op.op) {
    case "unshare": return [op.flags];
    case "mount": return [op.source, op.target, op.fstype, op.flags, op.data, op.optional === true ? 1 : 0];
    case "mkdir": return [op.path, op.mode];
    case "touch": return [op.path, op.mode];
    case "symlink": return [op.target, op.path];
    case "mknod": return [op.path, op.mode, op.major, op.minor, op.uid, op.gid];
    case "bind-device": return [op.source, op.path];
    case "pivot-root": return [op.root];
    case "chroot": return [op.root];
    case "mask-path": return [op.path];
    case "readonly-path": return [op.path];
    case "write-file": return [op.path, Buffer.from(op.data, "utf8")];
    case "sethostname": return [op.name];
    case "setdomainname": return [op.name];
    case "rlimit": return [op.resource, op.soft, op.hard];
    case "umask": return [op.mask];
    case "open-exec-fifo": return [op.path];
    case "connect-console-socket": return [op.path];
    case "setup-console": return [op.rows, op.cols];
    case "sync": return [op.phase];
    case "run-hook": return [op.path, op.args, op.env, op.timeout];
    case "set-user": return [op.uid, op.gid, op.additionalGids];
    case "capabilities": return [op.bounding, op.effective, op.permitted, op.inheritable, op.ambient];
    case "no-new-privileges": return [];
    case "seccomp": return [op.filter, op.flags];
    case "chdir": return [op.path];
    case "wait-start": return [];
    case "exec": return [op.path, op.args, op.env];
    default: {
      const unknown: never = op;
      return fail(`unknown op ${JSON.stringify((unknown as { op: unknown }).op)}`);
    }
  }
}

function planRecords(plan: Plan): PlanRecord[] {
  const records: PlanRecord[] = [];
  for (const j of plan.joinNamespaces) records.push({ name: "join-namespace", args: [j.nstype, j.path] });
  records.push({ name: "clone-flags", args: [plan.cloneFlags] });
  for (const m of plan.uidMappings) records.push({ name: "uid-mapping", args: [m.containerId, m.hostId, m.size] });
  for (const m of plan.gidMappings) records.push({ name: "gid-mapping", args: [m.containerId, m.hostId, m.size] });
  for (const p of plan.cgroupProcs) records.push({ name: "cgroup-procs", args: [p] });
  if (plan.execFifo !== "") records.push({ name: "exec-fifo", args: [plan.execFifo] });
  plan.ops.forEach((op, i) => {
    if (op.op === "exec" && i !== plan.ops.length - 1) fail(`op ${i} \`exec\` is not the last op`);
    records.push({ name: op.op, args: opArgs(op) });
  });
  const last = plan.ops[plan.ops.length - 1];
  if (last === undefined || last.op !== "exec") fail("the last op is not `exec`");
  return records;
}

/** Growable little-endian byte writer. */
class Writer {
  #buf = Buffer.alloc(4096);
  #len = 0;
  get length(): number { return this.#len; }
  #reserve(n: number): void {
    if (this.#len + n > PLAN_LIMITS.maxSize) fail(`plan is larger than ${PLAN_LIMITS.maxSize} bytes`);
    if (this.#len + n <= this.#buf.length) return;
    const next = Buffer.alloc(Math.max(this.#buf.length * 2, this.#len + n));
    this.#buf.copy(next, 0, 0, this.#len);
    this.#buf = next;
  }
  u8(v: number): void { this.#reserve(1); this.#buf.writeUInt8(v, this.#len); this.#len += 1; }
  u16(v: number): void { this.#reserve(2); this.#buf.writeUInt16LE(v, this.#len); this.#len += 2; }
  u32(v: number): void { this.#reserve(4); this.#buf.writeUInt32LE(v, this.#len); this.#len += 4; }
  u64(v: bigint): void { this.#reserve(8); this.#buf.writeBigUInt64LE(v, this.#len); this.#len += 8; }
  bytes(b: Uint8Array): void { this.#reserve(b.length); this.#buf.set(b, this.#len); this.#len += b.length; }
  patchU16(at: number, v: number): void { this.#buf.writeUInt16LE(v, at); }
  patchU32(at: number, v: number): void { this.#buf.writeUInt32LE(v, at); }
  result(): Buffer { return Buffer.from(this.#buf.subarray(0, this.#len)); }
}

function toU64(v: ArgValue, max: bigint, what: string): bigint {
  let b: bigint;
  if (typeof v === "bigint") b = v;
  else if (typeof v === "number" && Number.isSafeInteger(v)) b = BigInt(v);
  else return fail(`${what}: ${String(v)} is not an integer`);
  if (b < 0n || b > max) fail(`${what}: ${b} is out of range`);
  return b;
}

function writeU64Arg(w: Writer, v: ArgValue, max: bigint, what: string): void {
  w.u8(ARG_TYPE.u64);
  w.u64(toU64(v, max, what));
}

function writeBytesArg(w: Writer, type: number, b: Uint8Array): void {
  w.u8(type);
  w.u32(b.length);
  w.bytes(b);
}

function writeStrArg(w: Writer, v: ArgValue, what: string): void {
  if (typeof v !== "string") fail(`${what}: not a string`);
  if (v.includes("\0")) fail(`${what}: ${JSON.stringify(v)} contains a NUL byte`);
  writeBytesArg(w, ARG_TYPE.str, Buffer.from(v, "utf8"));
}

/** Writes the args of one record; returns how many wire args that was. */
function writeArgs(w: Writer, rec: PlanRecord): number {
  const schema = SCHEMA[rec.name];
  if (rec.args.length !== schema.length) fail(`record \`${rec.name}\` has ${rec.args.length} args, want ${schema.length}`);
  let count = 0;
  for (let i = 0; i < schema.length; i++) {
    const kind = schema[i];
    const v = rec.args[i] as ArgValue;
    const what = `\`${rec.name}\` arg ${i}`;
    switch (kind) {
      case "u": writeU64Arg(w, v, U64_MAX, what); count++; break;
      case "i": writeU64Arg(w, v, BigInt(U32_MAX), what); count++; break;
      case "s": writeStrArg(w, v, what); count++; break;
      case "b":
        if (!(v instanceof Uint8Array)) fail(`${what}: not bytes`);
        writeBytesArg(w, ARG_TYPE.bytes, v);
        count++;
        break;
      case "S":
      case "I": {
        if (!Array.isArray(v)) fail(`${what}: not a list`);
        const list = v as readonly ArgValue[];
        if (list.length > PLAN_LIMITS.maxList) fail(`${what}: list of ${list.length} elements is too long`);
        writeU64Arg(w, list.length, U64_MAX, what);
        for (const item of list) {
          if (kind === "S") writeStrArg(w, item, what);
          else writeU64Arg(w, item, BigInt(U32_MAX), what);
        }
        count += 1 + list.length;
        break;
      }
      default:
        fail(`schema letter ${String(kind)}`);
    }
  }
  if (count > 0xffff) fail(`record \`${rec.name}\` has more than 65535 args`);
  return count;
}

/**
 * Encode a plan for `berth-init` (fd 3 gets a u32le length and then these bytes).
 * Throws RangeError for values the wire cannot carry: negative or fractional integers,
 * values over their field's width, NUL bytes in strings, `exec` not last, oversized plans.
 */
export function encodePlan(plan: Plan): Buffer {
  const records = planRecords(plan);
  if (records.length > PLAN_LIMITS.maxRecords) fail(`${records.length} records is over the limit`);
  const w = new Writer();
  w.u32(PLAN_MAGIC);
  w.u16(PLAN_VERSION);
  w.u16(0);
  w.u32(records.length);
  for (const rec of records) {
    w.u16(OPCODE[rec.name]);
    const nargsAt = w.length;
    w.u16(0);
    const lenAt = w.length;
    w.u32(0);
    const start = w.length;
    const nargs = writeArgs(w, rec);
    // nargs and len are known only once the args are written.
    w.patchU16(nargsAt, nargs);
    w.patchU32(lenAt, w.length - start);
  }
  return w.result();
}

/** Little-endian reader that throws RangeError on truncation. */
class Reader {
  #off = 0;
  constructor(readonly buf: Buffer, readonly end = buf.length, start = 0) { this.#off = start; }
  get left(): number { return this.end - this.#off; }
  get offset(): number { return this.#off; }
  #need(n: number): number {
    if (this.left < n) throw new RangeError("decode plan: truncated input");
    const at = this.#off;
    this.#off += n;
    return at;
  }
  u8(): number { return this.buf.readUInt8(this.#need(1)); }
  u16(): number { return this.buf.readUInt16LE(this.#need(2)); }
  u32(): number { return this.buf.readUInt32LE(this.#need(4)); }
  u64(): bigint { return this.buf.readBigUInt64LE(this.#need(8)); }
  bytes(n: number): Buffer { const at = this.#need(n); return this.buf.subarray(at, at + n); }
}

function dfail(msg: string): never {
  throw new RangeError(`decode plan: ${msg}`);
}

function readU64(r: Reader, max32: boolean): bigint {
  const type = r.u8();
  const v = r.u64();
  if (type !== ARG_TYPE.u64) dfail(`arg type ${type} where u64 expected`);
  if (max32 && v > BigInt(U32_MAX)) dfail(`value ${v} does not fit in 32 bits`);
  return v;
}

function readBytes(r: Reader, want: number): Buffer {
  const type = r.u8();
  const len = r.u32();
  if (type !== want) dfail(`arg type ${type} where ${want} expected`);
  const b = r.bytes(len);
  if (want === ARG_TYPE.str && b.includes(0)) dfail("string arg contains a NUL byte");
  return b;
}

function readArgs(r: Reader, name: RecordName): { args: ArgValue[]; wire: number } {
  const args: ArgValue[] = [];
  let wire = 0;
  for (const kind of SCHEMA[name]) {
    switch (kind) {
      case "u": args.push(readU64(r, false)); wire++; break;
      case "i": args.push(Number(readU64(r, true))); wire++; break;
      case "s": args.push(readBytes(r, ARG_TYPE.str).toString("utf8")); wire++; break;
      case "b": args.push(new Uint8Array(readBytes(r, ARG_TYPE.bytes))); wire++; break;
      default: {
        const n = readU64(r, false);
        if (n > BigInt(PLAN_LIMITS.maxList) || n > BigInt(Math.floor(r.left / 5))) dfail(`list of ${n} elements is too long`);
        const list: (string | number)[] = [];
        for (let i = 0; i < Number(n); i++) {
          list.push(kind === "S" ? readBytes(r, ARG_TYPE.str).toString("utf8") : Number(readU64(r, true)));
        }
        args.push(list as readonly string[] | readonly number[]);
        wire += 1 + Number(n);
      }
    }
  }
  return { args, wire };
}

const num = (v: ArgValue | undefined): number => {
  if (typeof v === "bigint") {
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) dfail(`value ${v} is too large for a number`);
    return Number(v);
  }
  return v as number;
};
const big = (v: ArgValue | undefined): bigint => v as bigint;
const str = (v: ArgValue | undefined): string => v as string;
const strs = (v: ArgValue | undefined): string[] => [...(v as readonly string[])];
const nums = (v: ArgValue | undefined): number[] => [...(v as readonly number[])];

function toOp(name: OpName, a: readonly ArgValue[]): Op {
  switch (name) {
    case "unshare": return { op: name, flags: num(a[0]) };
    case "mount": {
      const base = { op: name, source: str(a[0]), target: str(a[1]), fstype: str(a[2]), flags: num(a[3]), data: str(a[4]) } as const;
      return a[5] === 1 ? { ...base, optional: true } : base;
    }
    case "mkdir": return { op: name, path: str(a[0]), mode: num(a[1]) };
    case "touch": return { op: name, path: str(a[0]), mode: num(a[1]) };
    case "symlink": return { op: name, target: str(a[0]), path: str(a[1]) };
    case "mknod": return { op: name, path: str(a[0]), mode: num(a[1]), major: num(a[2]), minor: num(a[3]), uid: num(a[4]), gid: num(a[5]) };
    case "bind-device": return { op: name, source: str(a[0]), path: str(a[1]) };
    case "pivot-root": return { op: name, root: str(a[0]) };
    case "chroot": return { op: name, root: str(a[0]) };
    case "mask-path": return { op: name, path: str(a[0]) };
    case "readonly-path": return { op: name, path: str(a[0]) };
    case "write-file": return { op: name, path: str(a[0]), data: Buffer.from(a[1] as Uint8Array).toString("utf8") };
    case "sethostname": return { op: name, name: str(a[0]) };
    case "setdomainname": return { op: name, name: str(a[0]) };
    case "rlimit": return { op: name, resource: num(a[0]), soft: big(a[1]), hard: big(a[2]) };
    case "umask": return { op: name, mask: num(a[0]) };
    case "open-exec-fifo": return { op: name, path: str(a[0]) };
    case "connect-console-socket": return { op: name, path: str(a[0]) };
    case "setup-console": return { op: name, rows: num(a[0]), cols: num(a[1]) };
    case "sync": return { op: name, phase: str(a[0]) };
    case "run-hook": return { op: name, path: str(a[0]), args: strs(a[1]), env: strs(a[2]), timeout: num(a[3]) };
    case "set-user": return { op: name, uid: num(a[0]), gid: num(a[1]), additionalGids: nums(a[2]) };
    case "capabilities":
      return { op: name, bounding: big(a[0]), effective: big(a[1]), permitted: big(a[2]), inheritable: big(a[3]), ambient: big(a[4]) };
    case "no-new-privileges": return { op: name };
    case "seccomp": return { op: name, filter: a[0] as Uint8Array, flags: num(a[1]) };
    case "chdir": return { op: name, path: str(a[0]) };
    case "wait-start": return { op: name };
    case "exec": return { op: name, path: str(a[0]), args: strs(a[1]), env: strs(a[2]) };
  }
}

/**
 * Decode plan bytes with the same checks as the C decoder. Throws RangeError on any
 * truncated, oversized or inconsistent input.
 */
export function decodePlan(bytes: Uint8Array): Plan {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.length > PLAN_LIMITS.maxSize) dfail(`${buf.length} bytes is larger than the limit`);
  const r = new Reader(buf);
  if (r.u32() !== PLAN_MAGIC) dfail("bad magic");
  const version = r.u16();
  if (version !== PLAN_VERSION) dfail(`unsupported version ${version}`);
  if (r.u16() !== 0) dfail("reserved header field is not 0");
  const nrecords = r.u32();
  if (nrecords > PLAN_LIMITS.maxRecords || nrecords > r.left / 8) dfail(`${nrecords} records cannot fit`);

  const joins: NamespaceJoin[] = [];
  const uid: IdMapping[] = [];
  const gid: IdMapping[] = [];
  const cgroupProcs: string[] = [];
  const ops: Op[] = [];
  let cloneFlags: number | undefined;
  let execFifo: string | undefined;
  for (let i = 0; i < nrecords; i++) {
    const code = r.u16();
    const nargs = r.u16();
    const len = r.u32();
    const name = RECORD_NAME.get(code);
    if (name === undefined) dfail(`unknown opcode ${code} in record ${i}`);
    if (r.left < len) dfail(`record ${i} of ${len} bytes overruns the plan`);
    if (ops.length > 0 && code < OP_FIRST) dfail(`record \`${name}\` after the first op`);
    if (ops[ops.length - 1]?.op === "exec") dfail(`op \`${name}\` after exec`);
    const body = new Reader(buf, r.offset + len, r.offset);
    r.bytes(len);
    const { args, wire } = readArgs(body, name);
    if (wire !== nargs || body.left !== 0) dfail(`record \`${name}\` declares ${nargs} args and does not match its bytes`);
    switch (name) {
      case "join-namespace": joins.push({ nstype: num(args[0]), path: str(args[1]) }); break;
      case "clone-flags":
        if (cloneFlags !== undefined) dfail("clone flags given twice");
        cloneFlags = num(args[0]);
        break;
      case "uid-mapping": uid.push({ containerId: num(args[0]), hostId: num(args[1]), size: num(args[2]) }); break;
      case "gid-mapping": gid.push({ containerId: num(args[0]), hostId: num(args[1]), size: num(args[2]) }); break;
      case "cgroup-procs": cgroupProcs.push(str(args[0])); break;
      case "exec-fifo":
        if (execFifo !== undefined) dfail("exec fifo given twice");
        if (str(args[0]) === "") dfail("empty exec fifo path");
        execFifo = str(args[0]);
        break;
      default: ops.push(toOp(name, args));
    }
  }
  if (r.left !== 0) dfail(`${r.left} trailing bytes`);
  if (ops[ops.length - 1]?.op !== "exec") dfail("the last op is not exec");
  return {
    joinNamespaces: joins,
    cloneFlags: cloneFlags ?? 0,
    uidMappings: uid,
    gidMappings: gid,
    cgroupProcs,
    execFifo: execFifo ?? "",
    ops,
  };
}
