/**
 * cgroup v1: what each controller's settings and statistics are in v1 files. Every function
 * takes the controller's directory; the manager decides which hierarchy that is.
 */
import { join } from "node:path";
import { invalidArgument } from "../../shared/errors.js";
import { type SetContext, num, readOptional, setError, writeSetting } from "./_write.js";
import type {
  LinuxBlockIO, LinuxCpu, LinuxDeviceCgroup, LinuxHugepageLimit, LinuxMemory, LinuxNetwork,
} from "./resources.js";
import {
  type CgroupStats, type MemoryEntry, parseBlkioV1, parseCgroupUint, parseFlatKeyed, parseUintList,
} from "./stats.js";
import type { CgroupFs } from "./cgroup-fs.js";

/** `cpuset.cpus` / `cpuset.mems` (v1 and v2 spell them the same). */
export function setCpuset(ctx: SetContext, dir: string, cpu: LinuxCpu): void {
  if (cpu.cpus !== undefined && cpu.cpus !== "") writeSetting(ctx, dir, "cpuset.cpus", cpu.cpus, "cpuset cpus");
  if (cpu.mems !== undefined && cpu.mems !== "") writeSetting(ctx, dir, "cpuset.mems", cpu.mems, "cpuset mems");
}

/** `pids.max` (same file on v1 and v2); a limit <= 0 means unlimited. */
export function setPids(ctx: SetContext, dir: string, pids: { readonly limit: number }): void {
  const value = pids.limit > 0 ? num("pids limit", pids.limit) : "max";
  writeSetting(ctx, dir, "pids.max", value, "pids limit");
}

/** `rdma.max` lines (same on v1 and v2). */
export function setRdma(
  ctx: SetContext,
  dir: string,
  rdma: { readonly [device: string]: { readonly hcaHandles?: number; readonly hcaObjects?: number } },
): void {
  for (const [device, lim] of Object.entries(rdma)) {
    const handles = lim.hcaHandles === undefined ? "max" : num("rdma hca handles", lim.hcaHandles);
    const objects = lim.hcaObjects === undefined ? "max" : num("rdma hca objects", lim.hcaObjects);
    writeSetting(ctx, dir, "rdma.max", `${device} hca_handle=${handles} hca_object=${objects}`, "rdma limit");
  }
}

function readUint(fs: CgroupFs, dir: string, file: string): number {
  return parseCgroupUint(fs.readFile(join(dir, file)));
}

/**
 * v1 memory, following runc: when both memory and memory+swap change, the order of the two
 * writes depends on the current limit, because the kernel requires memsw >= memory at every
 * step; limit -1 with no swap given also lifts the memsw limit.
 */
export function setMemoryV1(ctx: SetContext, dir: string, m: LinuxMemory): void {
  const limit = m.limit ?? 0;
  let swap = m.swap ?? 0;
  const hasMemsw = ctx.fs.exists(join(dir, "memory.memsw.limit_in_bytes"));
  if (limit === -1 && swap === 0 && hasMemsw) swap = -1;
  if (swap !== 0 && !hasMemsw) {
    throw invalidArgument(`set memory swap ${num("memory swap", swap)}: swap accounting is not enabled (no memory.memsw.limit_in_bytes)`);
  }
  if (m.checkBeforeUpdate === true && limit > 0) {
    const usage = readUint(ctx.fs, dir, "memory.usage_in_bytes");
    if (limit < usage) throw invalidArgument(`set memory limit ${num("memory limit", limit)}: below current usage ${usage}`);
  }
  const setLimit = () => {
    if (limit !== 0) writeSetting(ctx, dir, "memory.limit_in_bytes", num("memory limit", limit), "memory limit");
  };
  const setSwap = () => {
    if (swap !== 0) writeSetting(ctx, dir, "memory.memsw.limit_in_bytes", num("memory swap", swap), "memory swap");
  };
  if (limit !== 0 && swap !== 0) {
    const current = readUint(ctx.fs, dir, "memory.limit_in_bytes");
    if (swap === -1 || current < swap) {
      setSwap();
      setLimit();
    } else {
      setLimit();
      setSwap();
    }
  } else {
    setLimit();
    setSwap();
  }
  if (m.reservation !== undefined && m.reservation !== 0) {
    writeSetting(ctx, dir, "memory.soft_limit_in_bytes", num("memory reservation", m.reservation), "memory reservation");
  }
  if (m.kernel !== undefined && m.kernel !== 0) {
    // Kernel memory limits are deprecated (gone from cgroup v2 and from runc); apply where the
    // kernel still takes them, warn where it does not.
    try {
      writeSetting(ctx, dir, "memory.kmem.limit_in_bytes", num("kernel memory limit", m.kernel), "kernel memory limit");
    } catch (err) {
      ctx.logger.warn(`kernel memory limit ignored: ${(err as Error).message}`);
    }
  }
  if (m.kernelTCP !== undefined && m.kernelTCP !== 0) {
    writeSetting(ctx, dir, "memory.kmem.tcp.limit_in_bytes", num("kernel tcp memory limit", m.kernelTCP), "kernel tcp memory limit");
  }
  if (m.disableOOMKiller === true) writeSetting(ctx, dir, "memory.oom_control", "1", "memory oom killer disable");
  if (m.swappiness !== undefined && m.swappiness !== -1 && m.swappiness < 2 ** 63) {
    if (m.swappiness > 100 || m.swappiness < 0) {
      throw invalidArgument(`set memory swappiness ${m.swappiness}: valid range is 0-100`);
    }
    writeSetting(ctx, dir, "memory.swappiness", num("memory swappiness", m.swappiness), "memory swappiness");
  }
  if (m.useHierarchy !== undefined) {
    writeSetting(ctx, dir, "memory.use_hierarchy", m.useHierarchy ? "1" : "0", "memory use hierarchy");
  }
}

/**
 * v1 cpu, following runc: shares are read back (the kernel clamps silently); a period the
 * kernel refuses before the quota is set is retried after the quota.
 */
export function setCpuV1(ctx: SetContext, dir: string, cpu: LinuxCpu): void {
  if (cpu.shares !== undefined && cpu.shares !== 0) {
    const want = num("cpu shares", cpu.shares);
    writeSetting(ctx, dir, "cpu.shares", want, "cpu shares");
    const got = readUint(ctx.fs, dir, "cpu.shares");
    if (got !== cpu.shares) {
      throw invalidArgument(`set cpu shares ${want}: the kernel clamped it to ${got} (allowed range 2-262144)`);
    }
  }
  let pendingPeriod: string | undefined;
  if (cpu.period !== undefined && cpu.period !== 0) {
    const period = num("cpu period", cpu.period);
    try {
      ctx.fs.writeFile(join(dir, "cpu.cfs_period_us"), period);
    } catch (err) {
      const quotaFollows = cpu.quota !== undefined && cpu.quota !== 0;
      if (!quotaFollows || (err as { code?: string }).code !== "EINVAL") throw setError("cpu period", period, "cpu.cfs_period_us", err);
      pendingPeriod = period;
    }
  }
  if (cpu.quota !== undefined && cpu.quota !== 0) {
    writeSetting(ctx, dir, "cpu.cfs_quota_us", num("cpu quota", cpu.quota), "cpu quota");
    if (pendingPeriod !== undefined) writeSetting(ctx, dir, "cpu.cfs_period_us", pendingPeriod, "cpu period");
  }
  if (cpu.burst !== undefined) writeSetting(ctx, dir, "cpu.cfs_burst_us", num("cpu burst", cpu.burst), "cpu burst");
  if (cpu.idle !== undefined) writeSetting(ctx, dir, "cpu.idle", num("cpu idle", cpu.idle), "cpu idle");
  if (cpu.realtimePeriod !== undefined && cpu.realtimePeriod !== 0) {
    writeSetting(ctx, dir, "cpu.rt_period_us", num("cpu realtime period", cpu.realtimePeriod), "cpu realtime period");
  }
  if (cpu.realtimeRuntime !== undefined && cpu.realtimeRuntime !== 0) {
    writeSetting(ctx, dir, "cpu.rt_runtime_us", num("cpu realtime runtime", cpu.realtimeRuntime), "cpu realtime runtime");
  }
}

/** v1 blkio: `blkio.weight` with CFQ, `blkio.bfq.weight` with BFQ (whichever the kernel offers). */
export function setBlkioV1(ctx: SetContext, dir: string, b: LinuxBlockIO): void {
  const bfq = !ctx.fs.exists(join(dir, "blkio.weight")) && ctx.fs.exists(join(dir, "blkio.bfq.weight"));
  const weightFile = bfq ? "blkio.bfq.weight" : "blkio.weight";
  const weightDeviceFile = bfq ? "blkio.bfq.weight_device" : "blkio.weight_device";
  if (b.weight !== undefined && b.weight !== 0) writeSetting(ctx, dir, weightFile, num("blkio weight", b.weight), "blkio weight");
  if (b.leafWeight !== undefined && b.leafWeight !== 0) {
    writeSetting(ctx, dir, "blkio.leaf_weight", num("blkio leaf weight", b.leafWeight), "blkio leaf weight");
  }
  for (const wd of b.weightDevice ?? []) {
    const dev = `${num("blkio device major", wd.major)}:${num("blkio device minor", wd.minor)}`;
    if (wd.weight !== undefined && wd.weight !== 0) {
      writeSetting(ctx, dir, weightDeviceFile, `${dev} ${num("blkio weight", wd.weight)}`, "blkio device weight");
    }
    if (wd.leafWeight !== undefined && wd.leafWeight !== 0) {
      writeSetting(ctx, dir, "blkio.leaf_weight_device", `${dev} ${num("blkio leaf weight", wd.leafWeight)}`, "blkio device leaf weight");
    }
  }
  const throttles: [string, string, LinuxBlockIO["throttleReadBpsDevice"]][] = [
    ["blkio.throttle.read_bps_device", "blkio read bps", b.throttleReadBpsDevice],
    ["blkio.throttle.write_bps_device", "blkio write bps", b.throttleWriteBpsDevice],
    ["blkio.throttle.read_iops_device", "blkio read iops", b.throttleReadIOPSDevice],
    ["blkio.throttle.write_iops_device", "blkio write iops", b.throttleWriteIOPSDevice],
  ];
  for (const [file, label, list] of throttles) {
    for (const td of list ?? []) {
      writeSetting(ctx, dir, file, `${num(label, td.major)}:${num(label, td.minor)} ${num(label, td.rate)}`, label);
    }
  }
}

/** v1 hugetlb: `hugetlb.<size>.limit_in_bytes` (and the reservation limit where it exists). */
export function setHugetlbV1(ctx: SetContext, dir: string, limits: readonly LinuxHugepageLimit[]): void {
  for (const h of limits) {
    const label = `hugepage limit ${h.pageSize}`;
    writeSetting(ctx, dir, `hugetlb.${h.pageSize}.limit_in_bytes`, num(label, h.limit), label);
    if (ctx.fs.exists(join(dir, `hugetlb.${h.pageSize}.rsvd.limit_in_bytes`))) {
      writeSetting(ctx, dir, `hugetlb.${h.pageSize}.rsvd.limit_in_bytes`, num(label, h.limit), label);
    }
  }
}

/** One device rule as the devices controller reads it: "c 1:3 rwm". */
export function deviceRule(d: LinuxDeviceCgroup): string {
  const type = d.type === undefined || d.type === "" ? "a" : d.type;
  const part = (n: number | undefined) => (n === undefined || n < 0 ? "*" : num("device number", n));
  return `${type} ${part(d.major)}:${part(d.minor)} ${d.access === undefined || d.access === "" ? "rwm" : d.access}`;
}

/** v1 devices: each rule in the order given, allow to devices.allow, deny to devices.deny. */
export function setDevicesV1(ctx: SetContext, dir: string, devices: readonly LinuxDeviceCgroup[]): void {
  for (const d of devices) {
    const rule = deviceRule(d);
    writeSetting(ctx, dir, d.allow ? "devices.allow" : "devices.deny", rule, d.allow ? "device allow" : "device deny");
  }
}

/** v1 net_cls: the class id (only when net_cls is mounted; the caller checks). */
export function setNetClsV1(ctx: SetContext, dir: string, n: LinuxNetwork): void {
  if (n.classID !== undefined) writeSetting(ctx, dir, "net_cls.classid", num("network class id", n.classID), "network class id");
}

/** v1 net_prio: one `ifpriomap` line per interface. */
export function setNetPrioV1(ctx: SetContext, dir: string, n: LinuxNetwork): void {
  for (const p of n.priorities ?? []) {
    writeSetting(ctx, dir, "net_prio.ifpriomap", `${p.name} ${num("network priority", p.priority)}`, "network priority");
  }
}

function memoryEntryV1(fs: CgroupFs, dir: string, prefix: string): MemoryEntry {
  const f = (name: string) => readOptional(fs, dir, `${prefix}${name}`);
  const n = (s: string | undefined) => (s === undefined ? 0 : parseCgroupUint(s));
  return { usage: n(f("usage_in_bytes")), max: n(f("max_usage_in_bytes")), failcnt: n(f("failcnt")), limit: n(f("limit_in_bytes")) };
}

/** v1 memory statistics into `s.memory`. */
export function memoryStatsV1(fs: CgroupFs, dir: string, s: CgroupStats): void {
  const raw = parseFlatKeyed(readOptional(fs, dir, "memory.stat") ?? "");
  s.memory.raw = raw;
  s.memory.cache = raw["total_cache"] ?? raw["cache"] ?? 0;
  s.memory.rss = raw["total_rss"] ?? raw["rss"] ?? 0;
  s.memory.usage = memoryEntryV1(fs, dir, "memory.");
  s.memory.swap = memoryEntryV1(fs, dir, "memory.memsw.");
  s.memory.kernel = memoryEntryV1(fs, dir, "memory.kmem.");
  s.memory.kernelTCP = memoryEntryV1(fs, dir, "memory.kmem.tcp.");
  const oom = parseFlatKeyed(readOptional(fs, dir, "memory.oom_control") ?? "");
  s.memory.event_count.max = s.memory.usage.failcnt;
  s.memory.event_count.oom_kill = oom["oom_kill"] ?? 0;
}

/** v1 oom kills: the `oom_kill` line of memory.oom_control (0 on kernels without it). */
export function oomKillCountV1(fs: CgroupFs, dir: string): number {
  return parseFlatKeyed(readOptional(fs, dir, "memory.oom_control") ?? "")["oom_kill"] ?? 0;
}

/** v1 cpuacct usage into `s.cpu.usage` (nanoseconds). */
export function cpuacctStatsV1(fs: CgroupFs, dir: string, s: CgroupStats): void {
  const u = s.cpu.usage;
  u.total = parseCgroupUint(readOptional(fs, dir, "cpuacct.usage") ?? "0");
  u.percpu = parseUintList(readOptional(fs, dir, "cpuacct.usage_percpu") ?? "");
  u.percpu_kernel = parseUintList(readOptional(fs, dir, "cpuacct.usage_percpu_sys") ?? "");
  u.percpu_user = parseUintList(readOptional(fs, dir, "cpuacct.usage_percpu_user") ?? "");
  const user = readOptional(fs, dir, "cpuacct.usage_user");
  const sys = readOptional(fs, dir, "cpuacct.usage_sys");
  if (user !== undefined && sys !== undefined) {
    u.user = parseCgroupUint(user);
    u.kernel = parseCgroupUint(sys);
  } else {
    // Older kernels only have cpuacct.stat, in USER_HZ ticks (100 per second on Linux).
    const st = parseFlatKeyed(readOptional(fs, dir, "cpuacct.stat") ?? "");
    u.user = (st["user"] ?? 0) * 10_000_000;
    u.kernel = (st["system"] ?? 0) * 10_000_000;
  }
}

/** v1 cpu throttling (cpu.stat; throttled_time is already nanoseconds). */
export function cpuStatsV1(fs: CgroupFs, dir: string, s: CgroupStats): void {
  const st = parseFlatKeyed(readOptional(fs, dir, "cpu.stat") ?? "");
  s.cpu.throttling = {
    periods: st["nr_periods"] ?? 0,
    throttledPeriods: st["nr_throttled"] ?? 0,
    throttledTime: st["throttled_time"] ?? 0,
  };
}

/**
 * v1 blkio: CFQ's files if present, else BFQ's, else the throttle layer's (which counts
 * every bio whatever the scheduler), as runc does; an empty BFQ table falls back too.
 */
export function blkioStatsV1(fs: CgroupFs, dir: string, s: CgroupStats): void {
  for (const prefix of ["blkio.", "blkio.bfq.", "blkio.throttle."]) {
    const bytes = readOptional(fs, dir, `${prefix}io_service_bytes_recursive`);
    if (bytes === undefined) continue;
    const parsed = parseBlkioV1(bytes);
    if (parsed.length === 0 && prefix !== "blkio.throttle.") continue;
    s.blkio.ioServiceBytesRecursive = parsed;
    s.blkio.ioServicedRecursive = parseBlkioV1(readOptional(fs, dir, `${prefix}io_serviced_recursive`) ?? "");
    return;
  }
}

/** Page sizes with hugetlb files in `dir` ("2MB", "1GB"), from the file names themselves. */
export function hugetlbSizes(fs: CgroupFs, dir: string, suffix: string): string[] {
  try {
    return fs.files(dir).flatMap((f) => {
      const m = /^hugetlb\.([0-9]+[KMG]B)\.(.+)$/.exec(f);
      return m && m[2] === suffix && m[1] !== undefined ? [m[1]] : [];
    });
  } catch {
    return [];
  }
}

/** v1 hugetlb statistics. */
export function hugetlbStatsV1(fs: CgroupFs, dir: string, s: CgroupStats): void {
  for (const size of hugetlbSizes(fs, dir, "limit_in_bytes")) {
    const n = (f: string) => parseCgroupUint(readOptional(fs, dir, `hugetlb.${size}.${f}`) ?? "0");
    s.hugetlb[size] = { usage: n("usage_in_bytes"), max: n("max_usage_in_bytes"), failcnt: n("failcnt") };
  }
}

/** pids.current / pids.max (same files on v1 and v2; "max" is reported as 0, like runc). */
export function pidsStats(fs: CgroupFs, dir: string, s: CgroupStats): void {
  const max = readOptional(fs, dir, "pids.max");
  s.pids = {
    current: parseCgroupUint(readOptional(fs, dir, "pids.current") ?? "0"),
    limit: max === undefined || max === "max" ? 0 : parseCgroupUint(max),
  };
}
