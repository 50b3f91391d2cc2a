/**
 * A classic-BPF interpreter for seccomp filters, run over a synthetic `seccomp_data`, as
 * the kernel's seccomp checker and interpreter would (only the instructions seccomp
 * allows; anything else is an error). Tests use it to assert what a compiled filter returns
 * without loading it into a process.
 */
import { BPF, BPF_MAXINSNS, decodeFilter, type SockFilter } from "./bpf.js";

/** A syscall as the filter sees it. Arguments are u64s. */
export interface SeccompData {
  readonly nr: number;
  readonly arch: number;
  readonly instructionPointer?: bigint;
  readonly args?: readonly (bigint | number)[];
}

/** The result of a run: the returned value and how many instructions were executed. */
export interface RunResult {
  readonly ret: number;
  readonly steps: number;
}

/** Encodes `data` as the 64-byte `struct seccomp_data` (little-endian). */
export function seccompDataBytes(data: SeccompData): DataView {
  const view = new DataView(new ArrayBuffer(64));
  view.setInt32(0, data.nr | 0, true);
  view.setUint32(4, data.arch >>> 0, true);
  view.setBigUint64(8, data.instructionPointer ?? 0n, true);
  for (let i = 0; i < 6; i++) {
    const a = data.args?.[i] ?? 0n;
    view.setBigUint64(16 + 8 * i, BigInt.asUintN(64, BigInt(a)), true);
  }
  return view;
}

/**
 * Runs a filter (bytes or decoded instructions). Throws on anything the kernel would
 * reject: unknown opcodes, jumps out of the program, unaligned or out-of-range loads, or
 * falling off the end.
 */
export function runFilter(filter: Uint8Array | readonly SockFilter[], data: SeccompData): RunResult {
  const prog = filter instanceof Uint8Array ? decodeFilter(filter) : filter;
  const mem = seccompDataBytes(data);
  let a = 0;
  let pc = 0;
  let steps = 0;
  for (;;) {
    const insn = prog[pc];
    if (insn === undefined) throw new Error(`bpf: fell off the end at ${pc}`);
    steps++;
    const jump = (cond: boolean): void => {
      pc += 1 + (cond ? insn.jt : insn.jf);
    };
    switch (insn.code) {
      case BPF.LD_W_ABS:
        if (insn.k % 4 !== 0 || insn.k + 4 > 64) throw new Error(`bpf: bad load offset ${insn.k} at ${pc}`);
        a = mem.getUint32(insn.k, true);
        pc++;
        break;
      case BPF.ALU_AND_K:
        a = (a & insn.k) >>> 0;
        pc++;
        break;
      case BPF.JMP_JA:
        pc += 1 + insn.k;
        break;
      case BPF.JMP_JEQ_K:
        jump(a === insn.k >>> 0);
        break;
      case BPF.JMP_JGT_K:
        jump(a > insn.k >>> 0);
        break;
      case BPF.JMP_JGE_K:
        jump(a >= insn.k >>> 0);
        break;
      case BPF.JMP_JSET_K:
        jump((a & insn.k) !== 0);
        break;
      case BPF.RET_K:
        return { ret: insn.k >>> 0, steps };
      default:
        throw new Error(`bpf: unsupported opcode 0x${insn.code.toString(16)} at ${pc}`);
    }
    if (pc >= prog.length) throw new Error(`bpf: jump out of the program to ${pc}`);
  }
}

/**
 * The static checks the kernel makes before it accepts a seccomp filter (bpf_check_classic
 * and seccomp_check_filter, for the instructions berth emits): 1 to 4096 instructions,
 * known opcodes, every jump inside the program, aligned loads inside `seccomp_data`, and
 * a `ret` as the last instruction. Throws on the first problem.
 */
export function checkFilter(filter: Uint8Array | readonly SockFilter[]): void {
  const prog = filter instanceof Uint8Array ? decodeFilter(filter) : filter;
  if (prog.length === 0 || prog.length > BPF_MAXINSNS) throw new Error(`bpf: length ${prog.length} outside 1..${BPF_MAXINSNS}`);
  prog.forEach((insn, pc) => {
    const inside = (off: number): void => {
      if (pc + 1 + off >= prog.length) throw new Error(`bpf: jump out of the program at ${pc}`);
    };
    switch (insn.code) {
      case BPF.LD_W_ABS:
        if (insn.k % 4 !== 0 || insn.k + 4 > 64) throw new Error(`bpf: bad load offset ${insn.k} at ${pc}`);
        break;
      case BPF.ALU_AND_K:
      case BPF.RET_K:
        break;
      case BPF.JMP_JA:
        inside(insn.k);
        break;
      case BPF.JMP_JEQ_K:
      case BPF.JMP_JGT_K:
      case BPF.JMP_JGE_K:
      case BPF.JMP_JSET_K:
        inside(insn.jt);
        inside(insn.jf);
        break;
      default:
        throw new Error(`bpf: unsupported opcode 0x${insn.code.toString(16)} at ${pc}`);
    }
  });
  if (prog[prog.length - 1]?.code !== BPF.RET_K) throw new Error("bpf: the last instruction is not a ret");
}
