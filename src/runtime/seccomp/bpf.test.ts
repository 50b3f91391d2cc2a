import { test } from "node:test";
import assert from "node:assert/strict";
import { assemble, BPF, decodeFilter, disassembleFilter, encodeFilter, type AsmInsn } from "./bpf.js";
import { checkFilter, runFilter } from "./bpf-interpreter.js";

const ARCH = 1;

/** `jeq k` at the top, then `gap` filler loads, then two distinct returns. */
function farProgram(gap: number, far: "true" | "false" | "both"): AsmInsn[] {
  const code: AsmInsn[] = [{ kind: "ld", offset: 0 }];
  const near = "near";
  code.push({
    kind: "jmp",
    op: "jeq",
    k: 7,
    jt: far === "false" ? near : "T",
    jf: far === "true" ? near : "F",
  });
  code.push({ kind: "label", name: near }, { kind: "ret", k: 100 });
  for (let i = 0; i < gap; i++) code.push({ kind: "ld", offset: 4 });
  // a load before each ret, so the targets are not plain rets the assembler could copy
  code.push({ kind: "label", name: "T" }, { kind: "ld", offset: 4 }, { kind: "ret", k: 1 });
  code.push({ kind: "label", name: "F" }, { kind: "ld", offset: 4 }, { kind: "ret", k: 2 });
  return code;
}

test("assemble() keeps a jump short when its targets are within 255 instructions", () => {
  const prog = assemble(farProgram(200, "both"));
  assert.equal(prog.length, 1 + 1 + 1 + 200 + 4);
  assert.equal(prog[1]?.code, BPF.JMP_JEQ_K);
  assert.equal(runFilter(prog, { nr: 7, arch: ARCH }).ret, 1);
  assert.equal(runFilter(prog, { nr: 8, arch: ARCH }).ret, 2);
});

for (const far of ["true", "false", "both"] as const) {
  test(`assemble() reaches a ${far} target more than 255 instructions away through ja`, () => {
    const prog = assemble(farProgram(600, far));
    assert.ok(prog.some((i) => i.code === BPF.JMP_JA && i.k > 255), "a long ja is used");
    for (const i of prog) assert.ok(i.jt <= 255 && i.jf <= 255);
    const expectTrue = far === "false" ? 100 : 1;
    const expectFalse = far === "true" ? 100 : 2;
    assert.equal(runFilter(prog, { nr: 7, arch: ARCH }).ret, expectTrue);
    assert.equal(runFilter(prog, { nr: 8, arch: ARCH }).ret, expectFalse);
  });
}

test("assemble() copies a far ret instead of jumping to it", () => {
  const code: AsmInsn[] = [
    { kind: "ld", offset: 0 },
    { kind: "jmp", op: "jeq", k: 1, jt: "R", jf: "n" },
    { kind: "label", name: "n" },
    { kind: "ja", target: "R" },
  ];
  for (let i = 0; i < 400; i++) code.push({ kind: "ret", k: 50 });
  code.push({ kind: "label", name: "R" }, { kind: "ret", k: 9 });
  const prog = assemble(code);
  assert.equal(prog.length, 2 + 1 + 1 + 400 + 1, "one trampoline, same size as a ja");
  assert.deepEqual(prog[2], { code: BPF.RET_K, jt: 0, jf: 0, k: 9 });
  assert.deepEqual(prog[3], { code: BPF.RET_K, jt: 0, jf: 0, k: 9 }, "the ja to a ret became the ret");
  assert.ok(!prog.some((i) => i.code === BPF.JMP_JA));
  assert.equal(runFilter(prog, { nr: 1, arch: ARCH }).ret, 9);
  assert.equal(runFilter(prog, { nr: 2, arch: ARCH }).ret, 9);
});

test("assemble() handles a jump exactly at the 255 boundary and one past it", () => {
  // jt target is `gap` instructions after the one following the jump.
  for (const gap of [254, 255, 256]) {
    const code: AsmInsn[] = [
      { kind: "ld", offset: 0 },
      { kind: "jmp", op: "jeq", k: 1, jt: "T", jf: "n" },
      { kind: "label", name: "n" },
    ];
    for (let i = 0; i < gap; i++) code.push({ kind: "ret", k: 50 });
    code.push({ kind: "label", name: "T" }, { kind: "ret", k: 9 });
    const prog = assemble(code);
    assert.equal(prog.length, 2 + gap + 1 + (gap > 255 ? 1 : 0), `gap ${gap}`);
    assert.equal(runFilter(prog, { nr: 1, arch: ARCH }).ret, 9, `gap ${gap}`);
    assert.equal(runFilter(prog, { nr: 2, arch: ARCH }).ret, 50, `gap ${gap}`);
  }
});

test("assemble() rejects undefined, duplicate and backward labels", () => {
  assert.throws(() => assemble([{ kind: "ja", target: "nowhere" }]), /undefined label "nowhere"/);
  assert.throws(
    () => assemble([{ kind: "label", name: "a" }, { kind: "label", name: "a" }, { kind: "ret", k: 0 }]),
    /label "a" defined twice/,
  );
  assert.throws(
    () => assemble([{ kind: "label", name: "a" }, { kind: "ret", k: 0 }, { kind: "ja", target: "a" }]),
    /backward jump to "a"/,
  );
});

test("encodeFilter() writes struct sock_filter little-endian and decodeFilter() reads it back", () => {
  const prog = [
    { code: BPF.LD_W_ABS, jt: 0, jf: 0, k: 4 },
    { code: BPF.JMP_JEQ_K, jt: 1, jf: 2, k: 0xc000003e },
    { code: BPF.RET_K, jt: 0, jf: 0, k: 0x7fff0000 },
  ];
  const bytes = encodeFilter(prog);
  assert.equal(bytes.length, 24);
  assert.deepEqual([...bytes.subarray(8, 16)], [0x15, 0x00, 0x01, 0x02, 0x3e, 0x00, 0x00, 0xc0]);
  assert.deepEqual(decodeFilter(bytes), prog);
  assert.throws(() => decodeFilter(new Uint8Array(7)), RangeError);
});

/** Runs the label-level program directly: the reference the assembled bytes must match. */
function runAsm(code: readonly AsmInsn[], nr: number): number {
  const at = new Map<string, number>();
  code.forEach((insn, i) => insn.kind === "label" && at.set(insn.name, i));
  let a = 0;
  let pc = 0;
  for (;;) {
    const insn = code[pc];
    if (insn === undefined) throw new Error("fell off");
    switch (insn.kind) {
      case "label": pc++; break;
      case "ld": a = insn.offset === 0 ? nr : 0; pc++; break;
      case "and": a = (a & insn.k) >>> 0; pc++; break;
      case "ret": return insn.k;
      case "ja": pc = at.get(insn.target) ?? -1; break;
      case "jmp": {
        const k = insn.k >>> 0;
        const cond = insn.op === "jeq" ? a === k : insn.op === "jgt" ? a > k : insn.op === "jge" ? a >= k : (a & k) !== 0;
        pc = at.get(cond ? insn.jt : insn.jf) ?? -1;
        break;
      }
    }
  }
}

test("assemble() preserves the meaning of random programs with short and long forward jumps", () => {
  let seed = 7;
  const rnd = (): number => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed / 2 ** 32;
  };
  for (let round = 0; round < 30; round++) {
    const n = 50 + Math.floor(rnd() * 900);
    const code: AsmInsn[] = [{ kind: "ld", offset: 0 }];
    for (let i = 0; i < n; i++) {
      code.push({ kind: "label", name: `L${i}` });
      // forward targets only, some far away
      const tgt = (): string => `L${Math.min(n - 1, i + 1 + Math.floor(rnd() ** 3 * 600))}`;
      const r = rnd();
      if (i === n - 1 || r < 0.15) code.push({ kind: "ret", k: i });
      else if (r < 0.25) code.push({ kind: "ja", target: tgt() });
      else if (r < 0.3) code.push({ kind: "and", k: 0xff });
      else code.push({ kind: "jmp", op: (["jeq", "jgt", "jge", "jset"] as const)[Math.floor(rnd() * 4)] ?? "jeq", k: Math.floor(rnd() * 64), jt: tgt(), jf: tgt() });
    }
    const prog = assemble(code);
    checkFilter(prog);
    for (let nr = 0; nr < 64; nr++) {
      assert.equal(runFilter(prog, { nr, arch: ARCH }).ret, runAsm(code, nr), `round ${round} nr ${nr}`);
    }
  }
});

test("checkFilter() rejects what the kernel would reject", () => {
  const ret = { code: BPF.RET_K, jt: 0, jf: 0, k: 0 };
  assert.throws(() => checkFilter([]), /length 0/);
  assert.throws(() => checkFilter([{ code: BPF.LD_W_ABS, jt: 0, jf: 0, k: 0 }]), /last instruction is not a ret/);
  assert.throws(() => checkFilter([{ code: BPF.LD_W_ABS, jt: 0, jf: 0, k: 2 }, ret]), /bad load offset 2/);
  assert.throws(() => checkFilter([{ code: BPF.LD_W_ABS, jt: 0, jf: 0, k: 64 }, ret]), /bad load offset 64/);
  assert.throws(() => checkFilter([{ code: BPF.JMP_JEQ_K, jt: 1, jf: 0, k: 0 }, ret]), /jump out of the program at 0/);
  assert.throws(() => checkFilter([{ code: 0x07, jt: 0, jf: 0, k: 0 }, ret]), /unsupported opcode 0x7/);
  checkFilter([{ code: BPF.JMP_JEQ_K, jt: 0, jf: 1, k: 0 }, ret, ret]);
});

test("disassembleFilter() names seccomp_data fields and resolves jump targets", () => {
  const lines = disassembleFilter([
    { code: BPF.LD_W_ABS, jt: 0, jf: 0, k: 4 },
    { code: BPF.JMP_JEQ_K, jt: 0, jf: 2, k: 0xc000003e },
    { code: BPF.LD_W_ABS, jt: 0, jf: 0, k: 36 },
    { code: BPF.ALU_AND_K, jt: 0, jf: 0, k: 0xff },
    { code: BPF.JMP_JA, jt: 0, jf: 0, k: 0 },
    { code: BPF.RET_K, jt: 0, jf: 0, k: 0x7fff0000 },
  ]);
  assert.deepEqual(lines, [
    "0000: ld  arch",
    "0001: jeq 0xc000003e true:2 false:4",
    "0002: ld  args[2].hi",
    "0003: and 0x000000ff",
    "0004: ja  5",
    "0005: ret 0x7fff0000",
  ]);
});
