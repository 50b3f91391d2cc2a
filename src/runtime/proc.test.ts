import { test } from "node:test";
import assert from "node:assert/strict";
import { hostCapabilities, isAlive, mountInfo, mountPointOf, procStat } from "./proc.js";

const MOUNTINFO = `26 1 254:0 / / rw,relatime - ext4 /dev/vda rw
21 26 0:20 / /proc rw,relatime - proc proc rw
30 22 0:27 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
31 30 0:28 / /sys/fs/cgroup/cpu\\040x rw,relatime - cgroup cgroup rw,cpu
50 26 0:40 /sub /tmp/b rw - tmpfs tmpfs rw
`;

test("mountInfo() parses fields and unescapes octal escapes", () => {
  const m = mountInfo(MOUNTINFO);
  assert.equal(m.length, 5);
  assert.deepEqual(m[3], { root: "/", mountPoint: "/sys/fs/cgroup/cpu x", fstype: "cgroup", superOptions: "rw,cpu" });
  assert.equal(m[4]?.root, "/sub");
});

test("mountPointOf() finds the longest mount point containing a path", () => {
  const m = mountInfo(MOUNTINFO);
  assert.equal(mountPointOf("/tmp/b/rootfs", m), "/tmp/b");
  assert.equal(mountPointOf("/tmp/bc/rootfs", m), "/");
  assert.equal(mountPointOf("/tmp/b", m), "/tmp/b");
  assert.equal(mountPointOf("/sys/fs/cgroup/memory", m), "/sys/fs/cgroup");
});

test("procStat() and isAlive() recognise this process and its start time", () => {
  const st = procStat(process.pid);
  assert.ok(st !== undefined);
  assert.equal(st.state === "R" || st.state === "S", true);
  assert.match(st.startTime, /^\d+$/);
  assert.equal(isAlive(process.pid, st.startTime), true);
  // The same pid with another start time is a reused pid, not our process.
  assert.equal(isAlive(process.pid, `${st.startTime}0`), false);
  assert.equal(isAlive(0, st.startTime), false);
  assert.equal(procStat(2 ** 30), undefined);
});

test("hostCapabilities() reads a mask from /proc/self/status", () => {
  assert.equal(typeof hostCapabilities(), "bigint");
});
