/**
 * Cgroup statistics in the shape of runc's `events --stats` JSON (runc `types/events.go`),
 * with the same JSON keys so `JSON.stringify(stats)` is what runc callers parse, plus two
 * berth additions: `memory.rss` and `memory.event_count.oom_kill` on v1 too.
 * Units: bytes and nanoseconds. Values above 2^53 (unlimited limits) are approximate;
 * "max" is reported as 2^64-1 like runc (and 0 for `pids.limit`, also like runc).
 */
export interface CgroupStats {
  cpu: {
    usage: {
      total: number;
      percpu: number[];
      percpu_kernel: number[];
      percpu_user: number[];
      kernel: number;
      user: number;
    };
    throttling: { periods: number; throttledPeriods: number; throttledTime: number };
  };
  memory: {
    cache: number;
    /** berth addition: anonymous memory (v1 total_rss, v2 anon). */
    rss: number;
    usage: MemoryEntry;
    /** memory+swap on both versions (v2 adds memory to swap, as runc does). */
    swap: MemoryEntry;
    kernel: MemoryEntry;
    kernelTCP: MemoryEntry;
    raw: Record<string, number>;
    event_count: { low: number; high: number; max: number; oom: number; oom_kill: number };
  };
  pids: { current: number; limit: number };
  blkio: {
    ioServiceBytesRecursive: BlkioEntry[];
    ioServicedRecursive: BlkioEntry[];
  };
  /** Keyed by page size as the kernel spells it ("2MB"). */
  hugetlb: Record<string, { usage: number; max: number; failcnt: number }>;
}

export interface MemoryEntry {
  limit: number;
  usage: number;
  max: number;
  failcnt: number;
}

export interface BlkioEntry {
  major: number;
  minor: number;
  op: string;
  value: number;
}

/** runc reports "max" as math.MaxUint64. */
export const UNLIMITED = 18446744073709551615;

const emptyMemoryEntry = (): MemoryEntry => ({ limit: 0, usage: 0, max: 0, failcnt: 0 });

/** A stats value with every counter zero. */
export function emptyStats(): CgroupStats {
  return {
    cpu: {
      usage: { total: 0, percpu: [], percpu_kernel: [], percpu_user: [], kernel: 0, user: 0 },
      throttling: { periods: 0, throttledPeriods: 0, throttledTime: 0 },
    },
    memory: {
      cache: 0,
      rss: 0,
      usage: emptyMemoryEntry(),
      swap: emptyMemoryEntry(),
      kernel: emptyMemoryEntry(),
      kernelTCP: emptyMemoryEntry(),
      raw: {},
      event_count: { low: 0, high: 0, max: 0, oom: 0, oom_kill: 0 },
    },
    pids: { current: 0, limit: 0 },
    blkio: { ioServiceBytesRecursive: [], ioServicedRecursive: [] },
    hugetlb: {},
  };
}

/** A cgroup number: decimal, or "max" (unlimited). Malformed text is a RangeError. */
export function parseCgroupUint(text: string): number {
  const t = text.trim();
  if (t === "max") return UNLIMITED;
  if (!/^-?\d+$/.test(t)) throw new RangeError(`parse cgroup value: "${t}" is not a number`);
  return Number(t);
}

/** Flat-keyed files (`memory.stat`, `cpu.stat`, `memory.events`): "key value" per line. */
export function parseFlatKeyed(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of text.split("\n")) {
    const parts = line.trim().split(/\s+/);
    if (parts.length !== 2 || parts[0] === undefined || parts[1] === undefined) continue;
    if (!/^-?\d+$|^max$/.test(parts[1])) continue;
    out[parts[0]] = parseCgroupUint(parts[1]);
  }
  return out;
}

/** Space-separated numbers (`cpuacct.usage_percpu`). */
export function parseUintList(text: string): number[] {
  return text.split(/\s+/).filter((s) => s !== "").map(parseCgroupUint);
}

/** v1 blkio files: "MAJ:MIN Op value" lines; the summary "Total N" line is skipped. */
export function parseBlkioV1(text: string): BlkioEntry[] {
  const out: BlkioEntry[] = [];
  for (const line of text.split("\n")) {
    const parts = line.trim().split(/\s+/);
    if (parts.length !== 3) continue;
    const [dev, op, value] = parts as [string, string, string];
    const m = /^(\d+):(\d+)$/.exec(dev);
    if (!m || !/^\d+$/.test(value)) continue;
    out.push({ major: Number(m[1]), minor: Number(m[2]), op, value: Number(value) });
  }
  return out;
}

/** v2 `io.stat`: "MAJ:MIN rbytes=N wbytes=N rios=N wios=N dbytes=N dios=N" lines. */
export function parseIoStatV2(text: string): { bytes: BlkioEntry[]; ios: BlkioEntry[] } {
  const bytes: BlkioEntry[] = [];
  const ios: BlkioEntry[] = [];
  const ops: Record<string, [BlkioEntry[], string]> = {
    rbytes: [bytes, "Read"], wbytes: [bytes, "Write"], dbytes: [bytes, "Discard"],
    rios: [ios, "Read"], wios: [ios, "Write"], dios: [ios, "Discard"],
  };
  for (const line of text.split("\n")) {
    const parts = line.trim().split(/\s+/);
    const m = /^(\d+):(\d+)$/.exec(parts[0] ?? "");
    if (!m) continue;
    for (const kv of parts.slice(1)) {
      const [k, v] = kv.split("=");
      const target = k === undefined ? undefined : ops[k];
      if (!target || v === undefined || !/^\d+$/.test(v)) continue;
      target[0].push({ major: Number(m[1]), minor: Number(m[2]), op: target[1], value: Number(v) });
    }
  }
  return { bytes, ios };
}
