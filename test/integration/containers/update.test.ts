/** update through berth and the docker CLI: limits reach the running container's cgroup, bad input changes nothing. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { httpCall, startDaemon, type TestDaemon } from "../daemon/daemon-helper.js";

/** The container's cgroup file for `controller` (v1 hierarchy or the cgroup2 directory). */
function cgroupFile(pid: number, controller: string, v1: string, v2: string): string {
  const lines = readFileSync(`/proc/${pid}/cgroup`, "utf8").trim().split("\n");
  for (const l of lines) {
    const [, ctrls = "", path = ""] = l.split(":");
    if (ctrls.split(",").includes(controller)) return readFileSync(`/sys/fs/cgroup/${controller}${path}/${v1}`, "utf8").trim();
  }
  const unified = lines.find((l) => l.startsWith("0::"))?.slice(3) ?? "";
  return readFileSync(`/sys/fs/cgroup${unified}/${v2}`, "utf8").trim();
}

async function pidOf(d: TestDaemon, name: string): Promise<number> {
  return Number((await d.docker(["inspect", "-f", "{{.State.Pid}}", name])).stdout.trim());
}

const memLimit = (pid: number) => cgroupFile(pid, "memory", "memory.limit_in_bytes", "memory.max");
const pidsMax = (pid: number) => cgroupFile(pid, "pids", "pids.max", "pids.max");

test("update raises and lowers memory and pids limits of a running container, live and stored", async (t) => {
  const d = await startDaemon(t);
  const name = `up${process.pid}`;
  const run = await d.docker(["run", "-d", "--name", name, "--memory", "64m", "--pids-limit", "100", "busybox", "sleep", "1000"]);
  assert.equal(run.code, 0, run.stderr);
  const pid = await pidOf(d, name);
  assert.equal(memLimit(pid), String(64 * 1024 * 1024));
  assert.equal(pidsMax(pid), "100");

  const up = await d.docker(["update", "--memory", "128m", "--memory-swap", "256m", "--pids-limit", "200", name]);
  assert.equal(up.code, 0, up.stderr);
  assert.equal(up.stdout, `${name}\n`);
  assert.equal(memLimit(pid), String(128 * 1024 * 1024));
  assert.equal(pidsMax(pid), "200");
  const down = await d.berth(["update", "-m", "32m", "--pids-limit", "20", name]);
  assert.equal(down.code, 0, down.stderr);
  assert.equal(memLimit(pid), String(32 * 1024 * 1024));
  assert.equal(pidsMax(pid), "20");
  const unlimited = await d.berth(["update", "--pids-limit", "-1", name]);
  assert.equal(unlimited.code, 0, unlimited.stderr);
  assert.equal(pidsMax(pid), "max");
  const cpu = await d.docker(["update", "--cpus", "0.5", "--cpu-shares", "512", "--restart", "on-failure:3", name]);
  assert.equal(cpu.code, 0, cpu.stderr);
  assert.match(cgroupFile(pid, "cpu", "cpu.cfs_quota_us", "cpu.max"), /^50000( 100000)?$/);
  const hc = await d.docker(["inspect", "-f", "{{.HostConfig.Memory}} {{.HostConfig.MemorySwap}} {{.HostConfig.NanoCpus}} {{.HostConfig.CpuShares}} {{.HostConfig.RestartPolicy.Name}}:{{.HostConfig.RestartPolicy.MaximumRetryCount}}", name]);
  assert.equal(hc.stdout, `${32 * 1024 * 1024} ${256 * 1024 * 1024} 500000000 512 on-failure:3\n`);

  // A stopped container's update is stored and applied at its next start.
  assert.equal((await d.docker(["stop", "-t", "0", name])).code, 0);
  assert.equal((await d.berth(["update", "--memory", "48m", name])).code, 0);
  assert.equal((await d.docker(["start", name])).code, 0);
  assert.equal(memLimit(await pidOf(d, name)), String(48 * 1024 * 1024));
});

test("update: bad input is refused with docker's texts and changes nothing; a removed container is 404", async (t) => {
  const d = await startDaemon(t);
  const name = `ub${process.pid}`;
  assert.equal((await d.berth(["run", "-d", "--name", name, "--memory", "64m", "--pids-limit", "100", "busybox", "sleep", "1000"])).code, 0);
  const pid = await pidOf(d, name);
  const before = (await d.docker(["inspect", "-f", "{{json .HostConfig}}", name])).stdout;
  const cases: Array<[string[], RegExp]> = [
    [["--memory", "1m"], /Minimum memory limit allowed is 6MB/],
    [["--cpus", "64"], /Range of CPUs is from 0.01 to \d+.00, as there are only \d+ CPUs available/],
    [["--cpu-period", "10"], /CPU cfs period can not be less than 1ms/],
    [["--blkio-weight", "5"], /Range of blkio weight is from 10 to 1000/],
    [["--cpuset-cpus", "9999"], /Requested CPUs are not available/],
    [["--memory", "512m"], /Memory limit should be smaller than already set memoryswap limit/],
    [["--restart", "sometimes"], /invalid restart policy: unknown policy 'sometimes'/],
  ];
  for (const [flags, re] of cases) {
    const r = await d.docker(["update", ...flags, name]);
    assert.notEqual(r.code, 0, flags.join(" "));
    assert.match(r.stderr, re, flags.join(" "));
  }
  const neg = await httpCall(d.socket, "POST", `/containers/${name}/update`, JSON.stringify({ Memory: -5 }));
  assert.equal(neg.status, 400);
  const typed = await httpCall(d.socket, "POST", `/containers/${name}/update`, JSON.stringify({ PidsLimit: "lots" }));
  assert.equal(typed.status, 400);
  assert.match(typed.body, /PidsLimit must be an integer/);
  assert.equal((await d.docker(["inspect", "-f", "{{json .HostConfig}}", name])).stdout, before, "the record is unchanged");
  assert.equal(memLimit(pid), String(64 * 1024 * 1024), "the cgroup is unchanged");
  assert.equal(pidsMax(pid), "100");
  const noFlags = await d.berth(["update", name]);
  assert.equal(noFlags.code, 1);
  assert.match(noFlags.stderr, /provide one or more flags/);

  assert.equal((await d.berth(["rm", "-f", name])).code, 0);
  const gone = await d.docker(["update", "--memory", "64m", name]);
  assert.notEqual(gone.code, 0);
  assert.match(gone.stderr, new RegExp(`No such container: ${name}`));
  const api = await httpCall(d.socket, "POST", `/containers/${name}/update`, JSON.stringify({ Memory: 64 * 1024 * 1024 }));
  assert.equal(api.status, 404);
});
