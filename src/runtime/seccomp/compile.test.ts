import { test } from "node:test";
import assert from "node:assert/strict";
import { kindOf } from "../../shared/errors.js";
import { AUDIT_ARCH, X32_SYSCALL_BIT } from "./arch.js";
import { checkFilter, runFilter } from "./bpf-interpreter.js";
import { compileSeccomp, SECCOMP_RET } from "./compile.js";
import { AARCH64_SYSCALLS, ARM_SYSCALLS, I386_SYSCALLS, X32_SYSCALLS, X86_64_SYSCALLS } from "./syscall-tables.js";
import type { SeccompOperator, SeccompProfile } from "./types.js";

const ALLOW = SECCOMP_RET.ALLOW;
const errno = (e: number): number => (SECCOMP_RET.ERRNO | e) >>> 0;
const X86_64 = AUDIT_ARCH.X86_64;

function nr(name: string, table: ReadonlyMap<string, number> = X86_64_SYSCALLS): number {
  const n = table.get(name);
  assert.ok(n !== undefined, `syscall ${name} in table`);
  return n;
}

/** What a filter returns for syscall `name` on x86_64 with `args`. */
function call(filter: Uint8Array, name: string, args: readonly (bigint | number)[] = []): number {
  return runFilter(filter, { nr: nr(name), arch: X86_64, args }).ret;
}

test("compileSeccomp() allows listed syscalls and gives the default errno to others", () => {
  const { filter, flags } = compileSeccomp(
    { defaultAction: "SCMP_ACT_ERRNO", syscalls: [{ names: ["read", "write"], action: "SCMP_ACT_ALLOW" }] },
    "x64",
  );
  assert.equal(flags, 0);
  assert.equal(filter.length % 8, 0);
  assert.equal(call(filter, "read"), ALLOW);
  assert.equal(call(filter, "write"), ALLOW);
  assert.equal(call(filter, "open"), errno(1), "SCMP_ACT_ERRNO defaults to EPERM");
  assert.equal(runFilter(filter, { nr: 100_000, arch: X86_64 }).ret, errno(1), "a number past every table");
});

test("compileSeccomp() encodes every action with its errno or trace data", () => {
  const profile: SeccompProfile = {
    defaultAction: "SCMP_ACT_ERRNO",
    defaultErrnoRet: 38,
    syscalls: [
      { names: ["read"], action: "SCMP_ACT_KILL" },
      { names: ["write"], action: "SCMP_ACT_KILL_THREAD" },
      { names: ["open"], action: "SCMP_ACT_KILL_PROCESS" },
      { names: ["close"], action: "SCMP_ACT_TRAP" },
      { names: ["stat"], action: "SCMP_ACT_ERRNO", errnoRet: 13 },
      { names: ["fstat"], action: "SCMP_ACT_ERRNO" },
      { names: ["lstat"], action: "SCMP_ACT_TRACE", errnoRet: 7 },
      { names: ["poll"], action: "SCMP_ACT_TRACE" },
      { names: ["lseek"], action: "SCMP_ACT_LOG" },
      { names: ["mmap"], action: "SCMP_ACT_ALLOW" },
    ],
  };
  const { filter } = compileSeccomp(profile, "x64");
  assert.equal(call(filter, "read"), 0x00000000);
  assert.equal(call(filter, "write"), 0x00000000);
  assert.equal(call(filter, "open"), 0x80000000);
  assert.equal(call(filter, "close"), 0x00030000);
  assert.equal(call(filter, "stat"), 0x0005000d);
  assert.equal(call(filter, "fstat"), 0x00050001);
  assert.equal(call(filter, "lstat"), 0x7ff00007);
  assert.equal(call(filter, "poll"), 0x7ff00001);
  assert.equal(call(filter, "lseek"), 0x7ffc0000);
  assert.equal(call(filter, "mmap"), 0x7fff0000);
  assert.equal(call(filter, "munmap"), 0x00050026, "defaultErrnoRet 38 (ENOSYS)");
});

test("compileSeccomp() maps flag names to SECCOMP_FILTER_FLAG_* bits", () => {
  const { flags } = compileSeccomp(
    { defaultAction: "SCMP_ACT_ALLOW", flags: ["SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW"] },
    "x64",
  );
  assert.equal(flags, 1 | 2 | 4);
});

test("compileSeccomp() skips syscall names unknown on the architecture", () => {
  const { filter } = compileSeccomp(
    { defaultAction: "SCMP_ACT_ERRNO", syscalls: [{ names: ["no_such_syscall", "arm_fadvise64_64", "getpid"], action: "SCMP_ACT_ALLOW" }] },
    "x64",
  );
  assert.equal(call(filter, "getpid"), ALLOW);
  assert.equal(call(filter, "getppid"), errno(1));
});

const U64_MAX = (1n << 64n) - 1n;
const HI = 1n << 32n;

/** The reference semantics: unsigned 64-bit comparisons, libseccomp's. */
function holds(op: SeccompOperator, arg: bigint, value: bigint, valueTwo: bigint): boolean {
  switch (op) {
    case "SCMP_CMP_EQ": return arg === value;
    case "SCMP_CMP_NE": return arg !== value;
    case "SCMP_CMP_LT": return arg < value;
    case "SCMP_CMP_LE": return arg <= value;
    case "SCMP_CMP_GT": return arg > value;
    case "SCMP_CMP_GE": return arg >= value;
    case "SCMP_CMP_MASKED_EQ": return (arg & value) === (valueTwo & value);
  }
}

const OPS: readonly SeccompOperator[] = [
  "SCMP_CMP_EQ", "SCMP_CMP_NE", "SCMP_CMP_LT", "SCMP_CMP_LE", "SCMP_CMP_GT", "SCMP_CMP_GE",
];

/** Values around the 32-bit and 64-bit edges, where a hi/lo split goes wrong first. */
const VALUES: readonly bigint[] = [
  0n, 1n, 2n, 0x7fffffffn, 0x80000000n, 0xfffffffen, 0xffffffffn, HI, HI + 1n, HI - 1n,
  2n * HI, 2n * HI + 5n, 0x123456789n, (1n << 63n) - 1n, 1n << 63n, (1n << 63n) + 1n, U64_MAX - 1n, U64_MAX,
];

for (const op of OPS) {
  test(`compileSeccomp() ${op} compares 64-bit arguments unsigned, at the 32/64-bit boundaries`, () => {
    for (const value of VALUES) {
      const { filter } = compileSeccomp(
        { defaultAction: "SCMP_ACT_ERRNO", syscalls: [{ names: ["ioctl"], action: "SCMP_ACT_ALLOW", args: [{ index: 1, value, op }] }] },
        "x64",
      );
      for (const arg of VALUES) {
        const want = holds(op, arg, value, 0n) ? ALLOW : errno(1);
        assert.equal(call(filter, "ioctl", [0, arg]), want, `${arg} ${op} ${value}`);
      }
    }
  });
}

test("compileSeccomp() SCMP_CMP_MASKED_EQ masks the argument (value = mask, valueTwo = expected)", () => {
  const cases: [bigint, bigint][] = [
    [0x7e020000n, 0n], // Docker's clone: no CLONE_NEW* bit set
    [0xffn, 0x12n],
    [0xff00000000n, 0x1200000000n], // mask only in the high half
    [U64_MAX, 1n << 63n],
    [0xf0n, 0x1fn], // expected value has bits outside the mask: libseccomp masks it too
    [0n, 0n], // empty mask: always holds
    [0xffffffff00000001n, 0xabcdef0000000001n],
  ];
  for (const [mask, expected] of cases) {
    const { filter } = compileSeccomp(
      {
        defaultAction: "SCMP_ACT_ERRNO",
        syscalls: [{ names: ["ioctl"], action: "SCMP_ACT_ALLOW", args: [{ index: 2, value: mask, valueTwo: expected, op: "SCMP_CMP_MASKED_EQ" }] }],
      },
      "x64",
    );
    for (const arg of [...VALUES, expected, expected | ~mask & U64_MAX, 0x10000000n, 0x1200000012n]) {
      const want = holds("SCMP_CMP_MASKED_EQ", arg, mask, expected) ? ALLOW : errno(1);
      assert.equal(call(filter, "ioctl", [0, 0, arg]), want, `(${arg} & ${mask}) == ${expected}`);
    }
  }
});

test("compileSeccomp() ANDs the conditions of one rule on different arguments", () => {
  const { filter } = compileSeccomp(
    {
      defaultAction: "SCMP_ACT_ERRNO",
      syscalls: [{
        names: ["kill"],
        action: "SCMP_ACT_ALLOW",
        args: [
          { index: 0, value: 100, op: "SCMP_CMP_GT" },
          { index: 1, value: 9, op: "SCMP_CMP_NE" },
          { index: 5, value: HI, op: "SCMP_CMP_EQ" },
        ],
      }],
    },
    "x64",
  );
  assert.equal(call(filter, "kill", [101, 15, 0, 0, 0, HI]), ALLOW);
  assert.equal(call(filter, "kill", [100, 15, 0, 0, 0, HI]), errno(1), "arg0 fails");
  assert.equal(call(filter, "kill", [101, 9, 0, 0, 0, HI]), errno(1), "arg1 fails");
  assert.equal(call(filter, "kill", [101, 15, 0, 0, 0, 0]), errno(1), "arg5 fails on the high half");
  assert.equal(call(filter, "kill", [101, 15, 0, 0, 0, HI + 1n]), errno(1), "arg5 fails on the low half");
});

test("compileSeccomp() ORs several rules for one syscall, first match deciding the action", () => {
  const { filter } = compileSeccomp(
    {
      defaultAction: "SCMP_ACT_ERRNO",
      syscalls: [
        { names: ["socket"], action: "SCMP_ACT_ALLOW", args: [{ index: 0, value: 1, op: "SCMP_CMP_EQ" }] },
        { names: ["socket"], action: "SCMP_ACT_ERRNO", errnoRet: 97, args: [{ index: 0, value: 10, op: "SCMP_CMP_EQ" }] },
        { names: ["socket"], action: "SCMP_ACT_ALLOW", args: [{ index: 0, value: 2, op: "SCMP_CMP_EQ" }] },
      ],
    },
    "x64",
  );
  assert.equal(call(filter, "socket", [1]), ALLOW);
  assert.equal(call(filter, "socket", [2]), ALLOW);
  assert.equal(call(filter, "socket", [10]), errno(97));
  assert.equal(call(filter, "socket", [16]), errno(1), "no rule matches: default");
});

test("compileSeccomp() ORs conditions that repeat an argument index, as runc does", () => {
  const { filter } = compileSeccomp(
    {
      defaultAction: "SCMP_ACT_ERRNO",
      syscalls: [{
        names: ["personality"],
        action: "SCMP_ACT_ALLOW",
        args: [{ index: 0, value: 0, op: "SCMP_CMP_EQ" }, { index: 0, value: 8, op: "SCMP_CMP_EQ" }],
      }],
    },
    "x64",
  );
  assert.equal(call(filter, "personality", [0]), ALLOW);
  assert.equal(call(filter, "personality", [8]), ALLOW);
  assert.equal(call(filter, "personality", [4]), errno(1));
});

test("compileSeccomp() lets an unconditional rule cover the syscall whole, as libseccomp does", () => {
  const { filter } = compileSeccomp(
    {
      defaultAction: "SCMP_ACT_ERRNO",
      syscalls: [
        { names: ["kill"], action: "SCMP_ACT_ERRNO", errnoRet: 3, args: [{ index: 1, value: 9, op: "SCMP_CMP_EQ" }] },
        { names: ["kill"], action: "SCMP_ACT_ALLOW" },
        { names: ["kill"], action: "SCMP_ACT_KILL" },
      ],
    },
    "x64",
  );
  assert.equal(call(filter, "kill", [1, 9]), ALLOW);
  assert.equal(call(filter, "kill", [1, 15]), ALLOW);
});

test("compileSeccomp() ignores rules whose action is the default action, as runc does", () => {
  const { filter } = compileSeccomp(
    {
      defaultAction: "SCMP_ACT_ALLOW",
      syscalls: [
        { names: ["mount"], action: "SCMP_ACT_ALLOW" },
        { names: ["mount"], action: "SCMP_ACT_ERRNO", args: [{ index: 3, value: 1, op: "SCMP_CMP_MASKED_EQ", valueTwo: 1 }] },
      ],
    },
    "x64",
  );
  assert.equal(call(filter, "mount", [0, 0, 0, 1]), errno(1), "the ALLOW rule did not cover the syscall");
  assert.equal(call(filter, "mount", [0, 0, 0, 0]), ALLOW);
});

test("compileSeccomp() applies the bad-arch action to an architecture outside the filter", () => {
  const { filter } = compileSeccomp({ defaultAction: "SCMP_ACT_ALLOW" }, "x64");
  assert.equal(runFilter(filter, { nr: 0, arch: X86_64 }).ret, ALLOW);
  assert.equal(runFilter(filter, { nr: 3, arch: AUDIT_ARCH.I386 }).ret, SECCOMP_RET.KILL_THREAD, "i386 not listed");
  assert.equal(runFilter(filter, { nr: 63, arch: AUDIT_ARCH.AARCH64 }).ret, SECCOMP_RET.KILL_THREAD);
  const kp = compileSeccomp({ defaultAction: "SCMP_ACT_ALLOW" }, "x64", { badArchAction: "SCMP_ACT_KILL_PROCESS" });
  assert.equal(runFilter(kp.filter, { nr: 3, arch: AUDIT_ARCH.I386 }).ret, SECCOMP_RET.KILL_PROCESS);
});

test("compileSeccomp() treats x32 syscalls as a separate ABI under the x86_64 audit arch", () => {
  const profile = (architectures: string[]): SeccompProfile => ({
    defaultAction: "SCMP_ACT_ERRNO",
    architectures,
    syscalls: [{ names: ["read", "rt_sigaction"], action: "SCMP_ACT_ALLOW" }],
  });
  const without = compileSeccomp(profile(["SCMP_ARCH_X86_64"]), "x64").filter;
  const x32Read = nr("read", X32_SYSCALLS);
  assert.equal(x32Read, X32_SYSCALL_BIT);
  assert.equal(runFilter(without, { nr: x32Read, arch: X86_64 }).ret, SECCOMP_RET.KILL_THREAD, "x32 not allowed");
  assert.equal(runFilter(without, { nr: 0xfffffffe, arch: X86_64 }).ret, SECCOMP_RET.KILL_THREAD, "x32 bit set");
  assert.equal(runFilter(without, { nr: 0xffffffff, arch: X86_64 }).ret, errno(1), "nr -1 (tracer skip) is not a bad arch");
  assert.equal(runFilter(without, { nr: 0, arch: X86_64 }).ret, ALLOW);

  const withX32 = compileSeccomp(profile(["SCMP_ARCH_X86_64", "SCMP_ARCH_X32"]), "x64").filter;
  assert.equal(runFilter(withX32, { nr: x32Read, arch: X86_64 }).ret, ALLOW);
  assert.equal(runFilter(withX32, { nr: nr("rt_sigaction", X32_SYSCALLS), arch: X86_64 }).ret, ALLOW, "x32's own rt_sigaction (512)");
  assert.equal(runFilter(withX32, { nr: X32_SYSCALL_BIT + 13, arch: X86_64 }).ret, errno(1), "x86_64's rt_sigaction number is not x32's");
  assert.equal(runFilter(withX32, { nr: X32_SYSCALL_BIT + 1, arch: X86_64 }).ret, errno(1), "x32 write is not listed");
  assert.equal(runFilter(withX32, { nr: nr("rt_sigaction"), arch: X86_64 }).ret, ALLOW);
});

test("compileSeccomp() filters i386 with its own syscall numbers and 32-bit arguments", () => {
  const { filter } = compileSeccomp(
    {
      defaultAction: "SCMP_ACT_ERRNO",
      architectures: ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86"],
      syscalls: [
        { names: ["read"], action: "SCMP_ACT_ALLOW" },
        { names: ["personality"], action: "SCMP_ACT_ALLOW", args: [{ index: 0, value: HI + 8n, op: "SCMP_CMP_EQ" }] },
      ],
    },
    "x64",
  );
  const I386 = AUDIT_ARCH.I386;
  assert.equal(runFilter(filter, { nr: nr("read", I386_SYSCALLS), arch: I386 }).ret, ALLOW);
  assert.equal(runFilter(filter, { nr: nr("write", I386_SYSCALLS), arch: I386 }).ret, errno(1));
  // libseccomp compares only the low 32 bits on 32-bit ABIs.
  assert.equal(runFilter(filter, { nr: nr("personality", I386_SYSCALLS), arch: I386, args: [8] }).ret, ALLOW);
  assert.equal(runFilter(filter, { nr: nr("personality", I386_SYSCALLS), arch: I386, args: [9] }).ret, errno(1));
  assert.equal(call(filter, "personality", [8]), errno(1), "x86_64 compares all 64 bits");
  assert.equal(call(filter, "personality", [HI + 8n]), ALLOW);
});

test("compileSeccomp() builds an aarch64 filter from the generic syscall table", () => {
  const { filter } = compileSeccomp(
    { defaultAction: "SCMP_ACT_ERRNO", syscalls: [{ names: ["read", "open", "openat"], action: "SCMP_ACT_ALLOW" }] },
    "arm64",
  );
  const A = AUDIT_ARCH.AARCH64;
  assert.equal(runFilter(filter, { nr: nr("read", AARCH64_SYSCALLS), arch: A }).ret, ALLOW);
  assert.equal(runFilter(filter, { nr: nr("openat", AARCH64_SYSCALLS), arch: A }).ret, ALLOW);
  assert.equal(runFilter(filter, { nr: nr("write", AARCH64_SYSCALLS), arch: A }).ret, errno(1));
  assert.equal(runFilter(filter, { nr: 0, arch: X86_64 }).ret, SECCOMP_RET.KILL_THREAD);
});

test("compileSeccomp() uses long jumps when a program is longer than 255 instructions", () => {
  // 300 syscalls with a condition each: the dispatch tree jumps far past 255.
  const names = [...X86_64_SYSCALLS.keys()].slice(0, 300);
  const { filter } = compileSeccomp(
    {
      defaultAction: "SCMP_ACT_ERRNO",
      syscalls: names.map((name, i) => ({ names: [name], action: "SCMP_ACT_ALLOW" as const, args: [{ index: 0, value: i, op: "SCMP_CMP_EQ" as const }] })),
    },
    "x64",
  );
  assert.ok(filter.length / 8 > 1000);
  checkFilter(filter);
  names.forEach((name, i) => {
    assert.equal(call(filter, name, [i]), ALLOW, name);
    assert.equal(call(filter, name, [i + 1]), errno(1), name);
  });
});

test("compileSeccomp() errors when the program exceeds 4096 instructions", () => {
  const args = [0, 1, 2, 3, 4, 5].map((index) => ({ index, value: 1, op: "SCMP_CMP_LT" as const }));
  const syscalls = [...X86_64_SYSCALLS.keys()].slice(0, 150).map((name) => ({ names: [name], action: "SCMP_ACT_ALLOW" as const, args }));
  assert.throws(
    () => compileSeccomp({ defaultAction: "SCMP_ACT_ERRNO", syscalls }, "x64"),
    (err: unknown) => err instanceof Error && /program has \d+ instructions, more than the kernel's limit of 4096/.test(err.message) && kindOf(err) === "invalid-argument",
  );
});

test("compileSeccomp() gives a dispatch of logarithmic depth, not a linear chain", () => {
  const names = [...X86_64_SYSCALLS.keys()].filter((_, i) => i % 2 === 0);
  const { filter } = compileSeccomp({ defaultAction: "SCMP_ACT_ERRNO", syscalls: [{ names, action: "SCMP_ACT_ALLOW" }] }, "x64");
  let worst = 0;
  for (const n of X86_64_SYSCALLS.values()) worst = Math.max(worst, runFilter(filter, { nr: n, arch: X86_64 }).steps);
  assert.ok(worst <= 16, `worst case ${worst} instructions for ${names.length} alternating syscalls`);
});

const bad: [string, SeccompProfile | Record<string, unknown>, RegExp, string][] = [
  ["unknown default action", { defaultAction: "SCMP_ACT_NOPE" }, /defaultAction must be one of SCMP_ACT_KILL, .*got "SCMP_ACT_NOPE"/, "invalid-argument"],
  ["unknown rule action", { defaultAction: "SCMP_ACT_ALLOW", syscalls: [{ names: ["read"], action: "ALLOW" }] }, /syscalls\[0\]\.action must be one of .*got "ALLOW"/, "invalid-argument"],
  ["unknown operator", { defaultAction: "SCMP_ACT_ALLOW", syscalls: [{ names: ["read"], action: "SCMP_ACT_ERRNO", args: [{ index: 0, value: 1, op: "EQ" }] }] }, /syscalls\[0\]\.args\[0\]\.op must be one of SCMP_CMP_NE, .*got "EQ"/, "invalid-argument"],
  ["argument index 6", { defaultAction: "SCMP_ACT_ALLOW", syscalls: [{ names: ["read"], action: "SCMP_ACT_ERRNO", args: [{ index: 6, value: 1, op: "SCMP_CMP_EQ" }] }] }, /syscalls\[0\]\.args\[0\]\.index must be an integer from 0 to 5, got 6/, "invalid-argument"],
  ["negative value", { defaultAction: "SCMP_ACT_ALLOW", syscalls: [{ names: ["read"], action: "SCMP_ACT_ERRNO", args: [{ index: 0, value: -1, op: "SCMP_CMP_EQ" }] }] }, /syscalls\[0\]\.args\[0\]\.value must be a u64, got -1/, "invalid-argument"],
  ["inexact value", { defaultAction: "SCMP_ACT_ALLOW", syscalls: [{ names: ["read"], action: "SCMP_ACT_ERRNO", args: [{ index: 0, value: 2 ** 60, op: "SCMP_CMP_EQ" }] }] }, /syscalls\[0\]\.args\[0\]\.value .* pass it as a bigint/, "invalid-argument"],
  ["value over 2^64", { defaultAction: "SCMP_ACT_ALLOW", syscalls: [{ names: ["read"], action: "SCMP_ACT_ERRNO", args: [{ index: 1, value: 1n << 64n, op: "SCMP_CMP_EQ" }] }] }, /syscalls\[0\]\.args\[0\]\.value must be a u64/, "invalid-argument"],
  ["empty names", { defaultAction: "SCMP_ACT_ALLOW", syscalls: [{ names: [], action: "SCMP_ACT_ERRNO" }] }, /syscalls\[0\]\.names must be a non-empty array of strings/, "invalid-argument"],
  ["errnoRet out of range", { defaultAction: "SCMP_ACT_ALLOW", syscalls: [{ names: ["read"], action: "SCMP_ACT_ERRNO", errnoRet: 70000 }] }, /syscalls\[0\]\.errnoRet must be an integer from 0 to 65535, got 70000/, "invalid-argument"],
  ["unknown flag", { defaultAction: "SCMP_ACT_ALLOW", flags: ["SECCOMP_FILTER_FLAG_NOPE"] }, /flags\[0\] must be one of SECCOMP_FILTER_FLAG_TSYNC, .*got "SECCOMP_FILTER_FLAG_NOPE"/, "invalid-argument"],
  ["unknown architecture", { defaultAction: "SCMP_ACT_ALLOW", architectures: ["x86_64"] }, /architectures\[0\] must be one of SCMP_ARCH_X86, .*got "x86_64"/, "invalid-argument"],
  ["notify action", { defaultAction: "SCMP_ACT_ALLOW", syscalls: [{ names: ["read"], action: "SCMP_ACT_NOTIFY" }] }, /syscalls\[0\]\.action "SCMP_ACT_NOTIFY" is not supported/, "not-implemented"],
  ["listener path", { defaultAction: "SCMP_ACT_ALLOW", listenerPath: "/run/agent.sock" }, /listenerPath "\/run\/agent.sock" is not supported/, "not-implemented"],
  ["wait-killable flag", { defaultAction: "SCMP_ACT_ALLOW", flags: ["SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"] }, /flags\[0\] "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV" needs a seccomp notify listener/, "not-implemented"],
];

for (const [what, profile, message, kind] of bad) {
  test(`compileSeccomp() rejects a profile with ${what}`, () => {
    assert.throws(
      () => compileSeccomp(profile as SeccompProfile, "x64"),
      (err: unknown) => {
        assert.ok(err instanceof Error);
        assert.match(err.message, /^compile seccomp: /);
        assert.match(err.message, message);
        assert.equal(kindOf(err), kind);
        return true;
      },
    );
  });
}

test("compileSeccomp() rejects a host architecture it has no syscall table for", () => {
  assert.throws(() => compileSeccomp({ defaultAction: "SCMP_ACT_ALLOW" }, "mips"), /architecture "mips" is not supported/);
});

test("compileSeccomp() leaves listed architectures without a table out of the filter", () => {
  const AUDIT_ARCH_RISCV64 = 0xc00000f3;
  const { filter } = compileSeccomp({ defaultAction: "SCMP_ACT_ALLOW", architectures: ["SCMP_ARCH_AARCH64", "SCMP_ARCH_RISCV64"] }, "arm64");
  assert.equal(runFilter(filter, { nr: 63, arch: AUDIT_ARCH_RISCV64 }).ret, SECCOMP_RET.KILL_THREAD);
  assert.equal(runFilter(filter, { nr: 63, arch: AUDIT_ARCH.AARCH64 }).ret, ALLOW);
});

test("compileSeccomp() filters 32-bit ARM, including the ARM-private syscalls", () => {
  const { filter } = compileSeccomp(
    {
      defaultAction: "SCMP_ACT_ERRNO",
      architectures: ["SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM"],
      syscalls: [{ names: ["read", "set_tls", "cacheflush"], action: "SCMP_ACT_ALLOW" }],
    },
    "arm64",
  );
  const arm = (name: string) => runFilter(filter, { nr: nr(name, ARM_SYSCALLS), arch: AUDIT_ARCH.ARM }).ret;
  assert.equal(arm("read"), ALLOW);
  assert.equal(nr("set_tls", ARM_SYSCALLS), 0x0f0005);
  assert.equal(arm("set_tls"), ALLOW);
  assert.equal(arm("cacheflush"), ALLOW);
  assert.equal(arm("write"), errno(1));
  assert.equal(runFilter(filter, { nr: nr("read", AARCH64_SYSCALLS), arch: AUDIT_ARCH.AARCH64 }).ret, ALLOW);
});

test("compileSeccomp() is deterministic, so a compiled profile can be cached and reused", () => {
  const p: SeccompProfile = { defaultAction: "SCMP_ACT_ERRNO", syscalls: [{ names: ["read"], action: "SCMP_ACT_ALLOW" }] };
  assert.deepEqual(compileSeccomp(p, "x64").filter, compileSeccomp(p, "x64").filter);
});

test("compileSeccomp() answers ENOSYS above the highest syscall the profile names, as runc's stub does", () => {
  const profile: SeccompProfile = {
    defaultAction: "SCMP_ACT_ERRNO",
    architectures: ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
    syscalls: [
      { names: ["read", "openat2"], action: "SCMP_ACT_ALLOW" },
      { names: ["reboot"], action: "SCMP_ACT_ERRNO" }, // the default action: still counts for the highest
    ],
  };
  const { filter } = compileSeccomp(profile, "x64");
  const ENOSYS = errno(38);
  const openat2 = nr("openat2"); // 437
  assert.equal(call(filter, "read"), ALLOW);
  assert.equal(call(filter, "write"), errno(1), "below the highest: default");
  assert.equal(runFilter(filter, { nr: openat2, arch: X86_64 }).ret, ALLOW);
  assert.equal(runFilter(filter, { nr: openat2 + 1, arch: X86_64 }).ret, ENOSYS);
  assert.equal(runFilter(filter, { nr: X32_SYSCALL_BIT - 1, arch: X86_64 }).ret, ENOSYS);
  const x32Max = nr("openat2", X32_SYSCALLS);
  assert.equal(runFilter(filter, { nr: x32Max + 1, arch: X86_64 }).ret, ENOSYS, "x32 has its own highest");
  assert.equal(runFilter(filter, { nr: X32_SYSCALL_BIT + 1, arch: X86_64 }).ret, errno(1));
  assert.equal(runFilter(filter, { nr: nr("openat2", I386_SYSCALLS) + 1, arch: AUDIT_ARCH.I386 }).ret, ENOSYS);
  assert.equal(runFilter(filter, { nr: 0xffffffff, arch: AUDIT_ARCH.I386 }).ret, ENOSYS);
  assert.equal(runFilter(filter, { nr: 0, arch: AUDIT_ARCH.AARCH64 }).ret, SECCOMP_RET.KILL_THREAD, "bad arch is unchanged");

  const off = compileSeccomp(profile, "x64", { enosysForNewerSyscalls: false }).filter;
  assert.equal(runFilter(off, { nr: openat2 + 1, arch: X86_64 }).ret, errno(1));
});

test("compileSeccomp() adds no ENOSYS stub for permissive defaults or unlisted architectures", () => {
  const allow = compileSeccomp(
    { defaultAction: "SCMP_ACT_ALLOW", architectures: ["SCMP_ARCH_X86_64"], syscalls: [{ names: ["read"], action: "SCMP_ACT_ERRNO" }] },
    "x64",
  ).filter;
  assert.equal(runFilter(allow, { nr: 400, arch: X86_64 }).ret, ALLOW);
  const unlisted = compileSeccomp({ defaultAction: "SCMP_ACT_ERRNO", syscalls: [{ names: ["read"], action: "SCMP_ACT_ALLOW" }] }, "x64").filter;
  assert.equal(runFilter(unlisted, { nr: 400, arch: X86_64 }).ret, errno(1), "runc only patches listed architectures");
});
