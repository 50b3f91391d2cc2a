/**
 * The host facts that decide whether a container's run options can work here: the daemon's
 * own rlimits and oom_score_adj (a container inherits them, and without CAP_SYS_RESOURCE it
 * can only lower a hard limit or raise its score), the online CPUs and memory nodes, and
 * which cgroup knobs exist. Read once per create; tests pass their own.
 */
import { existsSync, readFileSync } from "node:fs";

/** A resource limit pair; `Infinity` is "unlimited". */
export interface RlimitPair {
  soft: number;
  hard: number;
}

/** What `validateRunOptions` checks run options against. */
export interface RunHostFacts {
  /** Capability names (`CAP_*`) the host can grant. */
  capabilities: readonly string[];
  /** The daemon's own rlimits by docker's ulimit name (`nofile`, `nproc`...). */
  rlimits: ReadonlyMap<string, RlimitPair>;
  /** The daemon's own `/proc/self/oom_score_adj`. */
  oomScoreAdj: number;
  /** Online CPUs, as a cpuset list ("0-1"). */
  cpus: string;
  /** Online memory nodes ("0"). */
  mems: string;
  /** The blkio/io weight knob exists. */
  blkioWeight: boolean;
  /** The host's cgroups are v2 only (Docker's default cgroupns is then private). */
  cgroup2: boolean;
  /** Swap can be limited (v1: memory.memsw.* exists, i.e. swap accounting is on). @default true */
  swapLimit?: boolean;
}

/** `/proc/self/limits` row titles → docker's ulimit names (go-units). */
const LIMIT_ROWS: Record<string, string> = {
  "Max cpu time": "cpu", "Max file size": "fsize", "Max data size": "data", "Max stack size": "stack",
  "Max core file size": "core", "Max resident set": "rss", "Max processes": "nproc", "Max open files": "nofile",
  "Max locked memory": "memlock", "Max address space": "as", "Max file locks": "locks",
  "Max pending signals": "sigpending", "Max msgqueue size": "msgqueue", "Max nice priority": "nice",
  "Max realtime priority": "rtprio", "Max realtime timeout": "rttime",
};

/** Parse `/proc/<pid>/limits`. */
export function parseProcLimits(text: string): Map<string, RlimitPair> {
  const out = new Map<string, RlimitPair>();
  const num = (v: string) => (v === "unlimited" ? Infinity : Number(v));
  for (const line of text.split("\n")) {
    for (const [title, name] of Object.entries(LIMIT_ROWS)) {
      if (!line.startsWith(title)) continue;
      const f = line.slice(title.length).trim().split(/\s+/);
      if (f.length >= 2) out.set(name, { soft: num(f[0] ?? ""), hard: num(f[1] ?? "") });
    }
  }
  return out;
}

function read(path: string, fallback: string): string {
  try {
    return readFileSync(path, "utf8").trim();
  } catch {
    return fallback;
  }
}

/** This machine's facts. */
export function readRunHostFacts(capabilities: readonly string[]): RunHostFacts {
  const cgroup2 = existsSync("/sys/fs/cgroup/cgroup.controllers");
  const blkioWeight = cgroup2
    ? read("/sys/fs/cgroup/cgroup.controllers", "").split(/\s+/).includes("io")
    : existsSync("/sys/fs/cgroup/blkio/blkio.weight") || existsSync("/sys/fs/cgroup/blkio/blkio.bfq.weight");
  return {
    capabilities,
    rlimits: parseProcLimits(read("/proc/self/limits", "")),
    oomScoreAdj: Number(read("/proc/self/oom_score_adj", "0")) || 0,
    cpus: read("/sys/devices/system/cpu/online", "0"),
    mems: read("/sys/devices/system/node/online", "0"),
    blkioWeight,
    cgroup2,
    swapLimit: cgroup2 || existsSync("/sys/fs/cgroup/memory/memory.memsw.limit_in_bytes"),
  };
}

/** Parse a cpuset list ("0-2,4") into its members; undefined when malformed. */
export function parseCpuset(list: string): Set<number> | undefined {
  const out = new Set<number>();
  if (list.trim() === "") return out;
  for (const part of list.split(",")) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
    if (m === null) return undefined;
    const a = Number(m[1]);
    const b = m[2] !== undefined ? Number(m[2]) : a;
    if (b < a || b - a > 4096) return undefined;
    for (let i = a; i <= b; i++) out.add(i);
  }
  return out;
}
