/**
 * cgroup v2 device control: OCI device rules compiled to a BPF_PROG_TYPE_CGROUP_DEVICE
 * program, instruction for instruction as runc's devicefilter builds it. cgroup v2 has no
 * devices controller; the kernel runs this program on every device open/mknod of a task in
 * the cgroup (and its descendants) and allows the access when it returns 1.
 */
import { invalidArgument } from "../../shared/errors.js";
import type { LinuxDeviceCgroup } from "./resources.js";

/** eBPF opcodes used by the filter (linux/bpf.h, linux/bpf_common.h). */
export const EBPF = {
  LDX_MEM_W: 0x61, // BPF_LDX | BPF_MEM | BPF_W
  ALU32_AND_K: 0x54, // BPF_ALU | BPF_AND | BPF_K
  ALU32_RSH_K: 0x74, // BPF_ALU | BPF_RSH | BPF_K
  ALU32_MOV_K: 0xb4, // BPF_ALU | BPF_MOV | BPF_K
  ALU32_MOV_X: 0xbc, // BPF_ALU | BPF_MOV | BPF_X
  JMP_JNE_K: 0x55, // BPF_JMP | BPF_JNE | BPF_K
  JMP_JNE_X: 0x5d, // BPF_JMP | BPF_JNE | BPF_X
  JMP32_JNE_K: 0x56, // BPF_JMP32 | BPF_JNE | BPF_K
  JMP_EXIT: 0x95, // BPF_JMP | BPF_EXIT
} as const;

/** `struct bpf_cgroup_dev_ctx` device types (low 16 bits of access_type). */
export const BPF_DEVCG_DEV_BLOCK = 1;
export const BPF_DEVCG_DEV_CHAR = 2;
/** `struct bpf_cgroup_dev_ctx` accesses (high 16 bits of access_type). */
export const BPF_DEVCG_ACC_MKNOD = 1;
export const BPF_DEVCG_ACC_READ = 2;
export const BPF_DEVCG_ACC_WRITE = 4;
const ACC_ALL = BPF_DEVCG_ACC_MKNOD | BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE;

/** Size of one `struct bpf_insn`. */
export const EBPF_INSN_SIZE = 8;

/** One decoded `struct bpf_insn`. */
export interface EbpfInsn {
  readonly code: number;
  readonly dst: number;
  readonly src: number;
  readonly off: number;
  readonly imm: number;
}

// Registers as runc uses them: R1 ctx (then scratch), R2 type, R3 access, R4 major, R5 minor.
const R0 = 0, R1 = 1, R2 = 2, R3 = 3, R4 = 4, R5 = 5;

const insn = (code: number, dst: number, src: number, off: number, imm: number): EbpfInsn => ({ code, dst, src, off, imm });

/** A rule with its wildcards resolved: undefined type/major/minor match anything. */
interface Rule {
  readonly allow: boolean;
  readonly type: number | undefined;
  readonly major: number | undefined;
  readonly minor: number | undefined;
  readonly access: number;
}

function deviceNumber(what: string, n: number | undefined): number | undefined {
  if (n === undefined || n === -1) return undefined;
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw invalidArgument(`compile device rule ${what} ${String(n)}: not a device number`);
  return n;
}

/** OCI access string ("rwm", any order, absent or empty = all) → BPF_DEVCG_ACC_* bits. */
function accessBits(access: string | undefined): number {
  if (access === undefined || access === "") return ACC_ALL;
  let bits = 0;
  for (const ch of access) {
    if (ch === "r") bits |= BPF_DEVCG_ACC_READ;
    else if (ch === "w") bits |= BPF_DEVCG_ACC_WRITE;
    else if (ch === "m") bits |= BPF_DEVCG_ACC_MKNOD;
    else throw invalidArgument(`compile device rule access "${access}": unknown access "${ch}"`);
  }
  return bits;
}

function normalize(r: LinuxDeviceCgroup): Rule {
  let type: number | undefined;
  const t = r.type ?? "a";
  if (t === "c") type = BPF_DEVCG_DEV_CHAR;
  else if (t === "b") type = BPF_DEVCG_DEV_BLOCK;
  else if (t !== "a") throw invalidArgument(`compile device rule type "${t}": not one of "a", "b", "c"`);
  return { allow: r.allow, type, major: deviceNumber("major", r.major), minor: deviceNumber("minor", r.minor), access: accessBits(r.access) };
}

/**
 * `if (reg != n) goto +skip` for a u32 device number. A 64-bit JNE sign-extends its
 * immediate, so a number of 2^31 or more (no Linux device has one, but a rule may say it)
 * is compared on the low 32 bits instead (JMP32); runc emits the 64-bit form for all.
 */
function jneNumber(reg: number, n: number, skip: number): EbpfInsn {
  return n > 0x7fffffff ? insn(EBPF.JMP32_JNE_K, reg, 0, skip, n | 0) : insn(EBPF.JMP_JNE_K, reg, 0, skip, n);
}

const matchesEverything = (r: Rule) => r.type === undefined && r.major === undefined && r.minor === undefined && r.access === ACC_ALL;

/**
 * The rule list as instructions. Like runc: the context is loaded into R2–R5, then one
 * block per rule from the last to the first, each jumping to the next block on a mismatch
 * and returning its verdict on a match, so the last matching rule decides. A rule matching
 * everything (`a *:* rwm`, as `allow: true` alone) ends the list: the rules before it can
 * never decide, and its verdict is the default. Without one the default is deny.
 *
 * A rule matches when the type, major and minor match and the requested access is a
 * subset of the rule's (runc's `R3 & access == R3`), for deny rules too: a deny "w" does
 * not match an open for read+write.
 */
export function compileDeviceFilterInsns(rules: readonly LinuxDeviceCgroup[]): EbpfInsn[] {
  const all = rules.map(normalize);
  let first = 0;
  let defaultAllow = false;
  all.forEach((r, i) => {
    if (matchesEverything(r)) {
      first = i + 1;
      defaultAllow = r.allow;
    }
  });
  const out: EbpfInsn[] = [
    insn(EBPF.LDX_MEM_W, R2, R1, 0, 0),
    insn(EBPF.ALU32_AND_K, R2, 0, 0, 0xffff),
    insn(EBPF.LDX_MEM_W, R3, R1, 0, 0),
    insn(EBPF.ALU32_RSH_K, R3, 0, 0, 16),
    insn(EBPF.LDX_MEM_W, R4, R1, 4, 0),
    insn(EBPF.LDX_MEM_W, R5, R1, 8, 0),
  ];
  for (let i = all.length - 1; i >= first; i--) {
    const r = all[i] as Rule;
    // Each check jumps over what is left of its block: built back to front, offsets known.
    const tail: EbpfInsn[] = [insn(EBPF.ALU32_MOV_K, R0, 0, 0, r.allow ? 1 : 0), insn(EBPF.JMP_EXIT, 0, 0, 0, 0)];
    const checks: ((skip: number) => EbpfInsn[])[] = [];
    if (r.type !== undefined) {
      const type = r.type;
      checks.push((skip) => [insn(EBPF.JMP_JNE_K, R2, 0, skip, type)]);
    }
    if (r.access !== ACC_ALL) {
      const access = r.access;
      checks.push((skip) => [
        insn(EBPF.ALU32_MOV_X, R1, R3, 0, 0),
        insn(EBPF.ALU32_AND_K, R1, 0, 0, access),
        insn(EBPF.JMP_JNE_X, R1, R3, skip, 0),
      ]);
    }
    if (r.major !== undefined) {
      const major = r.major;
      checks.push((skip) => [jneNumber(R4, major, skip)]);
    }
    if (r.minor !== undefined) {
      const minor = r.minor;
      checks.push((skip) => [jneNumber(R5, minor, skip)]);
    }
    let block = tail;
    for (let c = checks.length - 1; c >= 0; c--) block = [...(checks[c] as (skip: number) => EbpfInsn[])(block.length), ...block];
    out.push(...block);
  }
  out.push(insn(EBPF.ALU32_MOV_K, R0, 0, 0, defaultAllow ? 1 : 0), insn(EBPF.JMP_EXIT, 0, 0, 0, 0));
  return out;
}

/** `struct bpf_insn` array, little-endian: code, dst|src<<4, off s16, imm s32. */
export function encodeEbpf(insns: readonly EbpfInsn[]): Uint8Array {
  const out = new Uint8Array(insns.length * EBPF_INSN_SIZE);
  const view = new DataView(out.buffer);
  insns.forEach((x, i) => {
    const at = i * EBPF_INSN_SIZE;
    view.setUint8(at, x.code);
    view.setUint8(at + 1, (x.dst & 0xf) | ((x.src & 0xf) << 4));
    view.setInt16(at + 2, x.off, true);
    view.setInt32(at + 4, x.imm, true);
  });
  return out;
}

/** Decodes `struct bpf_insn` bytes (the inverse of `encodeEbpf`). */
export function decodeEbpf(bytes: Uint8Array): EbpfInsn[] {
  if (bytes.length % EBPF_INSN_SIZE !== 0) throw new RangeError(`decode ebpf: ${bytes.length} bytes is not a whole number of instructions`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: EbpfInsn[] = [];
  for (let at = 0; at < bytes.length; at += EBPF_INSN_SIZE) {
    const regs = view.getUint8(at + 1);
    out.push(insn(view.getUint8(at), regs & 0xf, regs >> 4, view.getInt16(at + 2, true), view.getInt32(at + 4, true)));
  }
  return out;
}

/**
 * OCI device rules → the eBPF program bytes (`struct bpf_insn`, little-endian) that
 * `berth-devices` loads as BPF_PROG_TYPE_CGROUP_DEVICE. Throws an invalid-argument
 * BerthError for an unknown type or access letter or a device number out of u32 range.
 *
 * @example
 * compileDeviceFilter([{ allow: false, access: "rwm" }, { allow: true, type: "c", major: 1, minor: 3, access: "rwm" }]);
 */
export function compileDeviceFilter(rules: readonly LinuxDeviceCgroup[]): Uint8Array {
  return encodeEbpf(compileDeviceFilterInsns(rules));
}
