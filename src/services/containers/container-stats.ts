/**
 * GET /containers/{id}/stats: moby's StatsResponse from the container's cgroup counters
 * (v1 or v2, through the runtime's `CgroupStats`), the host's CPU time from /proc/stat,
 * and the interfaces of the container's network namespace from /proc/<pid>/net/dev.
 * Samples are one second apart, each carrying the previous one's CPU figures as
 * `precpu_stats`, as moby's collector does.
 */
import { readFile } from "node:fs/promises";
import { availableParallelism, totalmem } from "node:os";
import type { ContainerStats, CpuStats, NetworkStats } from "../../api/containers.js";
import type { CgroupStats } from "../../runtime/cgroups/index.js";

/** moby's collector interval. */
export const STATS_INTERVAL_MS = 1000;

// USER_HZ is 100 on every Linux architecture Docker supports.
const NS_PER_TICK = 1e9 / 100;

/** Host CPU time in ns from /proc/stat's "cpu" line (moby's getSystemCPUUsage: the first 7 fields). */
export function systemCpuUsage(procStat: string): number {
  const line = procStat.split("\n").find((l) => l.startsWith("cpu "));
  if (line === undefined) return 0;
  const fields = line.trim().split(/\s+/).slice(1, 8).map(Number);
  return fields.reduce((a, b) => a + (Number.isFinite(b) ? b : 0), 0) * NS_PER_TICK;
}

/** The interfaces of /proc/<pid>/net/dev except loopback (moby reads the sandbox's interfaces). */
export function parseNetDev(text: string): Record<string, NetworkStats> {
  const out: Record<string, NetworkStats> = {};
  for (const line of text.split("\n").slice(2)) {
    const i = line.indexOf(":");
    if (i === -1) continue;
    const name = line.slice(0, i).trim();
    if (name === "lo" || name === "") continue;
    const f = line.slice(i + 1).trim().split(/\s+/).map(Number);
    out[name] = {
      rx_bytes: f[0] ?? 0, rx_packets: f[1] ?? 0, rx_errors: f[2] ?? 0, rx_dropped: f[3] ?? 0,
      tx_bytes: f[8] ?? 0, tx_packets: f[9] ?? 0, tx_errors: f[10] ?? 0, tx_dropped: f[11] ?? 0,
    };
  }
  return out;
}

const ZERO_TIME = "0001-01-01T00:00:00Z";

function emptyCpu(): CpuStats {
  return { cpu_usage: { total_usage: 0, usage_in_kernelmode: 0, usage_in_usermode: 0 }, throttling_data: { periods: 0, throttled_periods: 0, throttled_time: 0 } };
}

/** The all-zero sample moby sends for a container that is not running. */
export function emptyStats(name: string, id: string): ContainerStats {
  return {
    name, id, read: ZERO_TIME, preread: ZERO_TIME, pids_stats: {},
    blkio_stats: {
      io_service_bytes_recursive: null, io_serviced_recursive: null, io_queue_recursive: null, io_service_time_recursive: null,
      io_wait_time_recursive: null, io_merged_recursive: null, io_time_recursive: null, sectors_recursive: null,
    },
    num_procs: 0, storage_stats: {}, cpu_stats: emptyCpu(), precpu_stats: emptyCpu(), memory_stats: {},
  };
}

/** Host facts a sample needs (injected in tests). */
export interface StatsHost {
  /** /proc/stat text. */
  procStat(): Promise<string>;
  /** /proc/<pid>/net/dev text, undefined when unreadable. */
  netDev(pid: number): Promise<string | undefined>;
  onlineCpus: number;
  /** Host memory in bytes (the limit shown for a container without one). */
  memory: number;
  now(): number;
}

/** The real host. */
export const nodeStatsHost: StatsHost = {
  procStat: () => readFile("/proc/stat", "utf8"),
  netDev: (pid) => readFile(`/proc/${pid}/net/dev`, "utf8").catch(() => undefined),
  onlineCpus: availableParallelism(),
  memory: totalmem(),
  now: () => Date.now(),
};

/** What identifies the container being sampled. */
export interface StatsTarget {
  /** Name with its leading "/". */
  name: string;
  id: string;
  /** Init pid (host), for the network namespace; 0 when unknown. */
  pid: number;
  /** false for `--network host` (moby reports no interfaces then). */
  ownNetwork: boolean;
  read(): Promise<CgroupStats>;
}

/** Successive samples of one container (each with the previous one as `pre`). */
export class StatsSampler {
  private prev: { read: string; cpu: CpuStats } | undefined;

  constructor(private readonly target: StatsTarget, private readonly host: StatsHost = nodeStatsHost) {}

  /** One sample now. */
  async sample(): Promise<ContainerStats> {
    const t = this.target;
    const [cg, procStat, netText] = await Promise.all([
      t.read(), this.host.procStat(), t.ownNetwork && t.pid > 0 ? this.host.netDev(t.pid) : Promise.resolve(undefined),
    ]);
    const read = new Date(this.host.now()).toISOString();
    const cpu: CpuStats = {
      cpu_usage: {
        total_usage: cg.cpu.usage.total,
        ...(cg.cpu.usage.percpu.length > 0 ? { percpu_usage: cg.cpu.usage.percpu } : {}),
        usage_in_kernelmode: cg.cpu.usage.kernel,
        usage_in_usermode: cg.cpu.usage.user,
      },
      system_cpu_usage: systemCpuUsage(procStat),
      online_cpus: this.host.onlineCpus,
      throttling_data: {
        periods: cg.cpu.throttling.periods, throttled_periods: cg.cpu.throttling.throttledPeriods, throttled_time: cg.cpu.throttling.throttledTime,
      },
    };
    const base = emptyStats(t.name, t.id);
    const limit = cg.memory.usage.limit > 0 && cg.memory.usage.limit < this.host.memory ? cg.memory.usage.limit : this.host.memory;
    const out: ContainerStats = {
      ...base,
      read,
      preread: this.prev?.read ?? ZERO_TIME,
      pids_stats: { current: cg.pids.current, ...(cg.pids.limit > 0 ? { limit: cg.pids.limit } : {}) },
      blkio_stats: {
        ...base.blkio_stats,
        io_service_bytes_recursive: cg.blkio.ioServiceBytesRecursive.map((e) => ({ ...e })),
        io_serviced_recursive: cg.blkio.ioServicedRecursive.map((e) => ({ ...e })),
      },
      cpu_stats: cpu,
      precpu_stats: this.prev?.cpu ?? emptyCpu(),
      memory_stats: {
        usage: cg.memory.usage.usage, max_usage: cg.memory.usage.max, stats: { ...cg.memory.raw }, failcnt: cg.memory.usage.failcnt, limit,
      },
    };
    if (netText !== undefined) {
      const nets = parseNetDev(netText);
      if (Object.keys(nets).length > 0) out.networks = nets;
    }
    this.prev = { read, cpu };
    return out;
  }
}

/** How the samples are asked for (`stream`, `one-shot`). */
export interface StatsOptions {
  stream: boolean;
  oneShot: boolean;
}

/**
 * moby's stats loop: with `stream` one sample per second until `signal` aborts or the
 * container stops; without it the second sample (so `precpu_stats` is filled), or the
 * first at once with `oneShot`.
 */
export async function runStats(
  sampler: StatsSampler, o: StatsOptions, emit: (s: ContainerStats) => void, running: () => boolean, signal: AbortSignal,
): Promise<void> {
  const tick = () => new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, STATS_INTERVAL_MS);
    signal.addEventListener("abort", () => {
      clearTimeout(timer);
      resolve();
    }, { once: true });
  });
  let first = true;
  while (!signal.aborted && running()) {
    let s: ContainerStats;
    try {
      s = await sampler.sample();
    } catch {
      // The container exited between the check and the read.
      return;
    }
    if (o.stream || o.oneShot || !first) {
      emit(s);
      if (!o.stream) return;
    }
    first = false;
    await tick();
  }
}
