/**
 * Classic BPF as seccomp uses it: instruction encoding and a small assembler with symbolic
 * labels. Conditional jumps in classic BPF reach at most 255 instructions forward (jt/jf
 * are u8); the assembler lowers any longer conditional jump into a short jump over
 * `ja` trampolines (whose offset is 32-bit), growing jumps until the layout is stable.
 */

/** Opcode constants (linux/filter.h, linux/bpf_common.h). */
export const BPF = {
  LD_W_ABS: 0x20, // BPF_LD | BPF_W | BPF_ABS
  ALU_AND_K: 0x54, // BPF_ALU | BPF_AND | BPF_K
  JMP_JA: 0x05, // BPF_JMP | BPF_JA
  JMP_JEQ_K: 0x15, // BPF_JMP | BPF_JEQ | BPF_K
  JMP_JGT_K: 0x25, // BPF_JMP | BPF_JGT | BPF_K
  JMP_JGE_K: 0x35, // BPF_JMP | BPF_JGE | BPF_K
  JMP_JSET_K: 0x45, // BPF_JMP | BPF_JSET | BPF_K
  RET_K: 0x06, // BPF_RET | BPF_K
} as const;

/** The kernel's limit on a filter's length (BPF_MAXINSNS). */
export const BPF_MAXINSNS = 4096;

/** One encoded `struct sock_filter`. */
export interface SockFilter {
  readonly code: number;
  readonly jt: number;
  readonly jf: number;
  readonly k: number;
}

export type JumpOp = "jeq" | "jgt" | "jge" | "jset";

const JUMP_CODES: Record<JumpOp, number> = {
  jeq: BPF.JMP_JEQ_K,
  jgt: BPF.JMP_JGT_K,
  jge: BPF.JMP_JGE_K,
  jset: BPF.JMP_JSET_K,
};

/** An instruction before layout: jumps name labels instead of offsets. */
export type AsmInsn =
  | { readonly kind: "label"; readonly name: string }
  | { readonly kind: "ld"; readonly offset: number }
  | { readonly kind: "and"; readonly k: number }
  | { readonly kind: "ret"; readonly k: number }
  | { readonly kind: "ja"; readonly target: string }
  | { readonly kind: "jmp"; readonly op: JumpOp; readonly k: number; readonly jt: string; readonly jf: string };

/** How a conditional jump is laid out: which of its targets go through a `ja` trampoline. */
type JumpShape = "short" | "far-true" | "far-false" | "far-both";

function sizeOf(insn: AsmInsn, shape: JumpShape): number {
  switch (insn.kind) {
    case "label":
      return 0;
    case "jmp":
      return shape === "short" ? 1 : shape === "far-both" ? 3 : 2;
    default:
      return 1;
  }
}

/**
 * Lays out `insns` and resolves labels. Throws when a label is missing, defined twice or
 * jumped to backwards (classic BPF only jumps forward).
 */
export function assemble(insns: readonly AsmInsn[]): SockFilter[] {
  const shapes: JumpShape[] = insns.map(() => "short");
  const labelIndex = new Map<string, number>();
  insns.forEach((insn, i) => {
    if (insn.kind !== "label") return;
    if (labelIndex.has(insn.name)) throw new Error(`assemble bpf: label "${insn.name}" defined twice`);
    labelIndex.set(insn.name, i);
  });

  // Positions only grow when a jump widens, and a widened jump never narrows, so this
  // terminates after at most one widening step per jump.
  let pos: number[] = [];
  for (;;) {
    pos = [];
    let pc = 0;
    insns.forEach((insn, i) => {
      pos[i] = pc;
      pc += sizeOf(insn, shapes[i] ?? "short");
    });
    const target = (name: string, from: number): number => {
      const idx = labelIndex.get(name);
      if (idx === undefined) throw new Error(`assemble bpf: undefined label "${name}"`);
      const to = pos[idx] ?? 0;
      if (to <= from) throw new Error(`assemble bpf: backward jump to "${name}"`);
      return to;
    };
    let changed = false;
    insns.forEach((insn, i) => {
      if (insn.kind === "ja") target(insn.target, pos[i] ?? 0);
      if (insn.kind !== "jmp") return;
      const at = pos[i] ?? 0;
      const shape = shapes[i] ?? "short";
      // Offsets count from the instruction after the jump; a target reached directly
      // (not through a trampoline) is encoded exactly like this in every shape.
      const tOff = target(insn.jt, at) - (at + 1);
      const fOff = target(insn.jf, at) - (at + 1);
      const tFar = shape === "far-true" || shape === "far-both" || tOff > 255;
      const fFar = shape === "far-false" || shape === "far-both" || fOff > 255;
      const next: JumpShape = tFar && fFar ? "far-both" : tFar ? "far-true" : fFar ? "far-false" : "short";
      if (next !== shape) {
        shapes[i] = next;
        changed = true;
      }
    });
    if (!changed) break;
  }

  // A jump to a `ret` may be replaced by a copy of that `ret` (same size, one step fewer).
  const retAfter = new Map<string, number>();
  for (const [name, idx] of labelIndex) {
    let j = idx;
    while (insns[j]?.kind === "label") j++;
    const next = insns[j];
    if (next?.kind === "ret") retAfter.set(name, next.k >>> 0);
  }
  const out: SockFilter[] = [];
  const at = (name: string): number => pos[labelIndex.get(name) ?? -1] ?? -1;
  const ja = (name: string, pc: number): SockFilter => {
    const k = retAfter.get(name);
    return k !== undefined ? { code: BPF.RET_K, jt: 0, jf: 0, k } : { code: BPF.JMP_JA, jt: 0, jf: 0, k: at(name) - (pc + 1) };
  };
  insns.forEach((insn, i) => {
    const pc = out.length;
    switch (insn.kind) {
      case "label":
        return;
      case "ld":
        out.push({ code: BPF.LD_W_ABS, jt: 0, jf: 0, k: insn.offset });
        return;
      case "and":
        out.push({ code: BPF.ALU_AND_K, jt: 0, jf: 0, k: insn.k >>> 0 });
        return;
      case "ret":
        out.push({ code: BPF.RET_K, jt: 0, jf: 0, k: insn.k >>> 0 });
        return;
      case "ja":
        out.push(ja(insn.target, pc));
        return;
      case "jmp": {
        const code = JUMP_CODES[insn.op];
        const k = insn.k >>> 0;
        const t = at(insn.jt);
        const f = at(insn.jf);
        switch (shapes[i]) {
          case "far-both":
            // jt → first trampoline (offset 0), jf → second (offset 1)
            out.push({ code, jt: 0, jf: 1, k });
            out.push(ja(insn.jt, pc + 1));
            out.push(ja(insn.jf, pc + 2));
            return;
          case "far-true":
            out.push({ code, jt: 0, jf: f - (pc + 1), k });
            out.push(ja(insn.jt, pc + 1));
            return;
          case "far-false":
            out.push({ code, jt: t - (pc + 1), jf: 0, k });
            out.push(ja(insn.jf, pc + 1));
            return;
          default:
            out.push({ code, jt: t - (pc + 1), jf: f - (pc + 1), k });
            return;
        }
      }
    }
  });
  for (const [i, insn] of out.entries()) {
    if (insn.jt < 0 || insn.jt > 255 || insn.jf < 0 || insn.jf > 255 || insn.k < 0) {
      throw new Error(`assemble bpf: instruction ${i} has an out-of-range jump`);
    }
  }
  return out;
}

/** Encodes instructions as `struct sock_filter[]` in host (little-endian) byte order. */
export function encodeFilter(prog: readonly SockFilter[]): Uint8Array {
  const bytes = new Uint8Array(prog.length * 8);
  const view = new DataView(bytes.buffer);
  prog.forEach((insn, i) => {
    view.setUint16(i * 8, insn.code, true);
    view.setUint8(i * 8 + 2, insn.jt);
    view.setUint8(i * 8 + 3, insn.jf);
    view.setUint32(i * 8 + 4, insn.k >>> 0, true);
  });
  return bytes;
}

/** Decodes `struct sock_filter[]` bytes (the inverse of `encodeFilter`). */
export function decodeFilter(bytes: Uint8Array): SockFilter[] {
  if (bytes.length % 8 !== 0) throw new RangeError(`decode bpf: length ${bytes.length} is not a multiple of 8`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: SockFilter[] = [];
  for (let off = 0; off < bytes.length; off += 8) {
    out.push({
      code: view.getUint16(off, true),
      jt: view.getUint8(off + 2),
      jf: view.getUint8(off + 3),
      k: view.getUint32(off + 4, true),
    });
  }
  return out;
}

const SECCOMP_DATA_FIELDS: Readonly<Record<number, string>> = { 0: "nr", 4: "arch", 8: "ip.lo", 12: "ip.hi" };

function fieldName(offset: number): string {
  const known = SECCOMP_DATA_FIELDS[offset];
  if (known !== undefined) return known;
  if (offset >= 16 && offset < 64) return `args[${Math.floor((offset - 16) / 8)}].${offset % 8 === 0 ? "lo" : "hi"}`;
  return `[${offset}]`;
}

/**
 * One line per instruction, in the style of libseccomp's `scmp_bpf_disasm`, with absolute
 * jump targets and `seccomp_data` field names; for debugging and documentation.
 */
export function disassembleFilter(filter: Uint8Array | readonly SockFilter[]): string[] {
  const prog = filter instanceof Uint8Array ? decodeFilter(filter) : filter;
  const hex = (k: number): string => `0x${(k >>> 0).toString(16).padStart(8, "0")}`;
  const ops: Record<number, string> = {
    [BPF.JMP_JEQ_K]: "jeq",
    [BPF.JMP_JGT_K]: "jgt",
    [BPF.JMP_JGE_K]: "jge",
    [BPF.JMP_JSET_K]: "jset",
  };
  return prog.map((insn, pc) => {
    const line = String(pc).padStart(4, "0");
    switch (insn.code) {
      case BPF.LD_W_ABS:
        return `${line}: ld  ${fieldName(insn.k)}`;
      case BPF.ALU_AND_K:
        return `${line}: and ${hex(insn.k)}`;
      case BPF.RET_K:
        return `${line}: ret ${hex(insn.k)}`;
      case BPF.JMP_JA:
        return `${line}: ja  ${pc + 1 + insn.k}`;
      default: {
        const op = ops[insn.code];
        if (op === undefined) return `${line}: ??? code=0x${insn.code.toString(16)} k=${hex(insn.k)}`;
        return `${line}: ${op.padEnd(4)}${hex(insn.k)} true:${pc + 1 + insn.jt} false:${pc + 1 + insn.jf}`;
      }
    }
  });
}
