import { test } from "node:test";
import assert from "node:assert/strict";
import { emptyStats as emptyCgroupStats } from "../../runtime/cgroups/stats.js";
import { emptyStats, parseNetDev, runStats, StatsSampler, systemCpuUsage, type StatsHost } from "./container-stats.js";

const NET_DEV = `Inter-|   Receive                                                |  Transmit
 face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed
    lo:     100       2    0    0    0     0          0         0      100       2    0    0    0     0       0          0
  eth0:    1500      10    1    2    0     0          0         0      700       5    3    4    0     0       0          0
`;

test("system CPU time from /proc/stat and interfaces from /proc/<pid>/net/dev", () => {
  assert.equal(systemCpuUsage("cpu  10 20 30 40 50 60 70 80 90\ncpu0 1 2 3\n"), 280 * 1e7);
  assert.deepEqual(parseNetDev(NET_DEV), {
    eth0: { rx_bytes: 1500, rx_packets: 10, rx_errors: 1, rx_dropped: 2, tx_bytes: 700, tx_packets: 5, tx_errors: 3, tx_dropped: 4 },
  });
});

test("StatsSampler: StatsJSON from cgroup counters, precpu from the previous sample, host memory as the default limit", async () => {
  let clock = Date.parse("2026-01-01T00:00:00Z");
  let cpuTicks = 1000;
  let usage = 5_000_000;
  const host: StatsHost = {
    procStat: async () => `cpu  ${cpuTicks} 0 0 0 0 0 0\n`,
    netDev: async () => NET_DEV,
    onlineCpus: 2,
    memory: 8 * 1024 ** 3,
    now: () => clock,
  };
  const read = async () => {
    const s = emptyCgroupStats();
    s.cpu.usage.total = usage;
    s.cpu.usage.percpu = [usage / 2, usage / 2];
    s.memory.usage = { usage: 4096, limit: 18446744073709551615, max: 8192, failcnt: 0 };
    s.memory.raw = { total_inactive_file: 1024 };
    s.pids = { current: 3, limit: 0 };
    s.blkio.ioServiceBytesRecursive = [{ major: 8, minor: 0, op: "Read", value: 512 }];
    return s;
  };
  const sampler = new StatsSampler({ name: "/c", id: "abc", pid: 42, ownNetwork: true, read }, host);
  const a = await sampler.sample();
  assert.equal(a.read, "2026-01-01T00:00:00.000Z");
  assert.equal(a.preread, "0001-01-01T00:00:00Z");
  assert.equal(a.precpu_stats.cpu_usage.total_usage, 0);
  assert.equal(a.cpu_stats.system_cpu_usage, 1000 * 1e7);
  assert.deepEqual(a.cpu_stats.cpu_usage.percpu_usage, [2_500_000, 2_500_000]);
  assert.equal(a.memory_stats.limit, 8 * 1024 ** 3);
  assert.deepEqual(a.pids_stats, { current: 3 });
  assert.equal(a.networks?.eth0?.rx_bytes, 1500);
  assert.equal(a.networks?.lo, undefined);
  clock += 1000;
  cpuTicks += 200;
  usage += 1_000_000;
  const b = await sampler.sample();
  assert.equal(b.preread, a.read);
  assert.equal(b.precpu_stats.cpu_usage.total_usage, 5_000_000);
  assert.equal(b.cpu_stats.cpu_usage.total_usage, 6_000_000);
  const host2 = new StatsSampler({ name: "/h", id: "def", pid: 42, ownNetwork: false, read }, host);
  assert.equal((await host2.sample()).networks, undefined, "host network: no interfaces, as moby");
  assert.equal(emptyStats("/x", "y").read, "0001-01-01T00:00:00Z");
});

test("runStats: without stream the second sample only; one-shot the first; stops when the container stops", async () => {
  let n = 0;
  const sampler = { sample: async () => ({ ...emptyStats("/c", String(++n)) }) } as unknown as StatsSampler;
  const got: string[] = [];
  await runStats(sampler, { stream: false, oneShot: false }, (s) => got.push(s.id), () => true, new AbortController().signal);
  assert.deepEqual(got, ["2"]);
  got.length = 0;
  await runStats(sampler, { stream: false, oneShot: true }, (s) => got.push(s.id), () => true, new AbortController().signal);
  assert.deepEqual(got, ["3"]);
  got.length = 0;
  const ac = new AbortController();
  await runStats(sampler, { stream: true, oneShot: false }, (s) => {
    got.push(s.id);
    if (got.length === 2) ac.abort();
  }, () => true, ac.signal);
  assert.deepEqual(got, ["4", "5"], "one sample a second until the client goes");
  got.length = 0;
  await runStats(sampler, { stream: true, oneShot: false }, (s) => got.push(s.id), () => false, new AbortController().signal);
  assert.deepEqual(got, [], "nothing once the container stopped");
});
