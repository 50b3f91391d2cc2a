/**
 * The isolation run flags of issue 4 (sysctls, security options, namespace modes, cgroup
 * parent) and the stop signal/timeout, observed from inside the container through berth and
 * the real docker CLI; bad values refused with a clear error and nothing created.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, readlinkSync, rmdirSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { httpCall, startDaemon, type TestDaemon } from "../daemon/daemon-helper.js";

async function ok(r: Promise<{ code: number; stdout: string; stderr: string }>): Promise<string> {
  const res = await r;
  assert.equal(res.code, 0, res.stderr);
  return res.stdout;
}

async function count(d: TestDaemon): Promise<number> {
  const r = await d.docker(["ps", "-aq"]);
  return r.stdout.split("\n").filter((l) => l !== "").length;
}

/** A refused create: the error names the problem, and no container exists afterwards. */
async function refused(d: TestDaemon, r: Promise<{ code: number; stderr: string }>, msg: RegExp): Promise<void> {
  const before = await count(d);
  const res = await r;
  assert.notEqual(res.code, 0);
  assert.match(res.stderr, msg);
  assert.equal(await count(d), before, "nothing created");
}

test("isolation run flags and stop options through berth and docker", async (t) => {
  const d = await startDaemon(t);

  await t.test("sysctl: namespaced values are set, others refused", async () => {
    assert.equal(await ok(d.docker(["run", "--rm", "--sysctl", "net.ipv4.ip_forward=1", "--sysctl", "kernel.shmmax=1000000", "busybox", "sh", "-c",
      "cat /proc/sys/net/ipv4/ip_forward /proc/sys/kernel/shmmax"])), "1\n1000000\n");
    await refused(d, d.docker(["run", "--rm", "--sysctl", "kernel.modprobe=/x", "busybox", "true"]), /sysctl 'kernel.modprobe=\/x' is not allowed/);
    await refused(d, d.berth(["run", "--rm", "--network", "host", "--sysctl", "net.ipv4.ip_forward=1", "busybox", "true"]), /sysctl "net.ipv4.ip_forward" is not allowed in the hosts network namespace/);
    const body = JSON.stringify({ Image: "busybox", Cmd: ["true"], HostConfig: { Sysctls: { "kernel.modprobe": "/x" } } });
    const before = await count(d);
    const r = await httpCall(d.socket, "POST", "/containers/create", body);
    assert.equal(r.status, 400);
    assert.match(r.body, /sysctl \\"kernel.modprobe\\" is not in a separate kernel namespace/);
    assert.equal(await count(d), before);
  });

  await t.test("security-opt: no-new-privileges, seccomp unconfined and from a file", async () => {
    assert.match(await ok(d.docker(["run", "--rm", "--security-opt", "no-new-privileges", "busybox", "grep", "NoNewPrivs", "/proc/self/status"])), /NoNewPrivs:\s+1/);
    assert.match(await ok(d.berth(["run", "--rm", "busybox", "grep", "NoNewPrivs", "/proc/self/status"])), /NoNewPrivs:\s+0/);
    assert.match(await ok(d.docker(["run", "--rm", "--security-opt", "seccomp=unconfined", "--security-opt", "apparmor=unconfined", "--security-opt", "label=disable",
      "busybox", "grep", "Seccomp:", "/proc/self/status"])), /Seccomp:\s+0/);
    const profile = join(d.dir, "no-mkdir.json");
    writeFileSync(profile, JSON.stringify({ defaultAction: "SCMP_ACT_ALLOW", syscalls: [{ names: ["mkdir", "mkdirat"], action: "SCMP_ACT_ERRNO" }] }));
    for (const cli of [d.docker.bind(d), d.berth.bind(d)]) {
      const r = await cli(["run", "--rm", "--security-opt", `seccomp=${profile}`, "busybox", "sh", "-c", "mkdir /tmp/x"]);
      assert.equal(r.code, 1);
      assert.match(r.stderr, /can't create directory '\/tmp\/x': Operation not permitted/);
    }
    await refused(d, d.docker(["run", "--rm", "--security-opt", "bogus=1", "busybox", "true"]), /invalid --security-opt 2: "bogus=1"/);
    await refused(d, d.berth(["run", "--rm", "--security-opt", "foo", "busybox", "true"]), /Invalid --security-opt: "foo"/);
  });

  await t.test("namespace modes: ipc/pid/uts host, cgroupns private, pid/ipc container:X", async () => {
    const self = (ns: string) => readlinkSync(`/proc/self/ns/${ns}`);
    const out = await ok(d.docker(["run", "--rm", "--ipc", "host", "--pid", "host", "--uts", "host", "--cgroupns", "private", "busybox", "sh", "-c",
      "for n in ipc pid uts cgroup; do readlink /proc/self/ns/$n; done; hostname"]));
    const [ipc, pid, uts, cg, host] = out.split("\n");
    assert.equal(ipc, self("ipc"));
    assert.equal(pid, self("pid"));
    assert.equal(uts, self("uts"));
    assert.notEqual(cg, self("cgroup"));
    assert.equal(host, hostname());
    const priv = await ok(d.berth(["run", "--rm", "busybox", "sh", "-c", "readlink /proc/self/ns/ipc; readlink /proc/self/ns/pid"]));
    assert.ok(!priv.includes(self("ipc")) && !priv.includes(self("pid")), priv);
    const donor = `donor-${process.pid}`;
    const privDonor = `private-${process.pid}`;
    await ok(d.docker(["run", "-d", "--name", donor, "--ipc", "shareable", "--shm-size", "8m", "busybox", "sh", "-c", "echo shared > /dev/shm/x; exec sleep 100"]));
    await ok(d.berth(["run", "-d", "--name", privDonor, "busybox", "sleep", "100"]));
    try {
      const want = await ok(d.docker(["exec", donor, "sh", "-c", "readlink /proc/self/ns/ipc; readlink /proc/self/ns/pid"]));
      const got = await ok(d.docker(["run", "--rm", "--ipc", `container:${donor}`, "--pid", `container:${donor}`, "busybox", "sh", "-c",
        "readlink /proc/self/ns/ipc; readlink /proc/self/ns/pid; ps -o pid,args | grep -c '[s]leep 100'; cat /dev/shm/x; df -k /dev/shm | tail -1"]));
      assert.match(got, new RegExp(`^${want.replace(/[[\]]/g, "\\$&")}1\nshared\n\\S+\\s+8192\\s`), "the donor's namespaces and its /dev/shm tmpfs");
      await refused(d, d.docker(["run", "--rm", "--ipc", `container:${privDonor}`, "busybox", "true"]), /non-shareable IPC \(hint: use IpcMode:shareable for the donor container\)/);
    } finally {
      await d.docker(["rm", "-f", donor, privDonor]);
    }
    assert.ok(!readFileSync("/proc/self/mountinfo", "utf8").includes(`${d.dataRoot}/containers/`), "no shm tmpfs left mounted");
    await refused(d, d.docker(["run", "--rm", "--pid", "container:no-such-ctr", "busybox", "true"]), /No such container: no-such-ctr/);
    await refused(d, d.docker(["run", "--rm", "--ipc", "bogus", "busybox", "true"]), /invalid IPC mode: bogus/);
    await refused(d, d.berth(["run", "--rm", "--uts", "host", "-h", "x", "busybox", "true"]), /conflicting options: hostname and the UTS mode/);
    await refused(d, d.berth(["run", "--rm", "--cgroupns", "bogus", "busybox", "true"]), /invalid cgroup namespace mode: bogus/);
    assert.equal(await ok(d.docker(["run", "--rm", "--userns", "host", "busybox", "echo", "ok"])), "ok\n");
  });

  await t.test("cgroup-parent", async () => {
    const parent = `/berth-it-parent-${process.pid}`;
    try {
      const out = await ok(d.docker(["run", "--rm", "--cgroup-parent", parent, "busybox", "cat", "/proc/self/cgroup"]));
      assert.match(out, new RegExp(`:memory:${parent}/[0-9a-f]{64}\\n`));
    } finally {
      for (const h of ["cpu,cpuacct", "cpu", "cpuacct", "cpuset", "memory", "devices", "freezer", "blkio", "pids", "systemd", "unified", "net_cls", "perf_event", "hugetlb"]) {
        try {
          rmdirSync(`/sys/fs/cgroup/${h}${parent}`);
        } catch {
          // not in this hierarchy
        }
      }
    }
  });

  await t.test("stop-signal and stop-timeout reach stop; a bad signal is refused", async () => {
    const name = `stopper-${process.pid}`;
    await ok(d.docker(["run", "-d", "--name", name, "--stop-signal", "USR1", "--stop-timeout", "30", "busybox", "sh", "-c",
      "trap 'echo got-usr1; exit 5' USR1; echo ready; while :; do sleep 0.1; done"]));
    try {
      for (let i = 0; i < 50 && !(await d.docker(["logs", name])).stdout.includes("ready"); i++) await new Promise((r) => setTimeout(r, 100));
      const t0 = Date.now();
      await ok(d.berth(["stop", name]));
      assert.ok(Date.now() - t0 < 10_000, "stopped by the trap, not by a SIGKILL after the timeout");
      assert.equal((await ok(d.docker(["logs", name]))).trim(), "ready\ngot-usr1");
      assert.equal((await ok(d.docker(["inspect", "-f", "{{.State.ExitCode}} {{.Config.StopSignal}} {{.Config.StopTimeout}}", name]))).trim(), "5 USR1 30");
    } finally {
      await d.docker(["rm", "-f", name]);
    }
    await refused(d, d.docker(["run", "--rm", "--stop-signal", "SIGFOO", "busybox", "true"]), /Invalid signal: SIGFOO/);
  });

});
