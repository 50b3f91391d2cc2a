import assert from "node:assert/strict";
import * as fs from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { BerthError, kindOf } from "../../shared/errors.js";
import {
  BPF_DEVCG_ACC_MKNOD, BPF_DEVCG_ACC_READ, BPF_DEVCG_ACC_WRITE, BPF_DEVCG_DEV_BLOCK, BPF_DEVCG_DEV_CHAR, EBPF,
  type EbpfInsn, compileDeviceFilter, compileDeviceFilterInsns, decodeEbpf,
} from "./devices-ebpf.js";
import type { LinuxDeviceCgroup } from "./resources.js";
import { berthDevicesAttacher } from "./v2.js";

const MASK64 = (1n << 64n) - 1n;
const u32 = (v: bigint) => v & 0xffffffffn;
const signExtend32 = (imm: number) => BigInt.asUintN(64, BigInt(imm));

/**
 * Runs a BPF_PROG_TYPE_CGROUP_DEVICE program on one `struct bpf_cgroup_dev_ctx`, with the
 * subset of eBPF semantics the filter uses (ALU32 results zero-extended, 64-bit JMP with a
 * sign-extended immediate, JMP32 on the low halves). Anything else, a jump out of the
 * program, a read outside the 12-byte context or a fall off the end throws: the kernel's
 * verifier would refuse such a program.
 */
function run(prog: readonly EbpfInsn[], type: number, access: number, major: number, minor: number): number {
  const ctx = new DataView(new ArrayBuffer(12));
  ctx.setUint32(0, (access << 16) | type, true);
  ctx.setUint32(4, major >>> 0, true);
  ctx.setUint32(8, minor >>> 0, true);
  const r: bigint[] = new Array<bigint>(11).fill(0n);
  const CTX = 1n << 40n; // R1 holds the context pointer
  r[1] = CTX;
  const reg = (i: number) => r[i] as bigint;
  for (let pc = 0, steps = 0; ; pc++, steps++) {
    assert.ok(pc >= 0 && pc < prog.length, `pc ${pc} inside the program`);
    assert.ok(steps < 10_000, "terminates");
    const x = prog[pc] as EbpfInsn;
    switch (x.code) {
      case EBPF.LDX_MEM_W: {
        assert.equal(reg(x.src), CTX, "loads only from the context");
        assert.ok(x.off >= 0 && x.off <= 8 && x.off % 4 === 0, `aligned load inside the context (off ${x.off})`);
        r[x.dst] = BigInt(ctx.getUint32(x.off, true));
        break;
      }
      case EBPF.ALU32_AND_K:
        r[x.dst] = u32(reg(x.dst)) & u32(BigInt(x.imm >>> 0));
        break;
      case EBPF.ALU32_RSH_K:
        r[x.dst] = u32(reg(x.dst)) >> BigInt(x.imm & 31);
        break;
      case EBPF.ALU32_MOV_K:
        r[x.dst] = BigInt(x.imm >>> 0);
        break;
      case EBPF.ALU32_MOV_X:
        r[x.dst] = u32(reg(x.src));
        break;
      case EBPF.JMP_JNE_K:
        if ((reg(x.dst) & MASK64) !== signExtend32(x.imm)) pc += x.off;
        break;
      case EBPF.JMP_JNE_X:
        if (reg(x.dst) !== reg(x.src)) pc += x.off;
        break;
      case EBPF.JMP32_JNE_K:
        if (u32(reg(x.dst)) !== BigInt(x.imm >>> 0)) pc += x.off;
        break;
      case EBPF.JMP_EXIT:
        return Number(reg(0));
      default:
        assert.fail(`unexpected opcode 0x${x.code.toString(16)}`);
    }
    if (x.code === EBPF.JMP_JNE_K || x.code === EBPF.JMP_JNE_X || x.code === EBPF.JMP32_JNE_K) assert.ok(x.off > 0, "jumps forward");
  }
}

/** The rule list read plainly: in order, the last matching rule decides; none matches → deny. */
function reference(rules: readonly LinuxDeviceCgroup[], type: "b" | "c", access: number, major: number, minor: number): boolean {
  let verdict = false;
  for (const rule of rules) {
    const t = rule.type ?? "a";
    if (t !== "a" && t !== type) continue;
    if (rule.major !== undefined && rule.major !== -1 && rule.major !== major) continue;
    if (rule.minor !== undefined && rule.minor !== -1 && rule.minor !== minor) continue;
    const a = rule.access ?? "rwm";
    const allowed =
      a === "" ? 7 : (a.includes("r") ? BPF_DEVCG_ACC_READ : 0) | (a.includes("w") ? BPF_DEVCG_ACC_WRITE : 0) | (a.includes("m") ? BPF_DEVCG_ACC_MKNOD : 0);
    if ((access & ~allowed) !== 0) continue;
    verdict = rule.allow;
  }
  return verdict;
}

const TYPES = [["b", BPF_DEVCG_DEV_BLOCK], ["c", BPF_DEVCG_DEV_CHAR]] as const;
const MAJORS = [0, 1, 5, 8, 136, 2 ** 31 + 5, 2 ** 32 - 1];
const MINORS = [0, 1, 3, 5, 9, 2 ** 20 - 1];

/** Every (type, major, minor, access) tuple against the reference; returns how many were checked. */
function checkAll(rules: readonly LinuxDeviceCgroup[]): number {
  const prog = decodeEbpf(compileDeviceFilter(rules));
  let n = 0;
  for (const [t, bt] of TYPES) {
    for (const major of MAJORS) {
      for (const minor of MINORS) {
        for (let access = 1; access <= 7; access++) {
          const want = reference(rules, t, access, major, minor);
          const got = run(prog, bt, access, major, minor);
          assert.equal(got, want ? 1 : 0, `${JSON.stringify(rules)}: ${t} ${major}:${minor} access ${access}`);
          n++;
        }
      }
    }
  }
  return n;
}

/** Docker's default device rules (deny all, then the allow list). */
const dockerDefault: LinuxDeviceCgroup[] = [
  { allow: false, access: "rwm" },
  { allow: true, type: "c", major: 1, minor: 5, access: "rwm" },
  { allow: true, type: "c", major: 1, minor: 3, access: "rwm" },
  { allow: true, type: "c", major: 1, minor: 9, access: "rwm" },
  { allow: true, type: "c", major: 1, minor: 8, access: "rwm" },
  { allow: true, type: "c", major: 5, minor: 0, access: "rwm" },
  { allow: true, type: "c", major: 5, minor: 1, access: "rwm" },
  { allow: false, type: "c", major: 10, minor: 229, access: "rwm" },
  { allow: true, type: "c", major: 136, minor: -1, access: "rwm" },
  { allow: true, type: "c", major: 5, minor: 2, access: "rwm" },
  { allow: true, type: "c", major: -1, minor: -1, access: "m" },
  { allow: true, type: "b", major: -1, minor: -1, access: "m" },
];

describe("compileDeviceFilter", () => {
  test("emits runc's program: context loads, one block per rule from the last, default verdict", () => {
    const prog = compileDeviceFilterInsns([
      { allow: false, access: "rwm" },
      { allow: true, type: "c", major: 1, minor: 3, access: "rwm" },
      { allow: true, type: "b", major: 8, access: "r" },
    ]);
    const i = (code: number, dst: number, src: number, off: number, imm: number) => ({ code, dst, src, off, imm });
    assert.deepEqual(prog, [
      i(EBPF.LDX_MEM_W, 2, 1, 0, 0), i(EBPF.ALU32_AND_K, 2, 0, 0, 0xffff),
      i(EBPF.LDX_MEM_W, 3, 1, 0, 0), i(EBPF.ALU32_RSH_K, 3, 0, 0, 16),
      i(EBPF.LDX_MEM_W, 4, 1, 4, 0), i(EBPF.LDX_MEM_W, 5, 1, 8, 0),
      // b 8:* r
      i(EBPF.JMP_JNE_K, 2, 0, 6, BPF_DEVCG_DEV_BLOCK),
      i(EBPF.ALU32_MOV_X, 1, 3, 0, 0), i(EBPF.ALU32_AND_K, 1, 0, 0, BPF_DEVCG_ACC_READ), i(EBPF.JMP_JNE_X, 1, 3, 3, 0),
      i(EBPF.JMP_JNE_K, 4, 0, 2, 8),
      i(EBPF.ALU32_MOV_K, 0, 0, 0, 1), i(EBPF.JMP_EXIT, 0, 0, 0, 0),
      // c 1:3 rwm: no access check
      i(EBPF.JMP_JNE_K, 2, 0, 4, BPF_DEVCG_DEV_CHAR), i(EBPF.JMP_JNE_K, 4, 0, 3, 1), i(EBPF.JMP_JNE_K, 5, 0, 2, 3),
      i(EBPF.ALU32_MOV_K, 0, 0, 0, 1), i(EBPF.JMP_EXIT, 0, 0, 0, 0),
      // a *:* rwm deny is the default
      i(EBPF.ALU32_MOV_K, 0, 0, 0, 0), i(EBPF.JMP_EXIT, 0, 0, 0, 0),
    ]);
  });

  test("encodes struct bpf_insn little-endian: code, dst | src << 4, s16 off, s32 imm", () => {
    const bytes = compileDeviceFilter([{ allow: true, type: "c", major: 1, minor: 3 }]);
    assert.equal(bytes.length % 8, 0);
    assert.deepEqual([...bytes.subarray(0, 8)], [0x61, 0x12, 0, 0, 0, 0, 0, 0]);
    assert.deepEqual([...bytes.subarray(8, 16)], [0x54, 0x02, 0, 0, 0xff, 0xff, 0, 0]);
    assert.deepEqual([...bytes.subarray(6 * 8, 7 * 8)], [0x55, 0x02, 4, 0, 2, 0, 0, 0]);
    assert.deepEqual([...bytes.subarray(bytes.length - 8)], [0x95, 0, 0, 0, 0, 0, 0, 0]);
  });

  test("an empty list denies everything; a lone allow-all allows everything", () => {
    assert.deepEqual(compileDeviceFilterInsns([]).slice(6), [
      { code: EBPF.ALU32_MOV_K, dst: 0, src: 0, off: 0, imm: 0 }, { code: EBPF.JMP_EXIT, dst: 0, src: 0, off: 0, imm: 0 },
    ]);
    const allowAll = decodeEbpf(compileDeviceFilter([{ allow: true }]));
    assert.equal(allowAll.length, 8);
    assert.equal(run(allowAll, BPF_DEVCG_DEV_BLOCK, 7, 8, 0), 1);
    assert.equal(run(decodeEbpf(compileDeviceFilter([])), BPF_DEVCG_DEV_CHAR, BPF_DEVCG_ACC_READ, 1, 3), 0);
  });

  test("rules before the last match-everything rule are dropped", () => {
    const long = compileDeviceFilterInsns([{ allow: true, type: "c", major: 1, minor: 3 }, { allow: false }, { allow: true, type: "c", major: 1, minor: 5 }]);
    const short = compileDeviceFilterInsns([{ allow: false }, { allow: true, type: "c", major: 1, minor: 5 }]);
    assert.deepEqual(long, short);
  });

  test("Docker's default list: /dev/null, ptys and mknod allowed; /dev/sda and /dev/vhost-net not", () => {
    const prog = decodeEbpf(compileDeviceFilter(dockerDefault));
    const R = BPF_DEVCG_ACC_READ, W = BPF_DEVCG_ACC_WRITE, M = BPF_DEVCG_ACC_MKNOD;
    assert.equal(run(prog, BPF_DEVCG_DEV_CHAR, R | W, 1, 3), 1);
    assert.equal(run(prog, BPF_DEVCG_DEV_CHAR, R | W, 136, 4), 1);
    assert.equal(run(prog, BPF_DEVCG_DEV_BLOCK, M, 8, 0), 1);
    assert.equal(run(prog, BPF_DEVCG_DEV_BLOCK, R, 8, 0), 0);
    assert.equal(run(prog, BPF_DEVCG_DEV_CHAR, R | W, 10, 229), 0);
    assert.equal(run(prog, BPF_DEVCG_DEV_CHAR, R, 4, 1), 0);
    assert.equal(checkAll(dockerDefault), 2 * MAJORS.length * MINORS.length * 7);
  });

  const cases: [string, LinuxDeviceCgroup[]][] = [
    ["allow all then deny one", [{ allow: true }, { allow: false, type: "c", major: 1, minor: 5 }]],
    ["deny a whole major, allow one minor of it", [{ allow: false }, { allow: false, type: "c", major: 1 }, { allow: true, type: "c", major: 1, minor: 3, access: "rw" }]],
    ["deny w only on an allowed device (subset match: rw requests are not matched)", [{ allow: true, type: "c", major: 1, minor: 5 }, { allow: false, type: "c", major: 1, minor: 5, access: "w" }]],
    ["type a with a major", [{ allow: true, type: "a", major: 8, access: "rm" }]],
    ["access letters in any order, repeated", [{ allow: true, type: "b", minor: 0, access: "mwrw" }]],
    ["empty access means all", [{ allow: true, type: "c", major: 5, access: "" }]],
    ["numbers of 2^31 and more", [{ allow: true, major: 2 ** 31 + 5 }, { allow: false, type: "c", minor: 2 ** 20 - 1 }, { allow: true, type: "b", major: 2 ** 32 - 1, minor: 9 }]],
    ["allow-all in the middle resets", [{ allow: false, type: "c", major: 1 }, { allow: true, access: "rwm" }, { allow: false, type: "b", access: "m" }]],
    ["deny-all last", [{ allow: true }, { allow: true, type: "c", major: 1, minor: 3 }, { allow: false }]],
  ];
  for (const [name, rules] of cases) {
    test(`matches the reference: ${name}`, () => {
      assert.equal(checkAll(rules), 2 * MAJORS.length * MINORS.length * 7);
    });
  }

  test("matches the reference on 300 random rule lists", () => {
    let seed = 0x2545f491;
    const rnd = (n: number) => {
      seed ^= seed << 13;
      seed ^= seed >>> 17;
      seed ^= seed << 5;
      return (seed >>> 0) % n;
    };
    const pick = <T>(xs: readonly T[]): T => xs[rnd(xs.length)] as T;
    for (let k = 0; k < 300; k++) {
      const rules: LinuxDeviceCgroup[] = [];
      for (let j = rnd(8); j > 0; j--) {
        const rule: { -readonly [K in keyof LinuxDeviceCgroup]: LinuxDeviceCgroup[K] } = { allow: rnd(2) === 0 };
        const type = pick([undefined, "a", "b", "c", "c"]);
        if (type !== undefined) rule.type = type;
        const major = pick([undefined, -1, ...MAJORS]);
        if (major !== undefined) rule.major = major;
        const minor = pick([undefined, -1, ...MINORS]);
        if (minor !== undefined) rule.minor = minor;
        const access = pick([undefined, "r", "w", "m", "rw", "rm", "wm", "rwm", "mr"]);
        if (access !== undefined) rule.access = access;
        rules.push(rule);
      }
      checkAll(rules);
    }
  });

  test("rejects an unknown type, an unknown access letter and device numbers outside u32", () => {
    const bad: [LinuxDeviceCgroup, string][] = [
      [{ allow: true, type: "p" }, 'compile device rule type "p": not one of "a", "b", "c"'],
      [{ allow: true, access: "rx" }, 'compile device rule access "rx": unknown access "x"'],
      [{ allow: true, major: 2 ** 32 }, "compile device rule major 4294967296: not a device number"],
      [{ allow: true, minor: -2 }, "compile device rule minor -2: not a device number"],
      [{ allow: true, minor: 1.5 }, "compile device rule minor 1.5: not a device number"],
    ];
    for (const [rule, message] of bad) {
      assert.throws(() => compileDeviceFilter([rule]), (err: unknown) => {
        assert.ok(err instanceof BerthError);
        assert.equal(kindOf(err), "invalid-argument");
        assert.equal(err.message, message);
        return true;
      });
    }
  });
});

describe("berthDevicesAttacher (a stand-in for berth-devices)", () => {
  /** A temp dir with an executable `helper` running `body` (sh), removed after the test. */
  function helper(t: { after(fn: () => void): void }, body: string): { dir: string; bin: string } {
    const dir = fs.mkdtempSync(join(tmpdir(), "berth-devices-test-"));
    t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
    const bin = join(dir, "helper");
    fs.writeFileSync(bin, `#!/bin/sh\n${body}\n`, { mode: 0o755 });
    return { dir, bin };
  }

  test("passes the cgroup directory as argv[1] and the program bytes on stdin", (t) => {
    const { dir, bin } = helper(t, `printf '%s' "$1" > "$(dirname "$0")/arg"; cat > "$(dirname "$0")/prog"`);
    const program = compileDeviceFilter([{ allow: false }, { allow: true, type: "c", major: 1, minor: 3 }]);
    berthDevicesAttacher(bin)("/sys/fs/cgroup/x", program);
    assert.equal(fs.readFileSync(join(dir, "arg"), "utf8"), "/sys/fs/cgroup/x");
    assert.deepEqual(new Uint8Array(fs.readFileSync(join(dir, "prog"))), program);
  });

  test("turns the JSON error line into a BerthError naming the syscall, kind from the errno", (t) => {
    const { bin } = helper(t, `cat > /dev/null
echo '{"type":"error","syscall":"bpf(BPF_PROG_ATTACH)","errno":1,"message":"Operation not permitted","path":"/c"}' >&2
exit 1`);
    assert.throws(() => berthDevicesAttacher(bin)("/c", new Uint8Array(8)), (err: unknown) => {
      assert.ok(err instanceof BerthError);
      assert.equal(kindOf(err), "permission-denied");
      assert.equal(err.message, "set devices: bpf(BPF_PROG_ATTACH) `/c`: operation not permitted");
      return true;
    });
    const { bin: load } = helper(t, `cat > /dev/null
echo '{"type":"error","syscall":"bpf(BPF_PROG_LOAD)","errno":22,"message":"Invalid argument","verifier":"R0 !read_ok"}' >&2
exit 1`);
    assert.throws(() => berthDevicesAttacher(load)("/c", new Uint8Array(8)), {
      message: "set devices: bpf(BPF_PROG_LOAD): invalid argument (verifier: R0 !read_ok)",
    });
  });

  test("a helper that dies without a JSON line, or is missing, is an internal error", (t) => {
    const { bin } = helper(t, "cat > /dev/null; echo oops >&2; exit 3");
    assert.throws(() => berthDevicesAttacher(bin)("/c", new Uint8Array(8)), (err: unknown) => {
      assert.equal(kindOf(err), "internal");
      assert.equal((err as Error).message, `set devices: \`${bin}\` failed (exit status 3): oops`);
      return true;
    });
    assert.throws(() => berthDevicesAttacher("/nonexistent/berth-devices")("/c", new Uint8Array(8)), {
      message: /^set devices: run `\/nonexistent\/berth-devices`: .*ENOENT/,
    });
  });
});
