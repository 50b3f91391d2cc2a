/**
 * OCI seccomp profile → classic BPF program, with libseccomp's semantics (what runc and
 * crun load), compiled in TypeScript so the C layer only calls seccomp(2).
 *
 * Program shape:
 *   ld arch; one `jeq` per audit arch (native first), else the bad-arch action
 *   per audit arch: ld nr; a binary search tree of `jge` over syscall-number intervals
 *     (consecutive numbers with the same outcome are one interval), leaves are either a
 *     shared `ret` or an argument-check block
 *   argument-check blocks: rules in profile order, conditions ANDed, 64-bit arguments
 *     compared as hi/lo 32-bit halves
 *   a pool of `ret` instructions, one per distinct action
 */
import { invalidArgument, notImplemented } from "../../shared/errors.js";
import { ABIS, NATIVE_ARCH, OCI_ARCHES, type SyscallAbi } from "./arch.js";
import { assemble, BPF_MAXINSNS, encodeFilter, type AsmInsn } from "./bpf.js";
import type { CompiledSeccomp, SeccompAction, SeccompOperator, SeccompProfile } from "./types.js";

/** SECCOMP_RET_* action values (linux/seccomp.h). */
export const SECCOMP_RET = {
  KILL_PROCESS: 0x80000000,
  KILL_THREAD: 0x00000000,
  TRAP: 0x00030000,
  ERRNO: 0x00050000,
  USER_NOTIF: 0x7fc00000,
  TRACE: 0x7ff00000,
  LOG: 0x7ffc0000,
  ALLOW: 0x7fff0000,
} as const;

/** SECCOMP_FILTER_FLAG_* bits (linux/seccomp.h) by OCI flag name. */
export const SECCOMP_FILTER_FLAGS: Readonly<Record<string, number>> = {
  SECCOMP_FILTER_FLAG_TSYNC: 1,
  SECCOMP_FILTER_FLAG_LOG: 2,
  SECCOMP_FILTER_FLAG_SPEC_ALLOW: 4,
  SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV: 32,
};

/** Offsets in `struct seccomp_data` (nr, arch, instruction_pointer, args[6]). */
export const SECCOMP_DATA = { NR: 0, ARCH: 4, IP: 8, ARGS: 16 } as const;

const ACTIONS: readonly SeccompAction[] = [
  "SCMP_ACT_KILL", "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD", "SCMP_ACT_TRAP", "SCMP_ACT_ERRNO",
  "SCMP_ACT_TRACE", "SCMP_ACT_ALLOW", "SCMP_ACT_LOG", "SCMP_ACT_NOTIFY",
];
const OPERATORS: readonly SeccompOperator[] = [
  "SCMP_CMP_NE", "SCMP_CMP_LT", "SCMP_CMP_LE", "SCMP_CMP_EQ", "SCMP_CMP_GE", "SCMP_CMP_GT", "SCMP_CMP_MASKED_EQ",
];
const EPERM = 1;
const ENOSYS = 38;
const U64_MAX = (1n << 64n) - 1n;

/** Options for `compileSeccomp`. */
export interface CompileSeccompOptions {
  /**
   * What a syscall from an architecture that is not in the filter gets.
   * @default "SCMP_ACT_KILL" (libseccomp's default bad-arch action: kill the thread)
   */
  readonly badArchAction?: "SCMP_ACT_KILL" | "SCMP_ACT_KILL_THREAD" | "SCMP_ACT_KILL_PROCESS";
  /**
   * runc's -ENOSYS stub: on each ABI listed in `architectures`, a syscall numbered above
   * every syscall the profile names gets ENOSYS instead of the default action, so that
   * libc falls back from syscalls newer than the profile. Not applied when the default
   * action is ALLOW, LOG or TRACE.
   * @default true
   */
  readonly enosysForNewerSyscalls?: boolean;
}

interface Condition {
  readonly index: number;
  readonly op: SeccompOperator;
  /** For MASKED_EQ the expected value, already ANDed with the mask (as libseccomp does). */
  readonly value: bigint;
  readonly mask: bigint;
}

interface Rule {
  readonly names: readonly string[];
  readonly action: number;
  /** Alternatives (ORed); each is a list of conditions (ANDed). Empty list: unconditional. */
  readonly alternatives: readonly (readonly Condition[])[];
}

/** What one syscall number does: an unconditional action, or conditional rules then the default. */
interface SyscallOutcome {
  unconditional: number | undefined;
  readonly conditional: { readonly conditions: readonly Condition[]; readonly action: number }[];
}

function list(value: string[] | readonly string[]): string {
  return value.join(", ");
}

function errnoValue(value: unknown, field: string): number {
  if (value === undefined) return EPERM;
  if (typeof value !== "number" || !Number.isInteger(value) || value < 0 || value > 0xffff) {
    throw invalidArgument(`compile seccomp: ${field} must be an integer from 0 to 65535, got ${String(value)}`);
  }
  return value;
}

/** The SECCOMP_RET_* value of an action, as runc's getAction computes it. */
function actionValue(action: unknown, errnoRet: unknown, field: string, errnoField: string): number {
  switch (action) {
    case "SCMP_ACT_KILL":
    case "SCMP_ACT_KILL_THREAD":
      return SECCOMP_RET.KILL_THREAD;
    case "SCMP_ACT_KILL_PROCESS":
      return SECCOMP_RET.KILL_PROCESS;
    case "SCMP_ACT_TRAP":
      return SECCOMP_RET.TRAP;
    case "SCMP_ACT_ERRNO":
      return (SECCOMP_RET.ERRNO | errnoValue(errnoRet, errnoField)) >>> 0;
    case "SCMP_ACT_TRACE":
      // runc passes errnoRet (default EPERM) as the tracer's data, like ERRNO.
      return (SECCOMP_RET.TRACE | errnoValue(errnoRet, errnoField)) >>> 0;
    case "SCMP_ACT_ALLOW":
      return SECCOMP_RET.ALLOW;
    case "SCMP_ACT_LOG":
      return SECCOMP_RET.LOG;
    case "SCMP_ACT_NOTIFY":
      throw notImplemented(`compile seccomp: ${field} "SCMP_ACT_NOTIFY" is not supported (no seccomp notify listener)`);
    default:
      throw invalidArgument(`compile seccomp: ${field} must be one of ${list(ACTIONS)}, got ${JSON.stringify(action)}`);
  }
}

function u64(value: unknown, field: string): bigint {
  if (typeof value === "bigint") {
    if (value < 0n || value > U64_MAX) throw invalidArgument(`compile seccomp: ${field} must be a u64, got ${value}`);
    return value;
  }
  if (typeof value === "number") {
    if (!Number.isInteger(value) || value < 0) {
      throw invalidArgument(`compile seccomp: ${field} must be a u64, got ${value}`);
    }
    if (!Number.isSafeInteger(value)) {
      throw invalidArgument(`compile seccomp: ${field} ${value} is not exact as a JSON number; pass it as a bigint`);
    }
    return BigInt(value);
  }
  throw invalidArgument(`compile seccomp: ${field} must be a u64, got ${JSON.stringify(value) ?? String(value)}`);
}

function parseCondition(arg: unknown, field: string): Condition {
  if (typeof arg !== "object" || arg === null) throw invalidArgument(`compile seccomp: ${field} must be an object`);
  const a = arg as Record<string, unknown>;
  const index = a["index"];
  if (typeof index !== "number" || !Number.isInteger(index) || index < 0 || index > 5) {
    throw invalidArgument(`compile seccomp: ${field}.index must be an integer from 0 to 5, got ${JSON.stringify(index) ?? String(index)}`);
  }
  const op = a["op"];
  if (typeof op !== "string" || !(OPERATORS as readonly string[]).includes(op)) {
    throw invalidArgument(`compile seccomp: ${field}.op must be one of ${list(OPERATORS)}, got ${JSON.stringify(op) ?? String(op)}`);
  }
  const value = u64(a["value"], `${field}.value`);
  const valueTwo = a["valueTwo"] === undefined ? 0n : u64(a["valueTwo"], `${field}.valueTwo`);
  if (op === "SCMP_CMP_MASKED_EQ") {
    // libseccomp: datum_a is the mask, datum_b the value; the value is masked too.
    return { index, op, mask: value, value: valueTwo & value };
  }
  return { index, op: op as SeccompOperator, value, mask: U64_MAX };
}

function parseRules(profile: SeccompProfile): Rule[] {
  const syscalls: unknown = profile.syscalls ?? [];
  if (!Array.isArray(syscalls)) throw invalidArgument("compile seccomp: syscalls must be an array");
  return syscalls.map((entry: unknown, i): Rule => {
    const field = `syscalls[${i}]`;
    if (typeof entry !== "object" || entry === null) throw invalidArgument(`compile seccomp: ${field} must be an object`);
    const e = entry as Record<string, unknown>;
    const names = e["names"];
    if (!Array.isArray(names) || names.length === 0 || !names.every((n) => typeof n === "string")) {
      throw invalidArgument(`compile seccomp: ${field}.names must be a non-empty array of strings`);
    }
    const action = actionValue(e["action"], e["errnoRet"], `${field}.action`, `${field}.errnoRet`);
    const rawArgs: unknown = e["args"] ?? [];
    if (!Array.isArray(rawArgs)) throw invalidArgument(`compile seccomp: ${field}.args must be an array`);
    const conditions = rawArgs.map((a: unknown, j) => parseCondition(a, `${field}.args[${j}]`));
    // runc: when one argument index appears in several conditions, each condition becomes
    // its own rule (ORed) instead of one rule with all of them ANDed.
    const indexes = new Set(conditions.map((c) => c.index));
    const alternatives = indexes.size < conditions.length ? conditions.map((c) => [c]) : [conditions];
    return { names: names as string[], action, alternatives };
  });
}

function parseFlags(profile: SeccompProfile): number {
  let bits = 0;
  const flags: unknown = profile.flags ?? [];
  if (!Array.isArray(flags)) throw invalidArgument("compile seccomp: flags must be an array");
  flags.forEach((flag: unknown, i) => {
    const bit = typeof flag === "string" ? SECCOMP_FILTER_FLAGS[flag] : undefined;
    if (bit === undefined) {
      throw invalidArgument(`compile seccomp: flags[${i}] must be one of ${list(Object.keys(SECCOMP_FILTER_FLAGS))}, got ${JSON.stringify(flag) ?? String(flag)}`);
    }
    if (flag === "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV") {
      throw notImplemented(`compile seccomp: flags[${i}] "${flag}" needs a seccomp notify listener, which is not supported`);
    }
    bits |= bit;
  });
  return bits;
}

/**
 * For runc's -ENOSYS stub: the highest syscall number any rule names, per ABI listed in
 * `architectures` (runc only patches listed ones); undefined when no stub applies.
 */
function highestNamed(
  profile: SeccompProfile,
  abis: readonly SyscallAbi[],
  rules: readonly Rule[],
  defaultAction: number,
): Map<SyscallAbi, number> | undefined {
  const permissive = defaultAction === SECCOMP_RET.ALLOW || defaultAction === SECCOMP_RET.LOG ||
    (defaultAction & 0xffff0000) >>> 0 === SECCOMP_RET.TRACE;
  if (permissive || defaultAction === ((SECCOMP_RET.ERRNO | ENOSYS) >>> 0)) return undefined;
  const listed = new Set(profile.architectures ?? []);
  const out = new Map<SyscallAbi, number>();
  for (const abi of abis) {
    if (!listed.has(abi.name)) continue;
    let max: number | undefined;
    for (const rule of rules) {
      for (const name of rule.names) {
        const nr = abi.syscalls.get(name);
        if (nr !== undefined && (max === undefined || nr > max)) max = nr;
      }
    }
    if (max !== undefined) out.set(abi, max);
  }
  return out;
}

/** The ABIs to filter: the native one first, then the listed ones that have syscall tables. */
function selectAbis(profile: SeccompProfile, arch: string): SyscallAbi[] {
  const nativeName = NATIVE_ARCH[arch];
  const native = nativeName === undefined ? undefined : ABIS.get(nativeName);
  if (native === undefined) throw notImplemented(`compile seccomp: architecture "${arch}" is not supported`);
  const out: SyscallAbi[] = [native];
  const arches: unknown = profile.architectures ?? [];
  if (!Array.isArray(arches)) throw invalidArgument("compile seccomp: architectures must be an array");
  arches.forEach((name: unknown, i) => {
    if (typeof name !== "string" || !OCI_ARCHES.includes(name)) {
      throw invalidArgument(`compile seccomp: architectures[${i}] must be one of ${list(OCI_ARCHES)}, got ${JSON.stringify(name) ?? String(name)}`);
    }
    // An architecture without a table is left out of the filter: its syscalls get the
    // bad-arch action (fail closed). Only ABIs this kernel could run matter anyway.
    const abi = ABIS.get(name);
    if (abi !== undefined && !out.includes(abi)) out.push(abi);
  });
  return out;
}

/** For one ABI: syscall number → outcome, following libseccomp's rule merging. */
function outcomes(abi: SyscallAbi, rules: readonly Rule[], defaultAction: number): Map<number, SyscallOutcome> {
  const byNr = new Map<number, SyscallOutcome>();
  for (const rule of rules) {
    // runc skips rules whose action is the default one (libseccomp refuses them).
    if (rule.action === defaultAction) continue;
    for (const name of rule.names) {
      const nr = abi.syscalls.get(name);
      if (nr === undefined) continue; // unknown on this ABI: skipped, as runc does
      let o = byNr.get(nr);
      if (o === undefined) {
        o = { unconditional: undefined, conditional: [] };
        byNr.set(nr, o);
      }
      for (const conditions of rule.alternatives) {
        // libseccomp: an unconditional rule covers the syscall whole; the first one wins
        // and later (or earlier) conditional rules for the syscall no longer matter.
        if (conditions.length === 0) o.unconditional ??= rule.action;
        else o.conditional.push({ conditions, action: rule.action });
      }
    }
  }
  return byNr;
}

class ProgramBuilder {
  readonly code: AsmInsn[] = [];
  private readonly rets = new Map<number, string>();
  private next = 0;

  label(prefix: string): string {
    return `${prefix}${this.next++}`;
  }
  place(name: string): void {
    this.code.push({ kind: "label", name });
  }
  ret(k: number): string {
    let name = this.rets.get(k >>> 0);
    if (name === undefined) {
      name = this.label("ret");
      this.rets.set(k >>> 0, name);
    }
    return name;
  }
  emitRets(): void {
    for (const [k, name] of this.rets) {
      this.place(name);
      this.code.push({ kind: "ret", k });
    }
  }
}

const lo32 = (v: bigint): number => Number(v & 0xffffffffn);
const hi32 = (v: bigint): number => Number((v >> 32n) & 0xffffffffn);

/** Emits code that falls through when `c` holds and jumps to `fail` when it does not. */
function emitCondition(b: ProgramBuilder, c: Condition, argBits: 32 | 64, fail: string): void {
  const loOff = SECCOMP_DATA.ARGS + 8 * c.index; // little-endian: low word first
  const hiOff = loOff + 4;
  const pass = b.label("pass");
  const code = b.code;
  const ld = (offset: number): void => void code.push({ kind: "ld", offset });
  const jmp = (op: "jeq" | "jgt" | "jge", k: number, jt: string, jf: string): void =>
    void code.push({ kind: "jmp", op, k, jt, jf });
  const vl = lo32(c.value);
  const vh = hi32(c.value);

  if (c.op === "SCMP_CMP_MASKED_EQ") {
    const halves: [number, number, number][] = argBits === 64
      ? [[hiOff, hi32(c.mask), vh], [loOff, lo32(c.mask), vl]]
      : [[loOff, lo32(c.mask), vl]];
    for (const [offset, mask, value] of halves) {
      if (mask === 0) continue; // (x & 0) == 0 always holds
      const ok = b.label("ok");
      ld(offset);
      if (mask !== 0xffffffff) code.push({ kind: "and", k: mask });
      jmp("jeq", (value & mask) >>> 0, ok, fail);
      b.place(ok);
    }
    b.place(pass);
    return;
  }

  if (argBits === 32) {
    ld(loOff);
    switch (c.op) {
      case "SCMP_CMP_EQ": jmp("jeq", vl, pass, fail); break;
      case "SCMP_CMP_NE": jmp("jeq", vl, fail, pass); break;
      case "SCMP_CMP_GT": jmp("jgt", vl, pass, fail); break;
      case "SCMP_CMP_GE": jmp("jge", vl, pass, fail); break;
      case "SCMP_CMP_LT": jmp("jge", vl, fail, pass); break;
      case "SCMP_CMP_LE": jmp("jgt", vl, fail, pass); break;
    }
    b.place(pass);
    return;
  }

  const lo = b.label("lo");
  switch (c.op) {
    case "SCMP_CMP_EQ":
      ld(hiOff); jmp("jeq", vh, lo, fail);
      b.place(lo); ld(loOff); jmp("jeq", vl, pass, fail);
      break;
    case "SCMP_CMP_NE":
      ld(hiOff); jmp("jeq", vh, lo, pass);
      b.place(lo); ld(loOff); jmp("jeq", vl, fail, pass);
      break;
    case "SCMP_CMP_GT":
    case "SCMP_CMP_GE": {
      const eq = b.label("eq");
      ld(hiOff); jmp("jgt", vh, pass, eq);
      b.place(eq); jmp("jeq", vh, lo, fail);
      b.place(lo); ld(loOff); jmp(c.op === "SCMP_CMP_GT" ? "jgt" : "jge", vl, pass, fail);
      break;
    }
    case "SCMP_CMP_LT":
    case "SCMP_CMP_LE": {
      const eq = b.label("eq");
      ld(hiOff); jmp("jgt", vh, fail, eq);
      b.place(eq); jmp("jeq", vh, lo, pass);
      b.place(lo); ld(loOff); jmp(c.op === "SCMP_CMP_LT" ? "jge" : "jgt", vl, fail, pass);
      break;
    }
  }
  b.place(pass);
}

interface Segment {
  readonly lo: number;
  readonly target: string;
}

/**
 * Emits a binary search over `segs` (sorted, contiguous intervals starting at segs[i].lo)
 * and returns the label to jump to for the whole range. Single intervals are leaves and
 * cost no instruction: the parent jumps straight to their target.
 */
function emitTree(b: ProgramBuilder, segs: readonly Segment[], from: number, to: number): string {
  if (to - from === 1) return (segs[from] as Segment).target;
  const mid = (from + to) >> 1;
  const here = b.label("node");
  b.place(here);
  const at = b.code.length;
  b.code.push({ kind: "ret", k: 0 }); // placeholder until both subtrees have labels
  const left = emitTree(b, segs, from, mid);
  const right = emitTree(b, segs, mid, to);
  b.code[at] = { kind: "jmp", op: "jge", k: (segs[mid] as Segment).lo, jt: right, jf: left };
  return here;
}

/**
 * Compiles an OCI seccomp profile into a classic BPF program for `arch` (Node's
 * `process.arch`: "x64", "arm64" or "ia32"). Unknown syscall names are skipped; unknown
 * action, operator, flag or architecture names, and bad argument indexes or values, are
 * invalid-argument errors naming the field; SCMP_ACT_NOTIFY and listeners are not-implemented.
 */
export function compileSeccomp(
  profile: SeccompProfile,
  arch: string,
  options: Readonly<CompileSeccompOptions> = {},
): CompiledSeccomp {
  if (typeof profile !== "object" || profile === null) throw invalidArgument("compile seccomp: profile must be an object");
  if (profile.listenerPath !== undefined && profile.listenerPath !== "") {
    throw notImplemented(`compile seccomp: listenerPath "${profile.listenerPath}" is not supported (no seccomp notify)`);
  }
  if (profile.listenerMetadata !== undefined && profile.listenerMetadata !== "") {
    throw notImplemented("compile seccomp: listenerMetadata is not supported (no seccomp notify)");
  }
  const defaultAction = actionValue(profile.defaultAction, profile.defaultErrnoRet, "defaultAction", "defaultErrnoRet");
  const badArch = actionValue(options.badArchAction ?? "SCMP_ACT_KILL", undefined, "badArchAction", "badArchAction");
  const flags = parseFlags(profile);
  const rules = parseRules(profile);
  const abis = selectAbis(profile, arch);
  const highest = options.enosysForNewerSyscalls === false ? undefined : highestNamed(profile, abis, rules, defaultAction);

  const b = new ProgramBuilder();
  const defaultRet = b.ret(defaultAction);
  const badArchRet = b.ret(badArch);

  // Group ABIs by audit arch (x86_64 and x32 share one and split on the x32 bit).
  const sections: { auditArch: number; abis: SyscallAbi[]; label: string }[] = [];
  for (const abi of abis) {
    const s = sections.find((x) => x.auditArch === abi.auditArch);
    if (s !== undefined) s.abis.push(abi);
    else sections.push({ auditArch: abi.auditArch, abis: [abi], label: b.label("arch") });
  }

  b.code.push({ kind: "ld", offset: SECCOMP_DATA.ARCH });
  sections.forEach((s, i) => {
    const next = i === sections.length - 1 ? badArchRet : b.label("try");
    b.code.push({ kind: "jmp", op: "jeq", k: s.auditArch, jt: s.label, jf: next });
    if (next !== badArchRet) b.place(next);
  });

  const blocks: (() => void)[] = [];
  for (const s of sections) {
    b.place(s.label);
    b.code.push({ kind: "ld", offset: SECCOMP_DATA.NR });

    const targets = new Map<number, string>();
    for (const abi of s.abis) {
      for (const [nr, o] of outcomes(abi, rules, defaultAction)) {
        if (o.unconditional !== undefined) {
          targets.set(nr, b.ret(o.unconditional));
          continue;
        }
        const block = b.label(`sys${nr}_`);
        targets.set(nr, block);
        blocks.push(() => {
          b.place(block);
          o.conditional.forEach((r, i) => {
            const fail = i === o.conditional.length - 1 ? defaultRet : b.label("rule");
            for (const c of r.conditions) emitCondition(b, c, abi.argBits, fail);
            b.code.push({ kind: "ja", target: b.ret(r.action) });
            if (fail !== defaultRet) b.place(fail);
          });
        });
      }
    }

    // Cut [0, 2^32) into intervals with one outcome each: a syscall's target, the default
    // action inside an ABI's number range, the bad-arch action outside every range (x86_64
    // numbers with the x32 bit when x32 is not allowed, and the reverse).
    // nr -1 (a tracer skipping the syscall) is never a bad arch: libseccomp special-cases it.
    // Above the highest named syscall, runc's stub answers ENOSYS.
    const base = (nr: number): string => {
      const abi = s.abis.find((a) => nr >= a.nrRange[0] && nr < a.nrRange[1]);
      const max = abi === undefined ? undefined : highest?.get(abi);
      if (max !== undefined && nr > max) return b.ret((SECCOMP_RET.ERRNO | ENOSYS) >>> 0);
      return abi !== undefined || nr === 0xffffffff ? defaultRet : badArchRet;
    };
    const points = new Set<number>([0, 0xffffffff]);
    for (const a of s.abis) {
      points.add(a.nrRange[0]);
      points.add(a.nrRange[1]);
      const max = highest?.get(a);
      if (max !== undefined) points.add(max + 1);
    }
    for (const nr of targets.keys()) {
      points.add(nr);
      points.add(nr + 1);
    }
    const segs: Segment[] = [];
    for (const lo of [...points].filter((p) => p < 2 ** 32).sort((x, y) => x - y)) {
      const target = targets.get(lo) ?? base(lo);
      if (segs.length > 0 && (segs[segs.length - 1] as Segment).target === target) continue;
      segs.push({ lo, target });
    }
    const root = emitTree(b, segs, 0, segs.length);
    if (segs.length === 1) b.code.push({ kind: "ja", target: root });
  }
  for (const emit of blocks) emit();
  b.emitRets();

  const program = assemble(b.code);
  if (program.length > BPF_MAXINSNS) {
    throw invalidArgument(`compile seccomp: program has ${program.length} instructions, more than the kernel's limit of ${BPF_MAXINSNS}`);
  }
  return { filter: encodeFilter(program), flags };
}
