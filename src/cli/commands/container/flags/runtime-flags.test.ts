import { test } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Command } from "commander";
import type { CreateBodyDraft } from "../flag-group.js";
import { parseDevice, parseSecurityOpts, parseSysctl, parseUlimit, runtimeFlags } from "./runtime-flags.js";

function body(argv: string[]): CreateBodyDraft {
  const cmd = runtimeFlags.add(new Command().exitOverride());
  cmd.parse(argv, { from: "user" });
  const b: CreateBodyDraft = { Image: "busybox", HostConfig: {} };
  runtimeFlags.apply(cmd.opts(), b);
  return b;
}

test("flags become the create body as the docker CLI sends it", () => {
  const b = body(["--init", "--stop-signal", "USR1", "--stop-timeout", "30", "--ulimit", "nofile=10:20", "--shm-size", "10m", "--device", "/dev/fuse",
    "--group-add", "audio", "--oom-kill-disable", "--oom-score-adj", "-5", "--memory-swap", "-1", "--memory-reservation", "32m", "-c", "512",
    "--cpuset-cpus", "0", "--cpu-period", "50000", "--cpu-quota", "25000", "--blkio-weight", "300", "--sysctl", "net.ipv4.ip_forward=1",
    "--security-opt", "no-new-privileges", "--cgroupns", "private", "--ipc", "host", "--pid", "container:x", "--uts", "host", "--userns", "host",
    "--cgroup-parent", "/p", "--log-driver", "json-file", "--log-opt", "max-size=1k", "--log-opt", "max-file=2"]);
  assert.equal(b.StopSignal, "USR1");
  assert.equal(b.StopTimeout, 30);
  assert.deepEqual(b.HostConfig, {
    Init: true, Ulimits: [{ Name: "nofile", Soft: 10, Hard: 20 }], ShmSize: 10 * 1024 * 1024,
    Devices: [{ PathOnHost: "/dev/fuse", PathInContainer: "/dev/fuse", CgroupPermissions: "rwm" }], GroupAdd: ["audio"], OomKillDisable: true,
    OomScoreAdj: -5, MemorySwap: -1, MemoryReservation: 32 * 1024 * 1024, CpuShares: 512, CpusetCpus: "0", CpuPeriod: 50000, CpuQuota: 25000,
    BlkioWeight: 300, Sysctls: { "net.ipv4.ip_forward": "1" }, SecurityOpt: ["no-new-privileges"], CgroupnsMode: "private", IpcMode: "host",
    PidMode: "container:x", UTSMode: "host", UsernsMode: "host", CgroupParent: "/p", LogConfig: { Type: "json-file", Config: { "max-size": "1k", "max-file": "2" } },
  });
  assert.deepEqual(body([]).HostConfig, {});
});

test("parsers take docker's forms and refuse with its texts", () => {
  assert.deepEqual(parseUlimit("nproc=5"), { Name: "nproc", Soft: 5, Hard: 5 });
  assert.throws(() => parseUlimit("nofile=10:5"), /ulimit soft limit must be less than or equal to hard limit: 10 > 5/);
  assert.throws(() => parseUlimit("bogus=1"), /invalid ulimit type: bogus/);
  assert.throws(() => parseUlimit("nofile"), /invalid ulimit argument: nofile/);
  assert.deepEqual(parseDevice("/dev/a:/dev/b:r"), { PathOnHost: "/dev/a", PathInContainer: "/dev/b", CgroupPermissions: "r" });
  assert.deepEqual(parseDevice("/dev/a:rw"), { PathOnHost: "/dev/a", PathInContainer: "/dev/a", CgroupPermissions: "rw" });
  assert.throws(() => parseDevice("/dev/a:rel"), /bad format for path: rel/);
  assert.throws(() => parseDevice("/dev/a:/dev/b:x"), /bad mode specified: x/);
  assert.deepEqual(parseSysctl("fs.mqueue.msg_max=20"), ["fs.mqueue.msg_max", "20"]);
  assert.throws(() => parseSysctl("kernel.modprobe=/x"), /sysctl 'kernel.modprobe=\/x' is not allowed/);
  assert.throws(() => parseSecurityOpts(["foo"]), /Invalid --security-opt: "foo"/);
  const dir = mkdtempSync(join(tmpdir(), "berth-sec-"));
  try {
    const f = join(dir, "p.json");
    writeFileSync(f, '{\n  "defaultAction": "SCMP_ACT_ALLOW"\n}\n');
    assert.deepEqual(parseSecurityOpts([`seccomp=${f}`, "seccomp=unconfined"]), ['seccomp={"defaultAction":"SCMP_ACT_ALLOW"}', "seccomp=unconfined"]);
    assert.throws(() => parseSecurityOpts([`seccomp=${dir}/missing.json`]), /opening seccomp profile \(.*missing.json\) failed/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  assert.throws(() => body(["--shm-size", "-1"]), /invalid argument "-1" for "--shm-size" flag: invalid size: '-1'/);
  assert.throws(() => body(["--blkio-weight", "-1"]), /invalid argument "-1" for "--blkio-weight" flag: strconv.ParseUint/);
  assert.throws(() => body(["--log-driver", "none", "--log-opt", "max-size=1k"]), /invalid logging opts for driver none/);
});
