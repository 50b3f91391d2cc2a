import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { sh } from "../../helpers/bundle.js";

const CG = "/sys/fs/cgroup";

test("memory limit, reservation and swap are visible inside the container", () => {
  const r = sh(`cat ${CG}/memory/memory.limit_in_bytes ${CG}/memory/memory.soft_limit_in_bytes ${CG}/memory/memory.memsw.limit_in_bytes`, (s) => {
    s.linux.resources.memory = { limit: 64 * 1024 * 1024, reservation: 32 * 1024 * 1024, swap: 96 * 1024 * 1024 };
  });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, `${64 * 1024 * 1024}\n${32 * 1024 * 1024}\n${96 * 1024 * 1024}\n`);
});

test("cpu shares, quota, period, cpus and mems are visible inside the container", () => {
  const r = sh(`cat ${CG}/cpu/cpu.shares ${CG}/cpu/cpu.cfs_quota_us ${CG}/cpu/cpu.cfs_period_us ${CG}/cpuset/cpuset.cpus ${CG}/cpuset/cpuset.mems`, (s) => {
    s.linux.resources.cpu = { shares: 512, quota: 50000, period: 100000, cpus: "0", mems: "0" };
  });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, "512\n50000\n100000\n0\n0\n");
});

test("the pids limit is visible and enforced", () => {
  const r = sh(`cat ${CG}/pids/pids.max; for i in 1 2 3 4 5 6 7 8; do sleep 5 & done; wait`, (s) => {
    s.linux.resources.pids = { limit: 4 };
  });
  assert.match(r.stdout, /^4\n/);
  assert.match(r.stderr + r.stdout, /(can't fork|Resource temporarily unavailable|fork)/i);
});

/** major:minor of the block device holding / (a device the throttles can name on any host). */
function rootDevice(): { major: number; minor: number } {
  const line = readFileSync("/proc/self/mountinfo", "utf8").split("\n").find((l) => l.split(" ")[4] === "/");
  const [major, minor] = (line?.split(" ")[2] ?? "0:0").split(":").map(Number);
  return { major: major ?? 0, minor: minor ?? 0 };
}

test("block I/O throttles are visible inside the container", () => {
  const { major, minor } = rootDevice();
  const r = sh(`cat ${CG}/blkio/blkio.throttle.read_bps_device ${CG}/blkio/blkio.throttle.write_iops_device`, (s) => {
    s.linux.resources.blockIO = {
      throttleReadBpsDevice: [{ major, minor, rate: 1048576 }],
      throttleWriteIOPSDevice: [{ major, minor, rate: 100 }],
    };
  });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, `${major}:${minor} 1048576\n${major}:${minor} 100\n`);
});

test("device cgroup rules apply in the order listed", () => {
  const script = "head -c 1 /dev/zero | wc -c; echo x > /dev/zero && echo write-ok";
  const allowThenDeny = sh(script, (s) => {
    s.linux.resources.devices = [
      { allow: false, access: "rwm" },
      { allow: true, type: "c", major: 1, minor: 5, access: "r" },
      { allow: false, type: "c", major: 1, minor: 5, access: "r" },
    ];
  });
  assert.match(allowThenDeny.stdout, /^\s*0\nwrite-ok\n$/);
  assert.match(allowThenDeny.stderr, /Operation not permitted/);
  const denyThenAllow = sh(script, (s) => {
    s.linux.resources.devices = [
      { allow: false, access: "rwm" },
      { allow: false, type: "c", major: 1, minor: 5, access: "r" },
      { allow: true, type: "c", major: 1, minor: 5, access: "r" },
    ];
  });
  assert.match(denyThenAllow.stdout, /^\s*1\nwrite-ok\n$/);
});

test("devices not allowed by the device cgroup cannot be opened", () => {
  const r = sh("mknod /dev/sda1 b 8 1 && head -c 1 /dev/sda1; echo rc=$?", (s) => {
    s.process.capabilities.bounding.push("CAP_MKNOD");
    s.process.capabilities.effective.push("CAP_MKNOD");
    s.process.capabilities.permitted.push("CAP_MKNOD");
  });
  assert.match(r.stdout, /rc=1\n$/);
  assert.match(r.stderr, /Operation not permitted/);
});
