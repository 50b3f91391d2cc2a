import { test } from "node:test";
import assert from "node:assert/strict";
import type { ContainerStats } from "../../api/containers.js";
import { bytesSize } from "./human.js";
import { cpuPercent, memoryUsage, statsContext, STATS_HEADERS, STATS_TABLE } from "./stats-context.js";
import { renderTemplate } from "./template.js";

function sample(over: Partial<ContainerStats> = {}): ContainerStats {
  const cpu = (total: number, system: number) => ({
    cpu_usage: { total_usage: total, percpu_usage: [total / 2, total / 2], usage_in_kernelmode: 0, usage_in_usermode: 0 },
    system_cpu_usage: system, online_cpus: 2, throttling_data: { periods: 0, throttled_periods: 0, throttled_time: 0 },
  });
  return {
    name: "/web", id: "0123456789abcdef0123", read: "", preread: "", num_procs: 0, storage_stats: {},
    pids_stats: { current: 3 },
    blkio_stats: {
      io_service_bytes_recursive: [{ major: 8, minor: 0, op: "Read", value: 2000 }, { major: 8, minor: 0, op: "write", value: 3000 }, { major: 8, minor: 0, op: "Total", value: 5000 }],
      io_serviced_recursive: null, io_queue_recursive: null, io_service_time_recursive: null, io_wait_time_recursive: null,
      io_merged_recursive: null, io_time_recursive: null, sectors_recursive: null,
    },
    cpu_stats: cpu(3e9, 20e9), precpu_stats: cpu(2e9, 10e9),
    memory_stats: { usage: 10 * 1024 * 1024, limit: 100 * 1024 * 1024, stats: { total_inactive_file: 2 * 1024 * 1024 } },
    networks: { eth0: { rx_bytes: 1500, rx_packets: 0, rx_errors: 0, rx_dropped: 0, tx_bytes: 500, tx_packets: 0, tx_errors: 0, tx_dropped: 0 } },
    ...over,
  };
}

test("docker's stats figures: CPU % from deltas, memory without inactive file, I/O sums", () => {
  assert.equal(cpuPercent(sample()), 20);
  assert.equal(cpuPercent(sample({ precpu_stats: sample().cpu_stats })), 0, "no delta, no percentage");
  assert.equal(memoryUsage(sample()), 8 * 1024 * 1024);
  assert.equal(memoryUsage(sample({ memory_stats: { usage: 4096, stats: { inactive_file: 1024 } } })), 3072, "cgroup v2 key");
  assert.deepEqual(statsContext(sample(), "web", true), {
    BlockIO: "2kB / 3kB", CPUPerc: "20.00%", Container: "web", ID: "0123456789ab", MemPerc: "8.00%", MemUsage: "8MiB / 100MiB",
    Name: "web", NetIO: "1.5kB / 500B", PIDs: "3",
  });
  assert.equal(bytesSize(626688), "612KiB");
  assert.equal(bytesSize(25_275_000_000), "23.54GiB");
  assert.equal(renderTemplate(STATS_TABLE, [statsContext(sample(), "web", true)], STATS_HEADERS),
    "CONTAINER ID   NAME      CPU %     MEM USAGE / LIMIT   MEM %     NET I/O        BLOCK I/O   PIDS\n" +
    "0123456789ab   web       20.00%    8MiB / 100MiB       8.00%     1.5kB / 500B   2kB / 3kB   3\n");
});
