import { test } from "node:test";
import assert from "node:assert/strict";
import { sh } from "../../helpers/bundle.js";

test("seccomp: a profile denying mkdir with EPERM makes busybox mkdir fail", () => {
  const r = sh("mkdir /tmp/a && echo made; touch /tmp/f && echo touched", (s) => {
    s.mounts.push({ destination: "/tmp", type: "tmpfs", source: "tmpfs" });
    s.linux.seccomp = {
      defaultAction: "SCMP_ACT_ALLOW",
      architectures: ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
      syscalls: [{ names: ["mkdir", "mkdirat"], action: "SCMP_ACT_ERRNO", errnoRet: 1 }],
    };
  });
  assert.equal(r.stdout, "touched\n");
  assert.match(r.stderr, /mkdir: can't create directory '\/tmp\/a': Operation not permitted/);
});

test("seccomp: errnoRet and argument conditions select the calls to deny", () => {
  // kill(pid, SIGUSR1) fails with EACCES (13); kill(pid, 0) is allowed.
  const r = sh("kill -0 $$ && echo probe-ok; kill -USR1 $$ || echo usr1-denied", (s) => {
    s.process.noNewPrivileges = false;
    s.linux.seccomp = {
      defaultAction: "SCMP_ACT_ALLOW",
      syscalls: [{ names: ["kill"], action: "SCMP_ACT_ERRNO", errnoRet: 13, args: [{ index: 1, value: 10, op: "SCMP_CMP_EQ" }] }],
    };
  });
  assert.equal(r.stdout, "probe-ok\nusr1-denied\n");
  assert.match(r.stderr, /Permission denied/);
});

test("seccomp: SCMP_ACT_KILL_PROCESS kills a process making the listed call", () => {
  const r = sh("echo start; (stat -f / >/dev/null); echo rc=$?", (s) => {
    s.linux.seccomp = { defaultAction: "SCMP_ACT_ALLOW", syscalls: [{ names: ["statfs"], action: "SCMP_ACT_KILL_PROCESS" }] };
  });
  // 159 = 128 + SIGSYS; the subshell forks (busybox runs applets inside the shell otherwise).
  assert.equal(r.stdout, "start\nrc=159\n");
});
