import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { kindOf } from "../../shared/errors.js";
import { AUDIT_ARCH, X32_SYSCALL_BIT } from "./arch.js";
import { checkFilter, runFilter } from "./bpf-interpreter.js";
import { compileSeccomp, SECCOMP_RET } from "./compile.js";
import {
  defaultSeccompProfile,
  DOCKER_DEFAULT_CAPABILITIES,
  loadDefaultDockerProfile,
  seccompFromDockerProfile,
  type DockerSeccompProfile,
} from "./docker-profile.js";
import { AARCH64_SYSCALLS, ARM_SYSCALLS, I386_SYSCALLS, X32_SYSCALLS, X86_64_SYSCALLS } from "./syscall-tables.js";

const ALLOW = SECCOMP_RET.ALLOW;
const EPERM = (SECCOMP_RET.ERRNO | 1) >>> 0;
const ENOSYS = (SECCOMP_RET.ERRNO | 38) >>> 0;
const X86_64 = AUDIT_ARCH.X86_64;
const CLONE_NEWUSER = 0x10000000;
const CLONE_NEWNS = 0x00020000;
const CLONE_THREAD_FLAGS = 0x003d0f00; // what pthread_create passes
const AF_INET = 2;
const AF_VSOCK = 40;

function nr(name: string, table: ReadonlyMap<string, number> = X86_64_SYSCALLS): number {
  const n = table.get(name);
  assert.ok(n !== undefined, `syscall ${name} in table`);
  return n;
}

const ctx = { capabilities: DOCKER_DEFAULT_CAPABILITIES, arch: "x64", kernelRelease: "6.18.0-berth" } as const;

function dockerFilter(capabilities: readonly string[] = DOCKER_DEFAULT_CAPABILITIES, arch = "x64"): Uint8Array {
  const { filter } = compileSeccomp(defaultSeccompProfile({ ...ctx, capabilities, arch }), arch);
  checkFilter(filter);
  return filter;
}

function call(filter: Uint8Array, name: string, args: readonly (bigint | number)[] = []): number {
  return runFilter(filter, { nr: nr(name), arch: X86_64, args }).ret;
}

test("loadDefaultDockerProfile() reads berth's copy of Docker's default profile unchanged", () => {
  const copy = loadDefaultDockerProfile();
  const source = JSON.parse(readFileSync(new URL("../../../../src/runtime/seccomp/default-profile.json", import.meta.url), "utf8")) as unknown;
  assert.deepEqual(copy, source);
  assert.equal(copy.defaultAction, "SCMP_ACT_ERRNO");
  assert.ok((copy.syscalls?.length ?? 0) > 30);
});

test("seccompFromDockerProfile() picks the native architecture and its sub-architectures from archMap", () => {
  const p = defaultSeccompProfile(ctx);
  assert.deepEqual(p.architectures, ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"]);
  assert.equal(p.defaultAction, "SCMP_ACT_ERRNO");
  assert.equal(p.defaultErrnoRet, 1);
  const arm = defaultSeccompProfile({ ...ctx, arch: "arm64" });
  assert.deepEqual(arm.architectures, ["SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM"]);
});

test("seccompFromDockerProfile() keeps rules by capability, arch and kernel like moby's setupSeccomp", () => {
  const p = defaultSeccompProfile(ctx);
  const rulesFor = (name: string) => (p.syscalls ?? []).filter((s) => s.names.includes(name));
  // includes.caps CAP_SYS_ADMIN: absent by default, so clone keeps only its masked rule
  assert.deepEqual(rulesFor("clone").map((r) => r.args?.[0]?.op), ["SCMP_CMP_MASKED_EQ"]);
  assert.equal(rulesFor("clone")[0]?.args?.[0]?.index, 0, "amd64 uses the non-s390 rule");
  assert.deepEqual(rulesFor("clone3").map((r) => [r.action, r.errnoRet]), [["SCMP_ACT_ERRNO", 38]]);
  assert.equal(rulesFor("arch_prctl").length, 1, "arches amd64 rule kept");
  assert.equal(rulesFor("riscv_flush_icache").length, 0, "riscv64-only rule dropped");
  assert.equal(rulesFor("reboot").length, 0, "needs CAP_SYS_BOOT");
  assert.equal(rulesFor("chroot").length, 1, "CAP_SYS_CHROOT is a default capability");
  assert.ok(rulesFor("ptrace").length >= 1, "minKernel 4.8 holds on 6.18");
  assert.equal(defaultSeccompProfile({ ...ctx, kernelRelease: "4.4.0" }).syscalls?.some((s) => s.names.includes("ptrace") && s.args === undefined && s.names.length === 3), false, "minKernel 4.8 fails on 4.4");

  const admin = defaultSeccompProfile({ ...ctx, capabilities: [...DOCKER_DEFAULT_CAPABILITIES, "CAP_SYS_ADMIN"] });
  const adminClone = (admin.syscalls ?? []).filter((s) => s.names.includes("clone"));
  assert.equal(adminClone.length, 1);
  assert.equal(adminClone[0]?.args, undefined, "CAP_SYS_ADMIN allows clone unconditionally");
  assert.equal((admin.syscalls ?? []).some((s) => s.names.includes("clone3") && s.action === "SCMP_ACT_ERRNO"), false);
});

test("Docker's default profile, compiled for the default capabilities, allows and denies as Docker does", () => {
  const f = dockerFilter();
  assert.ok(f.length / 8 < 4096);
  assert.equal(call(f, "read"), ALLOW);
  assert.equal(call(f, "write"), ALLOW);
  assert.equal(call(f, "execve"), ALLOW);
  assert.equal(call(f, "chroot"), ALLOW);
  assert.equal(call(f, "reboot"), EPERM);
  assert.equal(call(f, "mount"), EPERM);
  assert.equal(call(f, "unshare"), EPERM);
  assert.equal(call(f, "init_module"), EPERM);
  assert.equal(call(f, "bpf"), EPERM);
  assert.equal(call(f, "kexec_load"), EPERM);
  assert.equal(call(f, "open_by_handle_at"), EPERM);
  assert.equal(call(f, "clone3"), ENOSYS, "clone3 → ENOSYS so libc falls back to clone");
  assert.equal(call(f, "fchmodat2"), ALLOW, "syscalls newer than the installed headers are known");
  assert.equal(runFilter(f, { nr: 1000, arch: X86_64 }).ret, ENOSYS, "newer than the profile: ENOSYS (runc's stub)");
  assert.equal(call(f, "uselib"), EPERM, "older but not listed: EPERM");

  assert.equal(call(f, "clone", [CLONE_THREAD_FLAGS]), ALLOW, "threads");
  assert.equal(call(f, "clone", [0x01200011]), ALLOW, "fork");
  assert.equal(call(f, "clone", [CLONE_NEWUSER | 0x11]), EPERM, "CLONE_NEWUSER");
  assert.equal(call(f, "clone", [CLONE_NEWNS]), EPERM, "CLONE_NEWNS");
  assert.equal(call(f, "clone", [(1n << 32n) | 0x11n]), ALLOW, "high bits outside the mask do not matter");

  assert.equal(call(f, "personality", [0]), ALLOW);
  assert.equal(call(f, "personality", [8]), ALLOW);
  assert.equal(call(f, "personality", [0x20000]), ALLOW);
  assert.equal(call(f, "personality", [0x20008]), ALLOW);
  assert.equal(call(f, "personality", [0xffffffff]), ALLOW, "query");
  assert.equal(call(f, "personality", [0x0040000]), EPERM, "ADDR_NO_RANDOMIZE");
  assert.equal(call(f, "personality", [(1n << 32n) | 8n]), EPERM, "64-bit compare");

  assert.equal(call(f, "socket", [AF_INET]), ALLOW);
  assert.equal(call(f, "socket", [37]), ALLOW);
  assert.equal(call(f, "socket", [38]), EPERM, "AF_KCM");
  assert.equal(call(f, "socket", [39]), ALLOW);
  assert.equal(call(f, "socket", [AF_VSOCK]), EPERM, "AF_VSOCK");
  assert.equal(call(f, "socket", [41]), ALLOW);
});

test("Docker's default profile with CAP_SYS_ADMIN allows namespaces and mount", () => {
  const f = dockerFilter([...DOCKER_DEFAULT_CAPABILITIES, "CAP_SYS_ADMIN"]);
  assert.equal(call(f, "clone", [CLONE_NEWUSER]), ALLOW);
  assert.equal(call(f, "clone3"), ALLOW);
  assert.equal(call(f, "mount"), ALLOW);
  assert.equal(call(f, "unshare"), ALLOW);
  assert.equal(call(f, "reboot"), EPERM, "still needs CAP_SYS_BOOT");
  assert.equal(call(dockerFilter([...DOCKER_DEFAULT_CAPABILITIES, "CAP_SYS_BOOT"]), "reboot"), ALLOW);
});

test("Docker's default profile filters i386 and x32 syscalls under their own numbers", () => {
  const f = dockerFilter();
  const i386 = (name: string, args: number[] = []) => runFilter(f, { nr: nr(name, I386_SYSCALLS), arch: AUDIT_ARCH.I386, args }).ret;
  assert.equal(i386("read"), ALLOW);
  assert.equal(i386("socketcall"), ALLOW);
  assert.equal(i386("reboot"), EPERM);
  // A kept rule applies to every ABI in the filter (libseccomp adds it to each arch).
  assert.equal(i386("modify_ldt"), ALLOW);
  assert.equal(i386("mount"), EPERM);
  assert.equal(i386("clone", [CLONE_NEWUSER]), EPERM);
  assert.equal(i386("clone", [CLONE_THREAD_FLAGS]), ALLOW);
  const x32 = (name: string) => runFilter(f, { nr: nr(name, X32_SYSCALLS), arch: X86_64 }).ret;
  assert.equal(x32("read"), ALLOW);
  assert.equal(x32("rt_sigaction"), ALLOW);
  assert.equal(x32("reboot"), EPERM);
  assert.equal(runFilter(f, { nr: X32_SYSCALL_BIT + 169, arch: X86_64 }).ret, EPERM, "x32 reboot by number");
  assert.equal(runFilter(f, { nr: 0, arch: AUDIT_ARCH.AARCH64 }).ret, SECCOMP_RET.KILL_THREAD, "foreign arch");
});

test("Docker's default profile compiles for arm64 hosts", () => {
  const f = dockerFilter(DOCKER_DEFAULT_CAPABILITIES, "arm64");
  const a64 = (name: string, args: number[] = []) => runFilter(f, { nr: nr(name, AARCH64_SYSCALLS), arch: AUDIT_ARCH.AARCH64, args }).ret;
  assert.equal(a64("read"), ALLOW);
  assert.equal(a64("openat"), ALLOW);
  assert.equal(a64("reboot"), EPERM);
  assert.equal(a64("clone", [CLONE_NEWUSER]), EPERM);
  assert.equal(a64("clone", [CLONE_THREAD_FLAGS]), ALLOW);
  assert.equal(runFilter(f, { nr: 0, arch: X86_64 }).ret, SECCOMP_RET.KILL_THREAD);
  const arm = (name: string) => runFilter(f, { nr: nr(name, ARM_SYSCALLS), arch: AUDIT_ARCH.ARM }).ret;
  assert.equal(arm("read"), ALLOW, "arm is arm64's sub-architecture");
  assert.equal(arm("set_tls"), ALLOW, "the arm-only rule");
  assert.equal(arm("reboot"), EPERM);
});

test("seccompFromDockerProfile() honours excludes.arches and the deprecated name field", () => {
  const profile: DockerSeccompProfile = {
    defaultAction: "SCMP_ACT_ERRNO",
    architectures: ["SCMP_ARCH_X86_64"],
    syscalls: [
      { name: "getpid", action: "SCMP_ACT_ALLOW" },
      { names: ["getppid"], action: "SCMP_ACT_ALLOW", excludes: { arches: ["amd64"] } },
      { names: ["gettid"], action: "SCMP_ACT_ALLOW", excludes: { arches: ["arm64"] } },
      { names: ["uname"], action: "SCMP_ACT_ALLOW", includes: { caps: ["CAP_A", "CAP_B"] } },
      { names: ["getuid"], action: "SCMP_ACT_ALLOW", excludes: { minKernel: "6.1" } },
      { names: ["getgid"], action: "SCMP_ACT_ALLOW", includes: { minKernel: "6.19" } },
    ],
  };
  const p = seccompFromDockerProfile(profile, { capabilities: ["CAP_A"], arch: "x64", kernelRelease: "6.18.0" });
  assert.deepEqual(p?.architectures, ["SCMP_ARCH_X86_64"], "architectures kept when there is no archMap");
  assert.deepEqual(p?.syscalls?.map((s) => s.names), [["getpid"], ["gettid"]]);
  const both = seccompFromDockerProfile(profile, { capabilities: ["CAP_A", "CAP_B"], arch: "x64", kernelRelease: "6.0.1" });
  assert.deepEqual(both?.syscalls?.map((s) => s.names), [["getpid"], ["gettid"], ["uname"], ["getuid"]]);
});

test("seccompFromDockerProfile() returns undefined for an empty profile (no seccomp)", () => {
  assert.equal(seccompFromDockerProfile({}, ctx), undefined);
  assert.equal(seccompFromDockerProfile({ defaultAction: "", syscalls: [] }, ctx), undefined);
});

test("seccompFromDockerProfile() rejects inconsistent profiles naming the field", () => {
  const cases: [DockerSeccompProfile, RegExp][] = [
    [{ defaultAction: "SCMP_ACT_ALLOW", architectures: ["SCMP_ARCH_X86_64"], archMap: [{ architecture: "SCMP_ARCH_X86_64" }] }, /both 'architectures' and 'archMap'/],
    [{ defaultAction: "SCMP_ACT_ALLOW", syscalls: [{ name: "read", names: ["write"], action: "SCMP_ACT_ERRNO" }] }, /syscalls\[0\] has both 'name' and 'names'/],
    [{ defaultAction: "SCMP_ACT_ALLOW", syscalls: [{ names: ["read"], action: "SCMP_ACT_ERRNO", includes: { minKernel: "new" } }] }, /syscalls\[0\]\.includes\.minKernel must look like "major.minor", got "new"/],
    [{ syscalls: [{ names: ["read"], action: "SCMP_ACT_ERRNO" }] }, /defaultAction is required/],
  ];
  for (const [profile, message] of cases) {
    assert.throws(
      () => seccompFromDockerProfile(profile, ctx),
      (err: unknown) => err instanceof Error && /^translate seccomp profile: /.test(err.message) && message.test(err.message) && kindOf(err) === "invalid-argument",
      String(message),
    );
  }
});
