import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, test } from "node:test";
import { FakeCgroupfs, type FakeLayoutKind } from "./fake-cgroupfs.js";
import { openCgroupManager } from "./manager.js";
import { UNLIMITED, parseBlkioV1, parseCgroupUint, parseFlatKeyed, parseIoStatV2, parseUintList } from "./stats.js";
import { blkioWeightToIoWeight, cpuSharesToWeight, memorySwapToV2 } from "./v2.js";

describe("parsers", () => {
  test("parseCgroupUint() reads numbers and max, rejects anything else", () => {
    assert.equal(parseCgroupUint("9223372036854771712\n"), 9223372036854771712);
    assert.equal(parseCgroupUint("max"), UNLIMITED);
    assert.throws(() => parseCgroupUint("12k"), RangeError);
  });

  test("parseFlatKeyed() reads memory.stat-style files and skips odd lines", () => {
    assert.deepEqual(parseFlatKeyed("cache 4096\nrss 8192\n\nweird line here\nmax max\n"), { cache: 4096, rss: 8192, max: UNLIMITED });
  });

  test("parseUintList() reads cpuacct.usage_percpu", () => {
    assert.deepEqual(parseUintList("123 456 \n"), [123, 456]);
  });

  test("parseBlkioV1() reads device lines and drops the Total summary", () => {
    const text = "8:0 Read 4096\n8:0 Write 8192\n8:0 Sync 0\n8:0 Async 12288\n8:0 Discard 0\n8:0 Total 12288\nTotal 12288\n";
    assert.deepEqual(parseBlkioV1(text), [
      { major: 8, minor: 0, op: "Read", value: 4096 },
      { major: 8, minor: 0, op: "Write", value: 8192 },
      { major: 8, minor: 0, op: "Sync", value: 0 },
      { major: 8, minor: 0, op: "Async", value: 12288 },
      { major: 8, minor: 0, op: "Discard", value: 0 },
      { major: 8, minor: 0, op: "Total", value: 12288 },
    ]);
  });

  test("parseIoStatV2() splits io.stat into bytes and ios per op", () => {
    const { bytes, ios } = parseIoStatV2("253:0 rbytes=1024 wbytes=2048 rios=1 wios=2 dbytes=0 dios=0\n");
    assert.deepEqual(bytes.map((e) => `${e.major}:${e.minor} ${e.op} ${e.value}`), ["253:0 Read 1024", "253:0 Write 2048", "253:0 Discard 0"]);
    assert.deepEqual(ios.map((e) => `${e.op} ${e.value}`), ["Read 1", "Write 2", "Discard 0"]);
  });
});

describe("v1 → v2 conversions", () => {
  test("cpuSharesToWeight() maps 2, 1024 and 262144 to 1, 100 and 10000", () => {
    assert.deepEqual([0, 2, 512, 1024, 2048, 262144, 300000].map(cpuSharesToWeight), [0, 1, 59, 100, 174, 10000, 10000]);
  });

  test("blkioWeightToIoWeight() maps 10..1000 onto 1..10000", () => {
    assert.deepEqual([0, 10, 500, 1000].map(blkioWeightToIoWeight), [0, 1, 4950, 10000]);
  });

  test("memorySwapToV2() subtracts the memory limit from memory+swap", () => {
    assert.equal(memorySwapToV2(300, 100), 200);
    assert.equal(memorySwapToV2(0, -1), -1);
    assert.equal(memorySwapToV2(-1, 100), -1);
    assert.equal(memorySwapToV2(0, 100), 0);
  });
});

describe("stats() from fixture file contents", () => {
  let fake: FakeCgroupfs | undefined;
  afterEach(() => fake?.cleanup());
  const open = (kind: FakeLayoutKind) => {
    fake = FakeCgroupfs.create(kind);
    const mgr = openCgroupManager("/s", { root: fake.root, mountinfo: fake.mountinfo, procCgroup: fake.procCgroup, fs: fake });
    mgr.create();
    return { mgr, f: fake };
  };

  test("v1 (hybrid): cpuacct, cpu.stat, memory, memsw, oom_control, pids, BFQ/throttle blkio, hugetlb in cgroup2", () => {
    const { mgr, f } = open("hybrid");
    f.setContent("cpuacct/s/cpuacct.usage", "3000\n");
    f.setContent("cpuacct/s/cpuacct.usage_percpu", "1000 2000 \n");
    f.setContent("cpuacct/s/cpuacct.usage_user", "2500\n");
    f.setContent("cpuacct/s/cpuacct.usage_sys", "500\n");
    f.setContent("cpu/s/cpu.stat", "nr_periods 10\nnr_throttled 3\nthrottled_time 777\nnr_bursts 0\n");
    f.setContent("memory/s/memory.stat", "cache 100\nrss 200\ntotal_cache 1000\ntotal_rss 2000\n");
    f.setContent("memory/s/memory.usage_in_bytes", "4096\n");
    f.setContent("memory/s/memory.max_usage_in_bytes", "8192\n");
    f.setContent("memory/s/memory.failcnt", "2\n");
    f.setContent("memory/s/memory.memsw.usage_in_bytes", "5000\n");
    f.setContent("memory/s/memory.oom_control", "oom_kill_disable 0\nunder_oom 0\noom_kill 4\n");
    f.setContent("pids/s/pids.current", "3\n");
    f.setContent("pids/s/pids.max", "9\n");
    f.setContent("blkio/s/blkio.throttle.io_service_bytes_recursive", "8:0 Read 512\n8:0 Write 1024\nTotal 1536\n");
    f.setContent("blkio/s/blkio.throttle.io_serviced_recursive", "8:0 Read 1\n8:0 Write 2\nTotal 3\n");
    f.setContent("unified/s/hugetlb.2MB.current", "2097152\n");
    f.setContent("unified/s/hugetlb.2MB.events", "max 5\n");
    const s = mgr.stats();
    assert.deepEqual(s.cpu, {
      usage: { total: 3000, percpu: [1000, 2000], percpu_kernel: [0, 0], percpu_user: [0, 0], kernel: 500, user: 2500 },
      throttling: { periods: 10, throttledPeriods: 3, throttledTime: 777 },
    });
    assert.equal(s.memory.cache, 1000);
    assert.equal(s.memory.rss, 2000);
    assert.deepEqual(s.memory.usage, { usage: 4096, max: 8192, failcnt: 2, limit: 9223372036854771712 });
    assert.equal(s.memory.swap.usage, 5000);
    assert.equal(s.memory.raw["total_rss"], 2000);
    assert.equal(s.memory.event_count.oom_kill, 4);
    assert.equal(mgr.oomKillCount(), 4);
    assert.deepEqual(s.pids, { current: 3, limit: 9 });
    // The BFQ tables are empty here: the throttle layer's figures are used.
    assert.deepEqual(s.blkio.ioServiceBytesRecursive, [
      { major: 8, minor: 0, op: "Read", value: 512 }, { major: 8, minor: 0, op: "Write", value: 1024 },
    ]);
    assert.equal(s.blkio.ioServicedRecursive.length, 2);
    assert.deepEqual(s.hugetlb, { "2MB": { usage: 2097152, max: 0, failcnt: 5 } });
  });

  test("v1 (classic): cpuacct.stat ticks when usage_user is absent, CFQ blkio, v1 hugetlb", () => {
    const { mgr, f } = open("v1");
    f.setContent("cpu,cpuacct/s/cpuacct.stat", "user 3\nsystem 1\n");
    for (const file of ["cpuacct.usage_user", "cpuacct.usage_sys"]) rmSync(join(f.root, "cpu,cpuacct/s", file));
    f.setContent("blkio/s/blkio.io_service_bytes_recursive", "8:16 Read 7\nTotal 7\n");
    f.setContent("hugetlb/s/hugetlb.2MB.usage_in_bytes", "4194304\n");
    f.setContent("hugetlb/s/hugetlb.2MB.max_usage_in_bytes", "6291456\n");
    f.setContent("hugetlb/s/hugetlb.2MB.failcnt", "1\n");
    const s = mgr.stats();
    assert.equal(s.cpu.usage.user, 30_000_000);
    assert.equal(s.cpu.usage.kernel, 10_000_000);
    assert.deepEqual(s.blkio.ioServiceBytesRecursive, [{ major: 8, minor: 16, op: "Read", value: 7 }]);
    assert.deepEqual(s.hugetlb, { "2MB": { usage: 4194304, max: 6291456, failcnt: 1 } });
  });

  test("v2: cpu.stat in microseconds, memory with swap as memory+swap, memory.events, io.stat", () => {
    const { mgr, f } = open("v2");
    f.setContent("s/cpu.stat", "usage_usec 10\nuser_usec 7\nsystem_usec 3\nnr_periods 4\nnr_throttled 1\nthrottled_usec 2\n");
    f.setContent("s/memory.stat", "anon 300\nfile 700\nkernel 5\n");
    f.setContent("s/memory.current", "1000\n");
    f.setContent("s/memory.peak", "1500\n");
    f.setContent("s/memory.max", "2000\n");
    f.setContent("s/memory.swap.current", "50\n");
    f.setContent("s/memory.swap.max", "100\n");
    f.setContent("s/memory.events", "low 0\nhigh 1\nmax 2\noom 3\noom_kill 1\n");
    f.setContent("s/io.stat", "8:0 rbytes=10 wbytes=20 rios=1 wios=2 dbytes=0 dios=0\n");
    const s = mgr.stats();
    assert.deepEqual(s.cpu.usage, { total: 10000, percpu: [], percpu_kernel: [], percpu_user: [], kernel: 3000, user: 7000 });
    assert.deepEqual(s.cpu.throttling, { periods: 4, throttledPeriods: 1, throttledTime: 2000 });
    assert.equal(s.memory.cache, 700);
    assert.equal(s.memory.rss, 300);
    assert.deepEqual(s.memory.usage, { usage: 1000, max: 1500, limit: 2000, failcnt: 2 });
    assert.deepEqual(s.memory.swap, { usage: 1050, max: 0, limit: 2100, failcnt: 0 });
    assert.deepEqual(s.memory.event_count, { low: 0, high: 1, max: 2, oom: 3, oom_kill: 1 });
    assert.equal(mgr.oomKillCount(), 1);
    assert.deepEqual(s.blkio.ioServiceBytesRecursive.map((e) => e.value), [10, 20, 0]);
    assert.deepEqual(s.pids, { current: 0, limit: 0 });
  });

  test("stats() of a cgroup that does not exist is not-found", () => {
    const { f } = open("v2");
    const gone = openCgroupManager("/never", { root: f.root, mountinfo: f.mountinfo, procCgroup: f.procCgroup, fs: f });
    assert.throws(() => gone.stats(), { name: "BerthError", message: 'read stats of cgroup "/never": no such cgroup' });
  });
});
