/**
 * The docker CLI's `stats` columns from a daemon sample (cli/command/container/stats_helpers.go
 * and formatter_stats.go): CPU % from the delta to `precpu_stats`, memory without the
 * inactive file cache, network and block I/O sums, pids.
 */
import type { ContainerStats } from "../../api/containers.js";
import { bytesSize, humanSize, shortId } from "./human.js";

/** The numbers behind one row. */
export interface StatsFigures {
  cpuPercent: number;
  memory: number;
  memoryLimit: number;
  memoryPercent: number;
  netRx: number;
  netTx: number;
  blockRead: number;
  blockWrite: number;
  pids: number;
}

/** docker's calculateCPUPercentUnix. */
export function cpuPercent(s: ContainerStats): number {
  const cpuDelta = s.cpu_stats.cpu_usage.total_usage - s.precpu_stats.cpu_usage.total_usage;
  const systemDelta = (s.cpu_stats.system_cpu_usage ?? 0) - (s.precpu_stats.system_cpu_usage ?? 0);
  const online = s.cpu_stats.online_cpus ?? s.cpu_stats.cpu_usage.percpu_usage?.length ?? 0;
  if (systemDelta > 0 && cpuDelta > 0) return (cpuDelta / systemDelta) * online * 100;
  return 0;
}

/** docker's calculateMemUsageUnixNoCache: usage less the inactive file cache (v1 or v2 key). */
export function memoryUsage(s: ContainerStats): number {
  const usage = s.memory_stats.usage ?? 0;
  const st = s.memory_stats.stats ?? {};
  const v1 = st.total_inactive_file;
  if (v1 !== undefined) return v1 < usage ? usage - v1 : usage;
  const v2 = st.inactive_file ?? 0;
  return v2 < usage ? usage - v2 : usage;
}

/** The figures of a sample. */
export function statsFigures(s: ContainerStats): StatsFigures {
  const memory = memoryUsage(s);
  const limit = s.memory_stats.limit ?? 0;
  let netRx = 0;
  let netTx = 0;
  for (const n of Object.values(s.networks ?? {})) {
    netRx += n.rx_bytes;
    netTx += n.tx_bytes;
  }
  let blockRead = 0;
  let blockWrite = 0;
  for (const e of s.blkio_stats.io_service_bytes_recursive ?? []) {
    const op = e.op.charAt(0).toLowerCase();
    if (op === "r") blockRead += e.value;
    else if (op === "w") blockWrite += e.value;
  }
  return {
    cpuPercent: cpuPercent(s), memory, memoryLimit: limit, memoryPercent: limit > 0 ? (memory / limit) * 100 : 0,
    netRx, netTx, blockRead, blockWrite, pids: s.pids_stats.current ?? 0,
  };
}

/** The header titles of the stats table. */
export const STATS_HEADERS: Readonly<Record<string, string>> = {
  ID: "CONTAINER ID", Container: "CONTAINER", Name: "NAME", CPUPerc: "CPU %", MemUsage: "MEM USAGE / LIMIT", MemPerc: "MEM %",
  NetIO: "NET I/O", BlockIO: "BLOCK I/O", PIDs: "PIDS",
};

/** docker's default stats table. */
export const STATS_TABLE = "table {{.ID}}\t{{.Name}}\t{{.CPUPerc}}\t{{.MemUsage}}\t{{.MemPerc}}\t{{.NetIO}}\t{{.BlockIO}}\t{{.PIDs}}";

/** One row's fields as docker's statsContext (sorted, as its JSON is). `container` is what the user named. */
export function statsContext(s: ContainerStats, container: string, trunc: boolean): Record<string, string> {
  const f = statsFigures(s);
  return {
    BlockIO: `${humanSize(f.blockRead)} / ${humanSize(f.blockWrite)}`,
    CPUPerc: `${f.cpuPercent.toFixed(2)}%`,
    Container: container,
    ID: trunc ? shortId(s.id) : s.id,
    MemPerc: `${f.memoryPercent.toFixed(2)}%`,
    MemUsage: `${bytesSize(f.memory)} / ${bytesSize(f.memoryLimit)}`,
    Name: s.name.replace(/^\//, ""),
    NetIO: `${humanSize(f.netRx)} / ${humanSize(f.netTx)}`,
    PIDs: String(f.pids),
  };
}
