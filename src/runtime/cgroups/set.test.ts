import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, test } from "node:test";
import { BerthError, kindOf } from "../../shared/errors.js";
import { compileDeviceFilter } from "./devices-ebpf.js";
import { FakeCgroupfs, type FakeLayoutKind } from "./fake-cgroupfs.js";
import { openCgroupManager } from "./manager.js";
import type { LinuxResources } from "./resources.js";

/** Exact files and values that `set()` and `create()` write, per layout, on the fake cgroupfs. */

const everything: LinuxResources = {
  cpu: { shares: 1024, quota: 20000, period: 50000, cpus: "1", mems: "0", burst: 1000 },
  memory: { limit: 2 ** 26, swap: 2 ** 27, reservation: 2 ** 25, swappiness: 10, disableOOMKiller: true },
  pids: { limit: 5 },
  blockIO: {
    weight: 300,
    weightDevice: [{ major: 8, minor: 0, weight: 200 }],
    throttleReadBpsDevice: [{ major: 8, minor: 0, rate: 1000 }],
    throttleWriteIOPSDevice: [{ major: 8, minor: 16, rate: 50 }],
  },
  hugepageLimits: [{ pageSize: "2MB", limit: 2 ** 22 }],
  network: { classID: 7, priorities: [{ name: "eth0", priority: 3 }] },
  devices: [{ allow: false, access: "rwm" }, { allow: true, type: "c", major: 1, minor: 3, access: "rwm" }],
};

function open(kind: FakeLayoutKind, path = "/c1") {
  const fake = FakeCgroupfs.create(kind);
  const warnings: string[] = [];
  // eBPF device programs the manager would load: (directory relative to the fake root, bytes).
  const attached: { dir: string; program: Uint8Array }[] = [];
  const mgr = openCgroupManager(path, {
    root: fake.root, mountinfo: fake.mountinfo, procCgroup: fake.procCgroup, fs: fake,
    logger: { warn: (m) => warnings.push(m) },
    attachDeviceFilter: (dir, program) => attached.push({ dir: dir.slice(fake.root.length + 1), program }),
  });
  return { fake, mgr, warnings, attached, writes: () => fake.writes.map((w) => `${w.file}=${w.value}`) };
}

let env: ReturnType<typeof open> | undefined;
const use = (kind: FakeLayoutKind, path?: string) => (env = open(kind, path));
afterEach(() => env?.fake.cleanup());

describe("v1 (cpu,cpuacct joined, CFQ blkio, net_cls,net_prio)", () => {
  test("create() copies the parent's cpuset before any task can join", () => {
    const { mgr, writes } = use("v1");
    mgr.create();
    assert.deepEqual(writes(), ["cpuset/c1/cpuset.cpus=0-1", "cpuset/c1/cpuset.mems=0"]);
  });

  test("create() fills every new level of a nested cpuset path", () => {
    const { mgr, writes } = use("v1", "/a/b");
    mgr.create();
    assert.deepEqual(writes(), [
      "cpuset/a/cpuset.cpus=0-1", "cpuset/a/cpuset.mems=0", "cpuset/a/b/cpuset.cpus=0-1", "cpuset/a/b/cpuset.mems=0",
    ]);
  });

  test("set() writes every resource to its v1 file, devices in order", () => {
    const { mgr, fake, writes, warnings } = use("v1");
    mgr.create();
    fake.writes.length = 0;
    mgr.set(everything);
    assert.deepEqual(writes(), [
      "cpuset/c1/cpuset.cpus=1",
      "cpuset/c1/cpuset.mems=0",
      "devices/c1/devices.deny=a *:* rwm",
      "devices/c1/devices.allow=c 1:3 rwm",
      "memory/c1/memory.limit_in_bytes=67108864",
      "memory/c1/memory.memsw.limit_in_bytes=134217728",
      "memory/c1/memory.soft_limit_in_bytes=33554432",
      "memory/c1/memory.oom_control=1",
      "memory/c1/memory.swappiness=10",
      "cpu,cpuacct/c1/cpu.shares=1024",
      "cpu,cpuacct/c1/cpu.cfs_period_us=50000",
      "cpu,cpuacct/c1/cpu.cfs_quota_us=20000",
      "cpu,cpuacct/c1/cpu.cfs_burst_us=1000",
      "pids/c1/pids.max=5",
      "blkio/c1/blkio.weight=300",
      "blkio/c1/blkio.weight_device=8:0 200",
      "blkio/c1/blkio.throttle.read_bps_device=8:0 1000",
      "blkio/c1/blkio.throttle.write_iops_device=8:16 50",
      "hugetlb/c1/hugetlb.2MB.limit_in_bytes=4194304",
      "net_cls,net_prio/c1/net_cls.classid=7",
      "net_cls,net_prio/c1/net_prio.ifpriomap=eth0 3",
    ]);
    assert.deepEqual(warnings, []);
  });

  test("set() raises memory+swap before memory, and lowers memory before memory+swap", () => {
    const { mgr, fake } = use("v1");
    mgr.create();
    const M = 2 ** 20;
    mgr.set({ memory: { limit: 64 * M, swap: 128 * M } });
    fake.writes.length = 0;
    mgr.set({ memory: { limit: 256 * M, swap: 512 * M } });
    assert.deepEqual(fake.writesUnder("memory/c1/"), [`memory.memsw.limit_in_bytes=${512 * M}`, `memory.limit_in_bytes=${256 * M}`]);
    fake.writes.length = 0;
    mgr.set({ memory: { limit: 32 * M, swap: 64 * M } });
    assert.deepEqual(fake.writesUnder("memory/c1/"), [`memory.limit_in_bytes=${32 * M}`, `memory.memsw.limit_in_bytes=${64 * M}`]);
    fake.writes.length = 0;
    mgr.set({ memory: { limit: -1 } });
    assert.deepEqual(fake.writesUnder("memory/c1/"), ["memory.memsw.limit_in_bytes=-1", "memory.limit_in_bytes=-1"]);
  });

  test("set() maps absent type/major/minor/access of a device rule to a, * and rwm", () => {
    const { mgr, fake } = use("v1");
    mgr.create();
    fake.writes.length = 0;
    mgr.set({ devices: [{ allow: true }, { allow: false, type: "b", major: 8, minor: -1, access: "w" }] });
    assert.deepEqual(fake.writesUnder("devices/c1/"), ["devices.allow=a *:* rwm", "devices.deny=b 8:* w"]);
  });

  test("set() rejects swappiness above 100 and a controller that is not mounted", () => {
    const { mgr } = use("v1");
    mgr.create();
    assert.throws(() => mgr.set({ memory: { swappiness: 101 } }), {
      name: "BerthError", message: "set memory swappiness 101: valid range is 0-100",
    });
    assert.throws(() => mgr.set({ rdma: { mlx5_0: { hcaHandles: 2 } } }), {
      message: "set rdma: the rdma controller is not available on this host",
    });
    assert.throws(() => mgr.set({ unified: { "memory.high": "max" } }), {
      message: "set unified: no cgroup2 filesystem is mounted on this host",
    });
  });

  test("set() reports the kernel's refusal with the setting, value, file and errno text", () => {
    const { mgr, fake } = use("v1");
    mgr.create();
    fake.setContent("memory/c1/memory.usage_in_bytes", "1048576\n");
    assert.throws(
      () => mgr.set({ memory: { limit: 4194304 / 8 } }),
      (err: unknown) => {
        assert.ok(err instanceof BerthError);
        assert.equal(err.kind, "invalid-argument");
        assert.equal(err.message, "set memory limit 524288: write `memory.limit_in_bytes`: device or resource busy");
        assert.equal((err.cause as { code?: string }).code, "EBUSY");
        return true;
      },
    );
  });

  test("set() with checkBeforeUpdate compares with memory.usage_in_bytes on v1", () => {
    const { mgr, fake } = use("v1");
    mgr.create();
    fake.setContent("memory/c1/memory.usage_in_bytes", "5000\n");
    assert.throws(() => mgr.set({ memory: { limit: 4096, checkBeforeUpdate: true } }), {
      message: "set memory limit 4096: below current usage 5000",
    });
  });

  test("set() reads cpu.shares back and reports a value the kernel clamped", () => {
    const { mgr } = use("v1");
    mgr.create();
    assert.throws(() => mgr.set({ cpu: { shares: 1 } }), {
      message: "set cpu shares 1: the kernel clamped it to 2 (allowed range 2-262144)",
    });
  });
});

describe("hybrid (these machines: v1 controllers, hugetlb in the cgroup2 mount, BFQ blkio)", () => {
  test("create() enables hugetlb in the cgroup2 root once, and fills cpuset", () => {
    const { mgr, fake, writes } = use("hybrid");
    mgr.create();
    assert.deepEqual(writes(), ["cpuset/c1/cpuset.cpus=0-1", "cpuset/c1/cpuset.mems=0", "unified/cgroup.subtree_control=+hugetlb"]);
    fake.writes.length = 0;
    const again = openCgroupManager("/c2", { root: fake.root, mountinfo: fake.mountinfo, procCgroup: fake.procCgroup, fs: fake });
    again.create();
    assert.ok(!writes().some((w) => w.includes("subtree_control")), "already enabled: not rewritten");
  });

  test("set() sends v1 controllers to v1 files, hugetlb to the cgroup2 directory, and warns for net_cls", () => {
    const { mgr, fake, warnings, attached } = use("hybrid");
    mgr.create();
    fake.writes.length = 0;
    mgr.set(everything);
    assert.deepEqual(fake.writesUnder("devices/c1/"), ["devices.deny=a *:* rwm", "devices.allow=c 1:3 rwm"]);
    assert.deepEqual(attached, [], "v1 devices wins: no eBPF program on the cgroup2 directory");
    assert.deepEqual(fake.writesUnder("blkio/c1/"), [
      "blkio.bfq.weight=300", "blkio.bfq.weight_device=8:0 200",
      "blkio.throttle.read_bps_device=8:0 1000", "blkio.throttle.write_iops_device=8:16 50",
    ]);
    assert.deepEqual(fake.writesUnder("unified/"), ["c1/hugetlb.2MB.max=4194304", "c1/hugetlb.2MB.rsvd.max=4194304"]);
    assert.deepEqual(fake.writesUnder("cpu/c1/"), ["cpu.shares=1024", "cpu.cfs_period_us=50000", "cpu.cfs_quota_us=20000", "cpu.cfs_burst_us=1000"]);
    assert.deepEqual(warnings, [
      'network class id ignored for "/c1": net_cls is not mounted',
      'network priorities ignored for "/c1": net_prio is not mounted',
    ]);
  });

  test("set() writes unified keys into the cgroup2 directory and refuses path-like keys", () => {
    const { mgr, fake } = use("hybrid");
    mgr.create();
    fake.writes.length = 0;
    mgr.set({ unified: { "hugetlb.2MB.max": "max" } });
    assert.deepEqual(fake.writesUnder("unified/c1/"), ["hugetlb.2MB.max=max"]);
    assert.throws(() => mgr.set({ unified: { "../x": "1" } }), { message: 'set unified "../x": not a cgroup interface file name' });
    assert.throws(() => mgr.set({ unified: { "memory.max": "1" } }), {
      message: 'set unified "memory.max" 1: open `memory.max`: no such file or directory',
    });
  });

  test("set() of a leaf weight the kernel lacks fails naming the file", () => {
    const { mgr } = use("hybrid");
    mgr.create();
    assert.throws(() => mgr.set({ blockIO: { leafWeight: 500 } }), (err: unknown) => {
      assert.equal(kindOf(err), "invalid-argument");
      assert.equal((err as Error).message, "set blkio leaf weight 500: open `blkio.leaf_weight`: no such file or directory");
      return true;
    });
  });

  test("a relative cgroupsPath goes below this process's own memory cgroup only in memory", () => {
    const { mgr, fake } = use("hybrid", "rel/x");
    assert.equal(mgr.locate("memory")?.dir, `${fake.root}/memory/process_api/0123abcd/rel/x`);
    assert.equal(mgr.locate("cpu")?.dir, `${fake.root}/cpu/rel/x`);
    assert.deepEqual(mgr.locate("hugetlb"), { version: 2, dir: `${fake.root}/unified/rel/x` });
    assert.deepEqual(mgr.locate("name=systemd"), { version: 1, dir: `${fake.root}/systemd/rel/x` });
  });
});

describe("v2 (one cgroup2 mount)", () => {
  test("create() enables every available controller in each ancestor's subtree_control", () => {
    const { mgr, writes } = use("v2", "/a/b");
    mgr.create();
    assert.deepEqual(writes(), [
      "cgroup.subtree_control=+cpuset +cpu +io +memory +hugetlb +pids +rdma",
      "a/cgroup.subtree_control=+cpuset +cpu +io +memory +hugetlb +pids +rdma",
    ]);
  });

  test("set() translates v1-shaped values with runc's conversions, devices as an eBPF program", () => {
    const { mgr, fake, warnings, attached } = use("v2");
    mgr.create();
    fake.writes.length = 0;
    mgr.set(everything);
    assert.deepEqual(fake.writesUnder("c1/"), [
      "cpuset.cpus=1",
      "cpuset.mems=0",
      "memory.swap.max=67108864",
      "memory.max=67108864",
      "memory.low=33554432",
      "cpu.weight=100",
      "cpu.max=20000 50000",
      "cpu.max.burst=1000",
      "pids.max=5",
      "io.weight=2930",
      "io.weight=8:0 1920",
      "io.max=8:0 rbps=1000",
      "io.max=8:16 wiops=50",
      "hugetlb.2MB.max=4194304",
      "hugetlb.2MB.rsvd.max=4194304",
    ]);
    assert.deepEqual(attached, [{ dir: "c1", program: compileDeviceFilter(everything.devices ?? []) }]);
    assert.deepEqual(warnings, [
      "memory swappiness ignored: not supported by cgroup v2",
      "memory oom killer disable ignored: not supported by cgroup v2",
      'network class id ignored for "/c1": net_cls is not mounted',
      'network priorities ignored for "/c1": net_prio is not mounted',
    ]);
  });

  test("set() writes memory.swap.max 0 when memory+swap equals memory, max for -1", () => {
    const { mgr, fake } = use("v2");
    mgr.create();
    fake.writes.length = 0;
    mgr.set({ memory: { limit: 1000, swap: 1000 } });
    mgr.set({ memory: { limit: -1 } });
    mgr.set({ cpu: { quota: -1 } });
    mgr.set({ cpu: { period: 100000 } });
    assert.deepEqual(fake.writesUnder("c1/"), [
      "memory.swap.max=0", "memory.max=1000", "memory.swap.max=max", "memory.max=max", "cpu.max=max", "cpu.max=max 100000",
    ]);
  });

  test("set() with checkBeforeUpdate refuses a limit below current usage without writing", () => {
    const { mgr, fake } = use("v2");
    mgr.create();
    fake.setContent("c1/memory.current", "5000\n");
    fake.writes.length = 0;
    assert.throws(() => mgr.set({ memory: { limit: 4096, checkBeforeUpdate: true } }), {
      message: "set memory limit 4096: below current usage 5000",
    });
    assert.deepEqual(fake.writes, []);
    mgr.set({ memory: { limit: 8192, checkBeforeUpdate: true } });
    assert.deepEqual(fake.writesUnder("c1/"), ["memory.max=8192"]);
  });

  test("set() warns for kernel memory, and attaches device programs without writing a file", () => {
    const { mgr, fake, warnings, attached } = use("v2");
    mgr.create();
    fake.writes.length = 0;
    mgr.set({ memory: { kernel: 2 ** 20, kernelTCP: 2 ** 20 }, devices: [{ allow: true }] });
    mgr.set({ devices: [] });
    assert.deepEqual(fake.writes, []);
    assert.deepEqual(attached, [{ dir: "c1", program: compileDeviceFilter([{ allow: true }]) }], "an empty list leaves the program");
    assert.deepEqual(warnings, [
      "kernel memory limit ignored: not supported by cgroup v2",
      "kernel tcp memory limit ignored: not supported by cgroup v2",
    ]);
  });

  test("set() refuses a bad device rule before attaching, and passes the attacher's error on", () => {
    const { mgr, attached } = use("v2");
    mgr.create();
    assert.throws(() => mgr.set({ devices: [{ allow: true, type: "x" }] }), {
      name: "BerthError", message: 'compile device rule type "x": not one of "a", "b", "c"',
    });
    assert.deepEqual(attached, []);
    const failing = FakeCgroupfs.create("v2");
    try {
      const m = openCgroupManager("/c1", {
        root: failing.root, mountinfo: failing.mountinfo, procCgroup: failing.procCgroup, fs: failing,
        attachDeviceFilter: () => {
          throw new BerthError("permission-denied", "set devices: bpf(BPF_PROG_ATTACH) `x`: operation not permitted");
        },
      });
      m.create();
      assert.throws(() => m.set({ devices: [{ allow: true }] }), (err: unknown) => kindOf(err) === "permission-denied");
    } finally {
      failing.cleanup();
    }
  });

  test("set() rejects what v2 cannot express", () => {
    const { mgr } = use("v2");
    mgr.create();
    assert.throws(() => mgr.set({ memory: { swap: 100 } }), { message: "set memory swap 100: a swap limit needs a memory limit" });
    assert.throws(() => mgr.set({ memory: { limit: 200, swap: 100 } }), {
      message: "set memory swap 100: memory+swap must be at least the memory limit 200",
    });
    assert.throws(() => mgr.set({ cpu: { realtimeRuntime: 950000 } }), {
      message: "set cpu realtime period/runtime: not supported by cgroup v2",
    });
    assert.throws(() => mgr.set({ cpu: { quota: 1.5 } }), { message: "set cpu quota 1.5: not an integer" });
  });
});
