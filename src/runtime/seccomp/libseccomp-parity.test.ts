// Differential tests: the same profile built by libseccomp (the way runc adds rules) and by
// compileSeccomp() must return the same action for every input. Both programs run in the
// same interpreter. Needs gcc and libseccomp-dev; without them the tests skip and say so.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AUDIT_ARCH, X32_SYSCALL_BIT } from "./arch.js";
import { decodeFilter } from "./bpf.js";
import { runFilter } from "./bpf-interpreter.js";
import { compileSeccomp, SECCOMP_RET } from "./compile.js";
import { defaultSeccompProfile, DOCKER_DEFAULT_CAPABILITIES } from "./docker-profile.js";
import { AARCH64_SYSCALLS, X86_64_SYSCALLS } from "./syscall-tables.js";
import type { SeccompArg, SeccompOperator, SeccompProfile, SeccompSyscall } from "./types.js";

const HELPER_C = String.raw`
#include <seccomp.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
static uint32_t arch_token(const char *n) {
  if (!strcmp(n, "SCMP_ARCH_X86_64")) return SCMP_ARCH_X86_64;
  if (!strcmp(n, "SCMP_ARCH_X86")) return SCMP_ARCH_X86;
  if (!strcmp(n, "SCMP_ARCH_X32")) return SCMP_ARCH_X32;
  if (!strcmp(n, "SCMP_ARCH_AARCH64")) return SCMP_ARCH_AARCH64;
  if (!strcmp(n, "SCMP_ARCH_ARM")) return SCMP_ARCH_ARM;
  fprintf(stderr, "bad arch %s\n", n); exit(2);
}
static enum scmp_compare op_of(const char *n) {
  if (!strcmp(n, "SCMP_CMP_NE")) return SCMP_CMP_NE;
  if (!strcmp(n, "SCMP_CMP_LT")) return SCMP_CMP_LT;
  if (!strcmp(n, "SCMP_CMP_LE")) return SCMP_CMP_LE;
  if (!strcmp(n, "SCMP_CMP_EQ")) return SCMP_CMP_EQ;
  if (!strcmp(n, "SCMP_CMP_GE")) return SCMP_CMP_GE;
  if (!strcmp(n, "SCMP_CMP_GT")) return SCMP_CMP_GT;
  if (!strcmp(n, "SCMP_CMP_MASKED_EQ")) return SCMP_CMP_MASKED_EQ;
  fprintf(stderr, "bad op %s\n", n); exit(2);
}
int main(void) {
  char word[64], name[128];
  unsigned long defact;
  if (scanf("%63s %lu", word, &defact) != 2 || strcmp(word, "default")) return 2;
  scmp_filter_ctx ctx = seccomp_init((uint32_t)defact);
  if (!ctx) return 3;
  while (scanf("%63s", word) == 1) {
    if (!strcmp(word, "native")) {
      if (scanf("%127s", name) != 1) return 2;
      if (seccomp_arch_add(ctx, arch_token(name)) < 0) return 4;
      if (seccomp_arch_remove(ctx, SCMP_ARCH_NATIVE) < 0) return 4;
    } else if (!strcmp(word, "arch")) {
      if (scanf("%127s", name) != 1) return 2;
      int rc = seccomp_arch_add(ctx, arch_token(name));
      if (rc < 0 && rc != -EEXIST) return 4;
    } else if (!strcmp(word, "rule")) {
      unsigned long act; unsigned n;
      if (scanf("%lu %127s %u", &act, name, &n) != 3 || n > 6) return 2;
      struct scmp_arg_cmp args[6];
      for (unsigned i = 0; i < n; i++) {
        char op[64]; unsigned idx; unsigned long long a, b;
        if (scanf("%u %63s %llu %llu", &idx, op, &a, &b) != 4) return 2;
        args[i].arg = idx; args[i].op = op_of(op); args[i].datum_a = a; args[i].datum_b = b;
      }
      int nr = seccomp_syscall_resolve_name(name);
      if (nr == __NR_SCMP_ERROR) { printf("unknown %s\n", name); continue; }
      int rc = seccomp_rule_add_array(ctx, (uint32_t)act, nr, n, args);
      if (rc < 0) { fprintf(stderr, "rule %s: %d\n", name, rc); return 6; }
    } else return 2;
  }
  if (seccomp_export_bpf(ctx, 3) < 0) return 5;
  seccomp_release(ctx);
  return 0;
}
`;

/** libseccomp alone has no -ENOSYS stub (runc adds it on top; compile.test.ts covers it). */
const NO_STUB = { enosysForNewerSyscalls: false } as const;
const U64_MAX = (1n << 64n) - 1n;
const HI = 1n << 32n;
const EDGES: readonly bigint[] = [
  0n, 1n, 2n, 7n, 8n, 38n, 39n, 40n, 41n, 0x7fffffffn, 0x80000000n, 0xffffffffn, HI, HI + 1n,
  HI + 8n, 0x123456789n, (1n << 63n) - 1n, 1n << 63n, U64_MAX - 1n, U64_MAX,
  0x10000000n, 0x7e020000n, 0x003d0f00n, 0x20008n,
];

/** Action value as runc computes it (the compiler's encoding is tested elsewhere). */
function actionOf(rule: { action: string; errnoRet?: number }): number {
  switch (rule.action) {
    case "SCMP_ACT_ALLOW": return SECCOMP_RET.ALLOW;
    case "SCMP_ACT_ERRNO": return (SECCOMP_RET.ERRNO | (rule.errnoRet ?? 1)) >>> 0;
    case "SCMP_ACT_TRAP": return SECCOMP_RET.TRAP;
    case "SCMP_ACT_KILL_PROCESS": return SECCOMP_RET.KILL_PROCESS;
    case "SCMP_ACT_KILL": return SECCOMP_RET.KILL_THREAD;
    case "SCMP_ACT_LOG": return SECCOMP_RET.LOG;
    default: throw new Error(`no action value for ${rule.action}`);
  }
}

/** The helper's input for `profile`, adding rules as runc's seccomp.InitSeccomp does. */
function helperInput(profile: SeccompProfile, nativeArch: string): string {
  const def = actionOf({ action: profile.defaultAction, ...(profile.defaultErrnoRet !== undefined ? { errnoRet: profile.defaultErrnoRet } : {}) });
  const lines = [`default ${def}`];
  if (nativeArch !== "SCMP_ARCH_X86_64") lines.push(`native ${nativeArch}`);
  for (const a of profile.architectures ?? []) lines.push(`arch ${a}`);
  for (const rule of profile.syscalls ?? []) {
    const act = actionOf(rule);
    if (act === def) continue;
    const args = rule.args ?? [];
    const idx = args.map((a) => a.index);
    const groups = new Set(idx).size < idx.length ? args.map((a) => [a]) : [args];
    for (const name of rule.names) {
      for (const g of groups) {
        const conds = g.map((a) => {
          const masked = a.op === "SCMP_CMP_MASKED_EQ";
          return `${a.index} ${a.op} ${BigInt(a.value)} ${masked ? BigInt(a.valueTwo ?? 0) : 0n}`;
        });
        lines.push(`rule ${act} ${name} ${g.length} ${conds.join(" ")}`.trimEnd());
      }
    }
  }
  return lines.join("\n") + "\n";
}

interface Libseccomp {
  build(profile: SeccompProfile, nativeArch?: string): { filter: Uint8Array; unknown: string[] };
}

function setup(t: { after: (fn: () => void) => void; skip: (msg: string) => void }): Libseccomp | undefined {
  if (!existsSync("/usr/include/seccomp.h")) {
    t.skip("libseccomp-dev is not installed (no /usr/include/seccomp.h)");
    return undefined;
  }
  const dir = mkdtempSync(join(tmpdir(), "berth-seccomp-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, "helper.c"), HELPER_C);
  const bin = join(dir, "helper");
  const cc = spawnSync("gcc", ["-Wall", "-Wextra", "-Werror", "-o", bin, join(dir, "helper.c"), "-lseccomp"], { encoding: "utf8" });
  assert.equal(cc.status, 0, `gcc: ${cc.stderr}`);
  return {
    build(profile, nativeArch = "SCMP_ARCH_X86_64") {
      const r = spawnSync(bin, [], {
        input: helperInput(profile, nativeArch),
        stdio: ["pipe", "pipe", "pipe", "pipe"],
        maxBuffer: 1 << 24,
      });
      assert.equal(r.status, 0, `libseccomp helper: ${r.stderr.toString()}`);
      const out = r.output[3];
      assert.ok(out instanceof Buffer);
      const unknown = r.stdout.toString().split("\n").filter((l) => l.startsWith("unknown ")).map((l) => l.slice(8));
      return { filter: new Uint8Array(out), unknown };
    },
  };
}

/** Drops names libseccomp does not know, so both sides filter the same syscalls. */
function withoutNames(profile: SeccompProfile, drop: readonly string[]): SeccompProfile {
  const syscalls = (profile.syscalls ?? [])
    .map((s) => ({ ...s, names: s.names.filter((n) => !drop.includes(n)) }))
    .filter((s) => s.names.length > 0);
  return { ...profile, syscalls };
}

interface Input { nr: number; arch: number; args: readonly bigint[] }

/** Runs both programs on every input; returns the count and the instructions each executed. */
function compare(ours: Uint8Array, theirs: Uint8Array, inputs: Iterable<Input>): { n: number; steps: string } {
  const o = decodeFilter(ours);
  const l = decodeFilter(theirs);
  let n = 0;
  const st = { o: 0, l: 0, oMax: 0, lMax: 0 };
  for (const input of inputs) {
    const ra = runFilter(o, input);
    const rb = runFilter(l, input);
    const a = ra.ret;
    const b = rb.ret;
    st.o += ra.steps;
    st.l += rb.steps;
    st.oMax = Math.max(st.oMax, ra.steps);
    st.lMax = Math.max(st.lMax, rb.steps);
    if (a !== b) {
      assert.fail(`nr ${input.nr} arch 0x${input.arch.toString(16)} args [${input.args.join(", ")}]: berth 0x${a.toString(16)}, libseccomp 0x${b.toString(16)}`);
    }
    n++;
  }
  const avg = (x: number): string => (x / Math.max(n, 1)).toFixed(1);
  return { n, steps: `instructions run per input: berth avg ${avg(st.o)} max ${st.oMax}, libseccomp avg ${avg(st.l)} max ${st.lMax}` };
}

function* sweep(archs: readonly number[], argSets: readonly (readonly bigint[])[]): Generator<Input> {
  const nrs: number[] = [];
  for (let i = 0; i < 600; i++) nrs.push(i, X32_SYSCALL_BIT + i);
  nrs.push(0x3fffffff, 0x80000000, 0xfffffffe, 0xffffffff);
  for (let i = 0; i < 8; i++) nrs.push(0x0f0000 + i); // ARM-private calls
  for (const arch of archs) for (const nr of nrs) for (const args of argSets) yield { nr, arch, args };
}

const dockerArgSets: readonly (readonly bigint[])[] = [[], ...EDGES.map((v) => [v, v, v]), [0x11n, HI], [HI | 0x11n]];

test("compileSeccomp() matches libseccomp on Docker's default profile (x86_64, x86, x32)", (t) => {
  const lib = setup(t);
  if (lib === undefined) return;
  for (const caps of [DOCKER_DEFAULT_CAPABILITIES, [...DOCKER_DEFAULT_CAPABILITIES, "CAP_SYS_ADMIN", "CAP_SYS_PTRACE"]]) {
    const profile = defaultSeccompProfile({ capabilities: caps, arch: "x64", kernelRelease: "6.18.0" });
    const first = lib.build(profile);
    const same = withoutNames(profile, first.unknown);
    const theirs = lib.build(same).filter;
    const ours = compileSeccomp(same, "x64", NO_STUB).filter;
    const r = compare(ours, theirs, sweep([AUDIT_ARCH.X86_64, AUDIT_ARCH.I386, AUDIT_ARCH.AARCH64], dockerArgSets));
    t.diagnostic(`${caps.length} caps: ${r.n} inputs agree; length berth ${ours.length / 8}, libseccomp ${theirs.length / 8}; ${r.steps}`);
  }
});

test("compileSeccomp() matches libseccomp on Docker's default profile for aarch64 (and arm)", (t) => {
  const lib = setup(t);
  if (lib === undefined) return;
  const a64 = defaultSeccompProfile({ capabilities: DOCKER_DEFAULT_CAPABILITIES, arch: "arm64", kernelRelease: "6.18.0" });
  assert.deepEqual(a64.architectures, ["SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM"]);
  const first = lib.build(a64, "SCMP_ARCH_AARCH64");
  const same = withoutNames(a64, first.unknown);
  const theirs = lib.build(same, "SCMP_ARCH_AARCH64").filter;
  const ours = compileSeccomp(same, "arm64", NO_STUB).filter;
  const r = compare(ours, theirs, sweep([AUDIT_ARCH.AARCH64, AUDIT_ARCH.X86_64, AUDIT_ARCH.ARM], dockerArgSets));
  t.diagnostic(`${r.n} inputs agree; length berth ${ours.length / 8}, libseccomp ${theirs.length / 8}; ${r.steps}`);
});

/** A small deterministic PRNG (mulberry32) so failures reproduce. */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let x = s;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 2 ** 32;
  };
}

test("compileSeccomp() matches libseccomp on random argument rules (all operators, 64-bit values)", (t) => {
  const lib = setup(t);
  if (lib === undefined) return;
  const ops: SeccompOperator[] = ["SCMP_CMP_NE", "SCMP_CMP_LT", "SCMP_CMP_LE", "SCMP_CMP_EQ", "SCMP_CMP_GE", "SCMP_CMP_GT", "SCMP_CMP_MASKED_EQ"];
  const actions = [
    { action: "SCMP_ACT_ALLOW" as const },
    { action: "SCMP_ACT_ERRNO" as const, errnoRet: 13 },
    { action: "SCMP_ACT_TRAP" as const },
    { action: "SCMP_ACT_LOG" as const },
  ];
  const names = ["read", "write", "ioctl", "kill", "socket", "personality", "mmap", "prctl"];
  let total = 0;
  for (let seed = 1; seed <= 60; seed++) {
    const rnd = prng(seed);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)] as T;
    const value = (): bigint => (rnd() < 0.7 ? pick(EDGES) : BigInt.asUintN(64, BigInt(Math.floor(rnd() * 2 ** 32)) << BigInt(pick([0, 16, 32]))));
    const syscalls: SeccompSyscall[] = [];
    for (const name of names) {
      const act = pick(actions);
      // One rule per syscall: libseccomp 2.5.4 mis-merges some pairs of rules on the same
      // syscall (two ALLOW rules with SCMP_CMP_LE on one argument lose an alternative), so
      // ORed rules are checked against the reference semantics in compile.test.ts instead.
      {
        const indexes = [0, 1, 2, 3, 4, 5].filter(() => rnd() < 0.35).slice(0, 3);
        const args: SeccompArg[] = indexes.map((index) => {
          const op = pick(ops);
          return op === "SCMP_CMP_MASKED_EQ" ? { index, op, value: value(), valueTwo: value() } : { index, op, value: value() };
        });
        syscalls.push({ names: [name], ...act, ...(args.length > 0 ? { args } : {}) });
      }
    }
    const profile: SeccompProfile = { defaultAction: "SCMP_ACT_ERRNO", defaultErrnoRet: 1, syscalls };
    const theirs = lib.build(profile).filter;
    const ours = compileSeccomp(profile, "x64", NO_STUB).filter;
    const inputs = function* (): Generator<Input> {
      for (const name of names) {
        const nr = X86_64_SYSCALLS.get(name) ?? 0;
        for (let i = 0; i < 300; i++) {
          yield { nr, arch: AUDIT_ARCH.X86_64, args: [0, 1, 2, 3, 4, 5].map(() => (rnd() < 0.5 ? pick(EDGES) : value())) };
        }
      }
    };
    try {
      total += compare(ours, theirs, inputs()).n;
    } catch (err) {
      const rules = JSON.stringify(syscalls, (_, v: unknown) => (typeof v === "bigint" ? `0x${v.toString(16)}` : v));
      throw new Error(`seed ${seed}: ${(err as Error).message}\nrules: ${rules}`, { cause: err });
    }
  }
  t.diagnostic(`${total} random inputs agree`);
  assert.ok(AARCH64_SYSCALLS.size > 0);
});
