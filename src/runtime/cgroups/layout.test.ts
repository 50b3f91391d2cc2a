import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import { kindOf } from "../../shared/errors.js";
import { FakeCgroupfs } from "./fake-cgroupfs.js";
import { detectCgroupLayout, ownCgroupDir, parseCgroupMounts, parseProcCgroup } from "./layout.js";
import { openCgroupManager } from "./manager.js";

const fakes = { v1: FakeCgroupfs.create("v1"), hybrid: FakeCgroupfs.create("hybrid"), v2: FakeCgroupfs.create("v2") };
after(() => Object.values(fakes).forEach((f) => f.cleanup()));
const detect = (f: FakeCgroupfs) => detectCgroupLayout({ root: f.root, mountinfo: f.mountinfo, procCgroup: f.procCgroup, fs: f });

describe("detectCgroupLayout()", () => {
  test("finds v1 with joined cpu,cpuacct and reports a listed but unmounted hierarchy", () => {
    const l = detect(fakes.v1);
    assert.equal(l.mode, "v1");
    assert.equal(l.unified, undefined);
    assert.equal(l.controllers.get("cpu"), l.controllers.get("cpuacct"));
    assert.equal(l.controllers.get("cpu")?.mountPoint, `${fakes.v1.root}/cpu,cpuacct`);
    assert.deepEqual(l.controllers.get("net_prio")?.controllers, ["net_cls", "net_prio"]);
    assert.equal(l.controllers.get("name=systemd")?.mountPoint, `${fakes.v1.root}/systemd`);
    assert.equal(l.controllers.has("rdma"), false);
    assert.deepEqual(l.unmounted, ["rdma"]);
    assert.equal(l.hierarchies.length, 10);
  });

  test("finds the hybrid layout of these machines: hugetlb in the cgroup2 mount, own memory cgroup", () => {
    const l = detect(fakes.hybrid);
    assert.equal(l.mode, "hybrid");
    assert.equal(l.unified?.mountPoint, `${fakes.hybrid.root}/unified`);
    assert.deepEqual(l.unified?.controllers, ["hugetlb"]);
    assert.equal(l.controllers.get("hugetlb")?.version, 2);
    assert.equal(l.controllers.get("memory")?.version, 1);
    assert.equal(l.controllers.get("memory")?.ownPath, "/process_api/0123abcd");
    assert.equal(ownCgroupDir(l.controllers.get("memory")!), `${fakes.hybrid.root}/memory/process_api/0123abcd`);
    assert.notEqual(l.controllers.get("cpu"), l.controllers.get("cpuacct"));
    assert.deepEqual(l.unmounted, []);
  });

  test("finds pure v2 with controllers from cgroup.controllers", () => {
    const l = detect(fakes.v2);
    assert.equal(l.mode, "v2");
    assert.equal(l.hierarchies.length, 1);
    assert.equal(l.unified?.mountPoint, fakes.v2.root);
    assert.deepEqual(l.unified?.controllers, ["cpuset", "cpu", "io", "memory", "hugetlb", "pids", "rdma"]);
    assert.equal(l.controllers.get("io"), l.unified);
  });

  test("copes with /proc/self/cgroup listing hierarchies that are not mounted, and the reverse", () => {
    const mountinfo = "31 30 0:28 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n";
    const l = detectCgroupLayout({
      root: fakes.v1.root, mountinfo, fs: fakes.v1,
      procCgroup: "7:freezer:/x\n6:cpu,cpuacct:/y\n1:name=systemd:/z\n0::/w\n",
    });
    assert.equal(l.mode, "v1");
    assert.equal(l.hierarchies.length, 1);
    assert.equal(l.controllers.get("memory")?.ownPath, "/", "memory not listed: own cgroup is the root");
    assert.deepEqual(l.unmounted, ["freezer", "cpu,cpuacct", "name=systemd"]);
  });

  test("keeps the first of two mounts of one hierarchy and ignores a named hierarchy's options", () => {
    const mountinfo = [
      "31 30 0:28 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory",
      "32 30 0:28 /sub /mnt/memory-again rw - cgroup cgroup rw,memory",
      "33 30 0:29 / /sys/fs/cgroup/elogind rw - cgroup cgroup rw,nosuid,xattr,release_agent=/x,name=elogind",
    ].join("\n");
    const l = detectCgroupLayout({ mountinfo, procCgroup: "", fs: fakes.v1 });
    assert.equal(l.hierarchies.length, 2);
    assert.equal(l.controllers.get("memory")?.mountPoint, "/sys/fs/cgroup/memory");
    assert.deepEqual(l.controllers.get("name=elogind")?.controllers, ["name=elogind"]);
  });

  test("a named hierarchy other than name=systemd gets no cgroup of ours", () => {
    const mountinfo = [
      `31 30 0:28 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory`,
      `33 30 0:29 / /sys/fs/cgroup/elogind rw - cgroup cgroup rw,name=elogind`,
    ].join("\n");
    const mgr = openCgroupManager("/c", { root: fakes.v1.root, mountinfo, procCgroup: "", fs: fakes.v1 });
    assert.deepEqual(mgr.procsFiles(), [`${fakes.v1.root}/memory/c/cgroup.procs`]);
  });

  test("ownCgroupDir() resolves the own cgroup relative to a mount's root (cgroupns, bind mounts)", () => {
    const mountinfo = "31 30 0:28 /docker/abc /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n";
    const inside = detectCgroupLayout({ mountinfo, procCgroup: "4:memory:/docker/abc/sub\n", fs: fakes.v1 });
    assert.equal(ownCgroupDir(inside.controllers.get("memory")!), "/sys/fs/cgroup/memory/sub");
    const outside = detectCgroupLayout({ mountinfo, procCgroup: "4:memory:/elsewhere\n", fs: fakes.v1 });
    assert.equal(ownCgroupDir(outside.controllers.get("memory")!), "/sys/fs/cgroup/memory");
  });

  test("fails clearly when no cgroup filesystem is mounted", () => {
    assert.throws(
      () => detectCgroupLayout({ mountinfo: "22 1 8:1 / / rw - ext4 /dev/sda1 rw\n", procCgroup: "" }),
      (err: unknown) => {
        assert.equal(kindOf(err), "failed-precondition");
        assert.equal((err as Error).message, "detect cgroup layout: no cgroup filesystem is mounted");
        return true;
      },
    );
  });
});

describe("parseCgroupMounts() / parseProcCgroup()", () => {
  test("unescape octal mount points and skip other filesystems and malformed lines", () => {
    const mounts = parseCgroupMounts([
      "40 30 0:40 / /sys/fs/cgroup/with\\040space rw shared:9 master:2 - cgroup cgroup rw,pids",
      "23 22 0:5 / /mnt tmpfs",
      "22 1 8:1 / / rw - ext4 /dev/sda1 rw",
      "",
    ].join("\n"));
    assert.deepEqual(mounts, [
      { mountRoot: "/", mountPoint: "/sys/fs/cgroup/with space", fstype: "cgroup", superOptions: ["rw", "pids"] },
    ]);
  });

  test("reads v1 and v2 lines, including paths with colons", () => {
    assert.deepEqual(parseProcCgroup("4:memory:/a:b\n0::/\ngarbage\n"), [
      { id: "4", controllers: ["memory"], path: "/a:b" },
      { id: "0", controllers: [], path: "/" },
    ]);
  });
});
