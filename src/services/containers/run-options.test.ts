import { test } from "node:test";
import assert from "node:assert/strict";
import type { ContainerCreateBody, HostConfig } from "../../api/containers.js";
import { notFound } from "../../shared/errors.js";
import { parseCpuset, parseProcLimits, type RunHostFacts } from "./run-host-facts.js";
import { checkSysctl, parseSecurityOpt, validateRunOptions } from "./run-options.js";

const host: RunHostFacts = {
  capabilities: ["CAP_CHOWN"], rlimits: new Map([["nofile", { soft: 1024, hard: 4096 }]]), oomScoreAdj: 0,
  cpus: "0-1", mems: "0", blkioWeight: false, cgroup2: false,
};
const peer = (ref: string) => {
  if (ref === "web") return { id: "a".repeat(64) };
  throw notFound(`No such container: ${ref}`);
};

function check(hc: HostConfig, body: ContainerCreateBody = {}, facts: RunHostFacts = host): string[] {
  return validateRunOptions({ Image: "busybox", ...body, HostConfig: hc }, hc, facts, peer);
}

test("moby's refusals, each with its text", () => {
  const cases: Array<[HostConfig, RegExp, ContainerCreateBody?]> = [
    [{ ShmSize: -1 }, /^SHM size can not be less than 0$/],
    [{ MemorySwap: 1 << 30 }, /^You should always set the Memory limit when using Memoryswap limit, see usage$/],
    [{ Memory: 64 << 20, MemorySwap: 32 << 20 }, /^Minimum memoryswap limit should be larger than memory limit, see usage$/],
    [{ MemoryReservation: 1024 }, /^Minimum memory reservation allowed is 6MB$/],
    [{ Memory: 8 << 20, MemoryReservation: 16 << 20 }, /^Minimum memory limit can not be less than memory reservation limit, see usage$/],
    [{ OomScoreAdj: 1001 }, /^Invalid value 1001, range for oom score adj is \[-1000, 1000\]$/],
    [{ OomScoreAdj: -5 }, /lowering it below the daemon's \(0\) needs CAP_SYS_RESOURCE/],
    [{ NanoCpus: 1e9, CpuQuota: 50000 }, /^Conflicting options: Nano CPUs and CPU Quota cannot both be set$/],
    [{ NanoCpus: 1e9, CpuPeriod: 50000 }, /^Conflicting options: Nano CPUs and CPU Period cannot both be set$/],
    [{ CpuPeriod: 999 }, /^CPU cfs period can not be less than 1ms/],
    [{ CpuQuota: 10 }, /^CPU cfs quota can not be less than 1ms/],
    [{ CpusetCpus: "0-3" }, /^Requested CPUs are not available - requested 0-3, available: 0-1$/],
    [{ CpusetCpus: "x" }, /^Invalid value x for cpuset cpus$/],
    [{ CpusetMems: "1" }, /^Requested memory nodes are not available - requested 1, available: 0$/],
    [{ BlkioWeight: 5 }, /^Range of blkio weight is from 10 to 1000$/],
    [{ Ulimits: [{ Name: "bogus", Soft: 1, Hard: 1 }] }, /^invalid ulimit type: bogus$/],
    [{ Ulimits: [{ Name: "nofile", Soft: 10, Hard: 5 }] }, /^ulimit soft limit must be less than or equal to hard limit: 10 > 5$/],
    [{ Ulimits: [{ Name: "nofile", Soft: 10, Hard: 5000 }] }, /above the daemon's \(4096\) needs CAP_SYS_RESOURCE/],
    [{ Devices: [{ PathOnHost: "/dev/no-such", PathInContainer: "/dev/x", CgroupPermissions: "rwm" }] }, /error gathering device information while adding custom device "\/dev\/no-such"/],
    [{ Devices: [{ PathOnHost: "/dev/null", PathInContainer: "/dev/x", CgroupPermissions: "rwx" }] }, /^bad mode specified: rwx$/],
    [{ IpcMode: "bogus" }, /^invalid IPC mode: bogus$/],
    [{ PidMode: "container:" }, /^invalid PID mode: container:$/],
    [{ PidMode: "container:nope" }, /^join PID namespace of container "nope": No such container: nope$/],
    [{ UTSMode: "private" }, /^invalid UTS mode: private$/],
    [{ UTSMode: "host" }, /^conflicting options: hostname and the UTS mode$/, { Hostname: "x" }],
    [{ UsernsMode: "private" }, /^invalid USER mode: private$/],
    [{ CgroupnsMode: "bogus" }, /^invalid cgroup namespace mode: bogus$/],
    [{ CgroupParent: "/a/../b" }, /invalid cgroup parent/],
    [{ Sysctls: { "kernel.modprobe": "/x" } }, /^sysctl "kernel.modprobe" is not in a separate kernel namespace$/],
    [{ NetworkMode: "host", Sysctls: { "net.ipv4.ip_forward": "1" } }, /not allowed in the hosts network namespace/],
    [{ IpcMode: "host", Sysctls: { "kernel.shmmax": "1" } }, /not allowed in the hosts ipc namespace/],
    [{ SecurityOpt: ["bogus=1"] }, /^invalid --security-opt 2: "bogus=1"$/],
    [{ SecurityOpt: ["foo"] }, /^invalid --security-opt 1: "foo"$/],
    [{ SecurityOpt: ["apparmor=docker-default"] }, /AppArmor is not enabled/],
    [{ SecurityOpt: ["seccomp={not json"] }, /^Decoding seccomp profile failed/],
    [{}, /^Invalid signal: SIGFOO$/, { StopSignal: "SIGFOO" }],
  ];
  for (const [hc, msg, body] of cases) {
    assert.throws(() => check(hc, body), (err: Error & { kind?: string }) => {
      assert.match(err.message, msg, JSON.stringify(hc));
      assert.equal(err.kind, "invalid-argument");
      return true;
    });
  }
});

test("accepted values, dockerd's defaults and warnings", () => {
  const hc: HostConfig = {
    Memory: 64 << 20, MemorySwap: -1, MemoryReservation: 32 << 20, OomKillDisable: true, OomScoreAdj: 500, CpuShares: 1, CpusetCpus: "0,1",
    BlkioWeight: 300, Ulimits: [{ Name: "nofile", Soft: 100, Hard: 200 }], Devices: [{ PathOnHost: "/dev/null", PathInContainer: "/dev/n", CgroupPermissions: "r" }],
    Sysctls: { "net.core.somaxconn": "100", "fs.mqueue.msg_max": "20" }, PidMode: "container:web", IpcMode: "",
    SecurityOpt: ["no-new-privileges", "seccomp=unconfined", "label=disable", "apparmor=unconfined", "seccomp={\"defaultAction\":\"SCMP_ACT_ALLOW\"}"],
  };
  const w = check(hc);
  assert.deepEqual(w, ["Changing requested CPUShares of 1 to minimum allowed of 2", "Your kernel does not support Block I/O weight or the cgroup is not mounted. Weight discarded."]);
  assert.equal(hc.CpuShares, 2);
  assert.equal(hc.BlkioWeight, 0);
  assert.equal(hc.IpcMode, "private");
  assert.equal(hc.CgroupnsMode, "host");
  const v2: HostConfig = { Memory: 64 << 20, OomKillDisable: true };
  assert.deepEqual(check(v2, {}, { ...host, cgroup2: true, blkioWeight: true }), ["Your kernel does not support OomKillDisable. OomKillDisable discarded."]);
  assert.equal(v2.CgroupnsMode, "private");
  assert.equal(v2.OomKillDisable, false);
  const noSwap: HostConfig = { Memory: 64 << 20 };
  assert.deepEqual(check(noSwap, {}, { ...host, swapLimit: false }), ["Your kernel does not support swap limit capabilities or the cgroup is not mounted. Memory limited without swap."]);
  assert.equal(noSwap.MemorySwap, -1);
  assert.deepEqual(check({ OomKillDisable: true }), ["OOM killer is disabled for the container, but no memory limit is set, this can result in the system running out of resources."]);
  assert.deepEqual(check({ Ulimits: [{ Name: "nofile", Soft: 10, Hard: 5000 }] }, {}, { ...host, capabilities: ["CAP_SYS_RESOURCE"] }), []);
});

test("security opts, sysctl namespaces, cpusets and /proc limits parse as moby and runc do", () => {
  assert.deepEqual(parseSecurityOpt("no-new-privileges"), { key: "no-new-privileges", value: "true" });
  assert.deepEqual(parseSecurityOpt("no-new-privileges=false"), { key: "no-new-privileges", value: "false" });
  assert.deepEqual(parseSecurityOpt("seccomp:unconfined"), { key: "seccomp", value: "unconfined" });
  assert.deepEqual(parseSecurityOpt("disable"), { key: "label", value: "disable" });
  const own = { ipc: true, net: true, uts: true };
  checkSysctl("kernel.sem", own);
  checkSysctl("net.ipv4.ip_forward", own);
  assert.throws(() => checkSysctl("kernel.hostname", own), /conflicts with the OCI "hostname" field/);
  assert.throws(() => checkSysctl("vm.swappiness", own), /is not in a separate kernel namespace/);
  assert.deepEqual([...parseCpuset("0-2,5") ?? []], [0, 1, 2, 5]);
  assert.equal(parseCpuset("2-1"), undefined);
  const limits = parseProcLimits("Limit                     Soft Limit           Hard Limit           Units\nMax open files            1024                 524288               files\nMax cpu time              unlimited            unlimited            seconds\n");
  assert.deepEqual(limits.get("nofile"), { soft: 1024, hard: 524288 });
  assert.deepEqual(limits.get("cpu"), { soft: Infinity, hard: Infinity });
});
