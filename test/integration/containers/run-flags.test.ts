/**
 * The run flags of issue 4, each observed from inside the container, through berth and the
 * real docker CLI; bad values refused with a clear error and nothing created.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
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

function hostLimit(name: string): number {
  const row = readFileSync("/proc/self/limits", "utf8").split("\n").find((l) => l.startsWith(name)) ?? "";
  return Number(row.slice(name.length).trim().split(/\s+/)[1]);
}

test("run flags through berth and docker", async (t) => {
  const d = await startDaemon(t);

  await t.test("cgroup resources: memory, swap, reservation, oom killer, cpu shares/cpuset/period/quota", async () => {
    const out = await ok(d.berth(["run", "--rm", "-m", "64m", "--memory-swap", "128m", "--memory-reservation", "32m", "--oom-kill-disable",
      "--cpu-shares", "512", "--cpuset-cpus", "0", "--cpuset-mems", "0", "--cpu-period", "50000", "--cpu-quota", "25000", "busybox", "sh", "-c",
      "cd /sys/fs/cgroup; cat memory/memory.limit_in_bytes memory/memory.memsw.limit_in_bytes memory/memory.soft_limit_in_bytes; " +
      "grep oom_kill_disable memory/memory.oom_control; cat cpu/cpu.shares cpuset/cpuset.cpus cpuset/cpuset.mems cpu/cpu.cfs_period_us cpu/cpu.cfs_quota_us"]));
    assert.equal(out, `${64 << 20}\n${128 << 20}\n${32 << 20}\noom_kill_disable 1\n512\n0\n0\n50000\n25000\n`);
    const dk = await ok(d.docker(["run", "--rm", "-m", "32m", "--memory-swap", "-1", "-c", "256", "busybox", "sh", "-c",
      "cat /sys/fs/cgroup/memory/memory.memsw.limit_in_bytes /sys/fs/cgroup/cpu/cpu.shares"]));
    assert.equal(dk, "9223372036854771712\n256\n");
  });

  await t.test("blkio weight: applied, or discarded with Docker's warning where the kernel lacks it", async () => {
    const has = existsSync("/sys/fs/cgroup/blkio/blkio.weight") || existsSync("/sys/fs/cgroup/blkio/blkio.bfq.weight");
    const r = await d.docker(["run", "--rm", "--blkio-weight", "300", "busybox", "sh", "-c", "cat /sys/fs/cgroup/blkio/blkio*weight 2>/dev/null | head -1"]);
    assert.equal(r.code, 0, r.stderr);
    if (has) assert.equal(r.stdout.trim(), "300");
    else assert.match(r.stderr, /Your kernel does not support Block I\/O weight or the cgroup is not mounted. Weight discarded./);
  });

  await t.test("ulimit: lowering works, raising the hard limit is refused without CAP_SYS_RESOURCE", async () => {
    assert.equal(await ok(d.docker(["run", "--rm", "--ulimit", "nofile=512:1024", "busybox", "sh", "-c", "ulimit -n; ulimit -Hn"])), "512\n1024\n");
    assert.equal(await ok(d.berth(["run", "--rm", "--ulimit", "nproc=77", "busybox", "sh", "-c", "ulimit -u"])), "77\n");
    const caps = readFileSync("/proc/self/status", "utf8").match(/CapBnd:\s+([0-9a-f]+)/)?.[1] ?? "0";
    if ((BigInt(`0x${caps}`) & (1n << 24n)) === 0n) {
      const above = hostLimit("Max open files") + 1000;
      await refused(d, d.docker(["run", "--rm", "--ulimit", `nofile=1024:${above}`, "busybox", "true"]), /raising the hard limit above the daemon's .* needs CAP_SYS_RESOURCE/);
    }
  });

  await t.test("oom-score-adj: raising works, lowering is refused clearly", async () => {
    assert.equal(await ok(d.docker(["run", "--rm", "--oom-score-adj", "500", "busybox", "cat", "/proc/self/oom_score_adj"])), "500\n");
    const own = Number(readFileSync("/proc/self/oom_score_adj", "utf8"));
    if (own > -1000) await refused(d, d.berth(["run", "--rm", "--oom-score-adj", String(own - 10), "busybox", "true"]), /lowering it below the daemon's .* needs CAP_SYS_RESOURCE/);
    await refused(d, d.docker(["run", "--rm", "--oom-score-adj", "1001", "busybox", "true"]), /Invalid value 1001, range for oom score adj is \[-1000, 1000\]/);
  });

  await t.test("shm-size, group-add, device with permissions", async () => {
    assert.match(await ok(d.docker(["run", "--rm", "--shm-size", "10m", "busybox", "df", "-k", "/dev/shm"])), /\n\S+\s+10240\s/);
    assert.equal(await ok(d.berth(["run", "--rm", "--group-add", "10", "--group-add", "nogroup", "busybox", "id", "-G"])), "0 10 65534\n");
    if (existsSync("/dev/loop0")) {
      const ro = await d.docker(["run", "--rm", "--device", "/dev/loop0:/dev/xloop:r", "busybox", "sh", "-c", "ls -l /dev/xloop; head -c1 /dev/xloop; echo read=$?; echo > /dev/xloop"]);
      assert.match(ro.stdout, /^b.* 7,\s+0 .*\/dev\/xloop\nread=0\n$/);
      assert.match(ro.stderr, /can't create \/dev\/xloop: Operation not permitted/);
      const rw = await d.berth(["run", "--rm", "--device", "/dev/loop0:/dev/xloop", "busybox", "sh", "-c", "echo > /dev/xloop"]);
      assert.doesNotMatch(rw.stderr, /Operation not permitted/);
    }
    await refused(d, d.docker(["run", "--rm", "--device", "/dev/no-such-dev", "busybox", "true"]), /error gathering device information while adding custom device "\/dev\/no-such-dev"/);
  });

  await t.test("exec starts from the container's process: rlimits, no_new_privs, oom score, extra groups", async () => {
    const name = `exec-${process.pid}`;
    await ok(d.docker(["run", "-d", "--name", name, "--ulimit", "nofile=100:200", "--oom-score-adj", "300", "--security-opt", "no-new-privileges",
      "--group-add", "10", "busybox", "sleep", "60"]));
    try {
      const out = await ok(d.docker(["exec", name, "sh", "-c", "ulimit -n; grep NoNewPrivs /proc/self/status; cat /proc/self/oom_score_adj; id -G"]));
      assert.match(out, /^100\nNoNewPrivs:\s+1\n300\n0 10\n$/);
    } finally {
      await d.docker(["rm", "-f", name]);
    }
  });

  await t.test("bad input: negative sizes, bad ulimits, bad devices, cpu conflicts", async () => {
    await refused(d, d.berth(["run", "--rm", "--shm-size", "-1", "busybox", "true"]), /invalid argument "-1" for "--shm-size" flag: invalid size: '-1'/);
    await refused(d, d.docker(["run", "--rm", "--memory-reservation", "-5m", "busybox", "true"]), /invalid size/);
    await refused(d, d.berth(["run", "--rm", "--ulimit", "nofile=10:5", "busybox", "true"]), /ulimit soft limit must be less than or equal to hard limit: 10 > 5/);
    await refused(d, d.berth(["run", "--rm", "--ulimit", "bogus=1", "busybox", "true"]), /invalid ulimit type: bogus/);
    await refused(d, d.berth(["run", "--rm", "--device", "/dev/null:rel", "busybox", "true"]), /bad format for path: rel/);
    await refused(d, d.berth(["run", "--rm", "--cpus", "1", "--cpu-quota", "50000", "busybox", "true"]), /Conflicting options: Nano CPUs and CPU Quota cannot both be set/);
    await refused(d, d.berth(["run", "--rm", "--cpu-period", "10", "busybox", "true"]), /CPU cfs period can not be less than 1ms/);
    await refused(d, d.berth(["run", "--rm", "--cpuset-cpus", "999", "busybox", "true"]), /Requested CPUs are not available - requested 999/);
    await refused(d, d.berth(["run", "--rm", "--memory-swap", "1g", "busybox", "true"]), /You should always set the Memory limit when using Memoryswap limit/);
    await refused(d, d.docker(["run", "--rm", "-m", "64m", "--memory-swap", "32m", "busybox", "true"]), /Minimum memoryswap limit should be larger than memory limit/);
    const before = await count(d);
    const r = await httpCall(d.socket, "POST", "/containers/create", JSON.stringify({ Image: "busybox", HostConfig: { ShmSize: -1 } }));
    assert.equal(r.status, 400);
    assert.match(r.body, /SHM size can not be less than 0/);
    assert.equal(await count(d), before);
  });
});
