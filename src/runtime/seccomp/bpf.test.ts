import { test } from "node:test";
import assert from "node:assert/strict";
import { assemble, BPF, decodeFilter, encodeFilter, type AsmInsn } from "./bpf.js";
import { runFilter } from "./bpf-interpreter.js";

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
  code.push({ kind: "label", name: "T" }, { kind: "ret", k: 1 });
  code.push({ kind: "label", name: "F" }, { kind: "ret", k: 2 });
  return code;
}

test("assemble() keeps a jump short when its targets are within 255 instructions", () => {
  const prog = assemble(farProgram(200, "both"));
  assert.equal(prog.length, 1 + 1 + 1 + 200 + 2);
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
