// Loads compiled filters into the kernel for real: a small C helper (built here with gcc)
// sets no_new_privs, installs the filter with seccomp(2) and then makes raw syscalls,
// printing each result. Node itself must never be filtered, so the helper is its own
// short-lived process. Every probed syscall is harmless when it is *not* filtered (bad
// magic for reboot, NULL pointers for mount and clone3), so a wrong filter fails the test
// rather than the machine.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { NATIVE_ARCH, ABIS } from "./arch.js";
import { compileSeccomp } from "./compile.js";
import { defaultSeccompProfile, DOCKER_DEFAULT_CAPABILITIES } from "./docker-profile.js";
import type { SeccompProfile } from "./types.js";

const HELPER_C = String.raw`
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
/* usage: helper FILTER FLAGS NR:A0,A1,... ...  prints "RET ERRNO" per call */
int main(int argc, char **argv) {
  if (argc < 3) return 2;
  int fd = open(argv[1], O_RDONLY);
  if (fd < 0) { perror("open"); return 2; }
  struct stat st;
  if (fstat(fd, &st) < 0) { perror("fstat"); return 2; }
  struct sock_filter *prog = malloc(st.st_size);
  if (!prog || read(fd, prog, st.st_size) != st.st_size) { perror("read"); return 2; }
  struct sock_fprog fprog = { .len = (unsigned short)(st.st_size / sizeof(*prog)), .filter = prog };
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) { perror("prctl"); return 2; }
  if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, strtoul(argv[2], 0, 0), &fprog) < 0) {
    printf("load %d\n", errno); fflush(stdout); return 3;
  }
  for (int i = 3; i < argc; i++) {
    unsigned long long a[6] = {0};
    char *p = argv[i];
    long nr = strtol(p, &p, 0);
    for (int j = 0; j < 6 && *p; j++) a[j] = strtoull(p + 1, &p, 0);
    errno = 0;
    long r = syscall(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
    printf("%ld %d\n", r, r < 0 ? errno : 0);
    fflush(stdout);
  }
  return 0;
}
`;

const abi = ABIS.get(NATIVE_ARCH[process.arch] ?? "");

function sysno(name: string): number {
  const n = abi?.syscalls.get(name);
  assert.ok(n !== undefined, `syscall ${name}`);
  return n;
}

interface Run {
  status: number | null;
  signal: NodeJS.Signals | null;
  results: [number, number][];
  stdout: string;
  /** Instructions in the loaded filter. */
  length: number;
}

function setup(t: { after: (fn: () => void) => void }): (profile: SeccompProfile, calls: string[]) => Run {
  const dir = mkdtempSync(join(tmpdir(), "berth-seccomp-load-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const bin = join(dir, "helper");
  writeFileSync(join(dir, "helper.c"), HELPER_C);
  const cc = spawnSync("gcc", ["-Wall", "-Wextra", "-Werror", "-o", bin, join(dir, "helper.c")], { encoding: "utf8" });
  assert.equal(cc.status, 0, `gcc: ${cc.stderr}`);
  let n = 0;
  return (profile, calls) => {
    const { filter, flags } = compileSeccomp(profile, process.arch);
    const file = join(dir, `filter-${n++}.bpf`);
    writeFileSync(file, filter);
    const r = spawnSync(bin, [file, String(flags), ...calls], { encoding: "utf8", timeout: 10_000 });
    const results = r.stdout.trim().split("\n").filter((l) => /^-?\d+ \d+$/.test(l))
      .map((l) => l.split(" ").map(Number) as [number, number]);
    return { status: r.status, signal: r.signal, results, stdout: r.stdout, length: filter.length / 8 };
  };
}

const EPERM = 1;
const ENOSYS = 38;
const CLONE_NEWUSER = 0x10000000;
const AF_VSOCK = 40;
const SOCK_STREAM = 1;
const ADDR_NO_RANDOMIZE = 0x0040000;

test("the kernel accepts Docker's default profile compiled by berth and enforces it", { skip: abi === undefined ? `no syscall table for ${process.arch}` : false }, (t) => {
  const run = setup(t);
  const profile = defaultSeccompProfile({ capabilities: DOCKER_DEFAULT_CAPABILITIES });
  const calls = [
    `${sysno("getpid")}`,
    `${sysno("reboot")}:0,0,0,0`, // bad magic: EINVAL if it ever got through
    `${sysno("unshare")}:${CLONE_NEWUSER}`,
    `${sysno("clone3")}:0,0`, // NULL args: EFAULT/EINVAL if it ever got through
    `${sysno("socket")}:${AF_VSOCK},${SOCK_STREAM},0`,
    `${sysno("personality")}:${ADDR_NO_RANDOMIZE}`,
    `${sysno("personality")}:0xffffffff`,
    `${sysno("mount")}:0,0,0,0,0`,
    `${1000}`,
  ];
  const r = run(profile, calls);
  assert.equal(r.status, 0, `helper: ${r.stdout}`);
  const errnos = r.results.map(([, e]) => e);
  assert.equal(r.results.length, calls.length);
  assert.ok((r.results[0]?.[0] ?? 0) > 0, "getpid works");
  assert.deepEqual(errnos.slice(1), [EPERM, EPERM, ENOSYS, EPERM, EPERM, 0, EPERM, ENOSYS]);
});

test("the kernel applies berth's argument checks and actions for real", { skip: abi === undefined ? `no syscall table for ${process.arch}` : false }, (t) => {
  const run = setup(t);
  const profile: SeccompProfile = {
    defaultAction: "SCMP_ACT_ALLOW",
    syscalls: [
      { names: ["getppid"], action: "SCMP_ACT_ERRNO", errnoRet: 42 },
      // deny kill(pid, sig) only for pid == 2^32 + 5 (the high half must be compared)
      { names: ["kill"], action: "SCMP_ACT_ERRNO", errnoRet: 77, args: [{ index: 0, value: 2n ** 32n + 5n, op: "SCMP_CMP_EQ" }] },
      { names: ["getpgid"], action: "SCMP_ACT_ERRNO", errnoRet: 55, args: [{ index: 0, value: 0xffff0000, valueTwo: 0x12340000, op: "SCMP_CMP_MASKED_EQ" }] },
    ],
  };
  const r = run(profile, [
    `${sysno("getppid")}`,
    `${sysno("kill")}:${2n ** 32n + 5n},0`,
    `${sysno("getpgid")}:0x12345678`,
    `${sysno("getpgid")}:0`,
  ]);
  assert.equal(r.status, 0, `helper: ${r.stdout}`);
  assert.deepEqual(r.results.map(([, e]) => e), [42, 77, 55, 0]);

  const killed = run({ defaultAction: "SCMP_ACT_ALLOW", syscalls: [{ names: ["getppid"], action: "SCMP_ACT_KILL_PROCESS" }] }, [`${sysno("getpid")}`, `${sysno("getppid")}`]);
  assert.equal(killed.signal, "SIGSYS", "SCMP_ACT_KILL_PROCESS kills with SIGSYS");
  assert.equal(killed.results.length, 1, "getpid ran before");
});

test("the kernel accepts a filter with long jumps and the TSYNC flag", { skip: abi === undefined ? `no syscall table for ${process.arch}` : false }, (t) => {
  const run = setup(t);
  const names = [...(abi?.syscalls.keys() ?? [])].filter((n) => !["exit", "exit_group", "write", "brk", "mmap", "munmap", "fstat", "newfstatat"].includes(n)).slice(0, 200);
  const profile: SeccompProfile = {
    defaultAction: "SCMP_ACT_ALLOW",
    flags: ["SECCOMP_FILTER_FLAG_TSYNC"],
    syscalls: names.map((name, i) => ({ names: [name], action: "SCMP_ACT_ERRNO" as const, errnoRet: 100 + (i % 50), args: [{ index: 5, value: 0xdead0000 + i, op: "SCMP_CMP_EQ" as const }] })),
  };
  const r = run(profile, [`${sysno("getpid")}`, `${sysno("getpid")}:0,0,0,0,0,${0xdead0000 + names.indexOf("getpid")}`]);
  assert.equal(r.status, 0, `helper: ${r.stdout}`);
  assert.ok(r.length > 600, `${r.length} instructions`);
  assert.ok((r.results[0]?.[0] ?? 0) > 0);
  assert.equal(r.results[1]?.[1], 100 + (names.indexOf("getpid") % 50), "the rule far down the program applies");
});
