/**
 * cgroup v2: OCI resources (which are v1-shaped) translated to v2 files with runc's
 * conversions, and v2 statistics. Every function takes the cgroup's directory.
 */
import { spawnSync } from "node:child_process";
import { constants as osConstants } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { BerthError, type ErrorKind, KernelError, invalidArgument } from "../../shared/errors.js";
import { type SetContext, num, readOptional, setError, writeSetting } from "./_write.js";
import { compileDeviceFilter } from "./devices-ebpf.js";
import type { LinuxBlockIO, LinuxCpu, LinuxDeviceCgroup, LinuxHugepageLimit, LinuxMemory } from "./resources.js";
import { type CgroupStats, UNLIMITED, parseCgroupUint, parseFlatKeyed, parseIoStatV2 } from "./stats.js";
import { type CgroupFs, strerror } from "./cgroup-fs.js";
import { hugetlbSizes } from "./v1.js";

/**
 * cpu.shares [2, 262144] (default 1024) → cpu.weight [1, 10000] (default 100), with the
 * quadratic fit current runc (1.3+) and crun use, which maps 2→1, 1024→100, 262144→10000
 * (the older linear formula sent 1024 to 39). 0 means unset.
 */
export function cpuSharesToWeight(shares: number): number {
  if (shares === 0) return 0;
  if (shares <= 2) return 1;
  if (shares >= 262144) return 10000;
  const l = Math.log2(shares);
  const exponent = (l * l + 125 * l) / 612 - 7 / 34;
  return Math.ceil(Math.pow(10, exponent));
}

/** blkio weight [10, 1000] → io.weight [1, 10000] (runc's linear formula); 0 means unset. */
export function blkioWeightToIoWeight(weight: number): number {
  if (weight === 0) return 0;
  return 1 + Math.floor(((weight - 10) * 9999) / 990);
}

/**
 * OCI memory.swap is memory+swap (v1 semantics); v2's memory.swap.max is swap alone:
 * swap - limit (runc's ConvertMemorySwapToCgroupV2Value). Returns 0 for "leave alone",
 * -1 for "max".
 */
export function memorySwapToV2(swap: number, limit: number): number {
  if (limit === -1 && swap === 0) return -1;
  if (swap === -1 || swap === 0) return swap;
  if (limit === 0) throw invalidArgument(`set memory swap ${swap}: a swap limit needs a memory limit`);
  if (limit < 0) throw invalidArgument(`set memory limit ${limit}: invalid value`);
  if (swap < limit) throw invalidArgument(`set memory swap ${swap}: memory+swap must be at least the memory limit ${limit}`);
  return swap - limit;
}

/** 0 → nothing to write, -1 → "max", else the number. */
function limitText(label: string, n: number): string | undefined {
  if (n === 0) return undefined;
  if (n === -1) return "max";
  return num(label, n);
}

/** v2 memory: memory.swap.max (swap alone), memory.max, memory.low; v1-only knobs warn. */
export function setMemoryV2(ctx: SetContext, dir: string, m: LinuxMemory): void {
  const limit = m.limit ?? 0;
  const swap = memorySwapToV2(m.swap ?? 0, limit);
  if (m.checkBeforeUpdate === true && limit > 0) {
    const usage = parseCgroupUint(ctx.fs.readFile(join(dir, "memory.current")));
    if (limit < usage) throw invalidArgument(`set memory limit ${num("memory limit", limit)}: below current usage ${usage}`);
  }
  // memory == memory+swap means "no swap": write 0, not "leave alone".
  const swapText = swap === 0 && (m.swap ?? 0) > 0 ? "0" : limitText("memory swap", swap);
  if (swapText !== undefined) {
    try {
      ctx.fs.writeFile(join(dir, "memory.swap.max"), swapText);
    } catch (err) {
      // Without swap accounting the file is absent: "max" or "0" then already hold.
      const missing = (err as { code?: string }).code === "ENOENT";
      if (!(missing && (swapText === "max" || swapText === "0"))) throw setError("memory swap", swapText, "memory.swap.max", err);
    }
  }
  const limitValue = limitText("memory limit", limit);
  if (limitValue !== undefined) writeSetting(ctx, dir, "memory.max", limitValue, "memory limit");
  const low = limitText("memory reservation", m.reservation ?? 0);
  if (low !== undefined) writeSetting(ctx, dir, "memory.low", low, "memory reservation");
  if (m.kernel !== undefined && m.kernel !== 0) ctx.logger.warn("kernel memory limit ignored: not supported by cgroup v2");
  if (m.kernelTCP !== undefined && m.kernelTCP !== 0) ctx.logger.warn("kernel tcp memory limit ignored: not supported by cgroup v2");
  if (m.swappiness !== undefined && m.swappiness !== -1 && m.swappiness < 2 ** 63) {
    ctx.logger.warn("memory swappiness ignored: not supported by cgroup v2");
  }
  if (m.disableOOMKiller === true) ctx.logger.warn("memory oom killer disable ignored: not supported by cgroup v2");
  if (m.useHierarchy === false) ctx.logger.warn("memory use hierarchy false ignored: cgroup v2 is always hierarchical");
}

/** v2 cpu: cpu.idle, cpu.weight (from shares), cpu.max "quota period", cpu.max.burst. */
export function setCpuV2(ctx: SetContext, dir: string, cpu: LinuxCpu): void {
  if ((cpu.realtimePeriod ?? 0) !== 0 || (cpu.realtimeRuntime ?? 0) !== 0) {
    throw invalidArgument("set cpu realtime period/runtime: not supported by cgroup v2");
  }
  if (cpu.idle !== undefined) writeSetting(ctx, dir, "cpu.idle", num("cpu idle", cpu.idle), "cpu idle");
  if (cpu.shares !== undefined && cpu.shares !== 0) {
    writeSetting(ctx, dir, "cpu.weight", String(cpuSharesToWeight(cpu.shares)), "cpu shares");
  }
  const quota = cpu.quota ?? 0;
  const period = cpu.period ?? 0;
  if (quota !== 0 || period !== 0) {
    let max = quota > 0 ? num("cpu quota", quota) : "max";
    if (period !== 0) max += ` ${num("cpu period", period)}`;
    writeSetting(ctx, dir, "cpu.max", max, "cpu quota");
  }
  if (cpu.burst !== undefined) writeSetting(ctx, dir, "cpu.max.burst", num("cpu burst", cpu.burst), "cpu burst");
}

/** v2 io: io.bfq.weight when BFQ is there (same scale as blkio), else io.weight; io.max throttles. */
export function setIoV2(ctx: SetContext, dir: string, b: LinuxBlockIO): void {
  const bfq = ctx.fs.exists(join(dir, "io.bfq.weight"));
  if (b.weight !== undefined && b.weight !== 0) {
    if (bfq) writeSetting(ctx, dir, "io.bfq.weight", num("blkio weight", b.weight), "blkio weight");
    else writeSetting(ctx, dir, "io.weight", String(blkioWeightToIoWeight(b.weight)), "blkio weight");
  }
  if ((b.leafWeight ?? 0) !== 0 || (b.weightDevice ?? []).some((w) => (w.leafWeight ?? 0) !== 0)) {
    ctx.logger.warn("blkio leaf weight ignored: not supported by cgroup v2");
  }
  for (const wd of b.weightDevice ?? []) {
    if (wd.weight === undefined || wd.weight === 0) continue;
    const dev = `${num("blkio device major", wd.major)}:${num("blkio device minor", wd.minor)}`;
    if (bfq) writeSetting(ctx, dir, "io.bfq.weight", `${dev} ${num("blkio weight", wd.weight)}`, "blkio device weight");
    else writeSetting(ctx, dir, "io.weight", `${dev} ${blkioWeightToIoWeight(wd.weight)}`, "blkio device weight");
  }
  const throttles: [string, string, LinuxBlockIO["throttleReadBpsDevice"]][] = [
    ["rbps", "blkio read bps", b.throttleReadBpsDevice],
    ["wbps", "blkio write bps", b.throttleWriteBpsDevice],
    ["riops", "blkio read iops", b.throttleReadIOPSDevice],
    ["wiops", "blkio write iops", b.throttleWriteIOPSDevice],
  ];
  for (const [key, label, list] of throttles) {
    for (const td of list ?? []) {
      writeSetting(ctx, dir, "io.max", `${num(label, td.major)}:${num(label, td.minor)} ${key}=${num(label, td.rate)}`, label);
    }
  }
}

/** v2 hugetlb: `hugetlb.<size>.max` (and `.rsvd.max` where it exists). */
export function setHugetlbV2(ctx: SetContext, dir: string, limits: readonly LinuxHugepageLimit[]): void {
  for (const h of limits) {
    const label = `hugepage limit ${h.pageSize}`;
    writeSetting(ctx, dir, `hugetlb.${h.pageSize}.max`, num(label, h.limit), label);
    if (ctx.fs.exists(join(dir, `hugetlb.${h.pageSize}.rsvd.max`))) {
      writeSetting(ctx, dir, `hugetlb.${h.pageSize}.rsvd.max`, num(label, h.limit), label);
    }
  }
}

/**
 * Loads an eBPF device program (`struct bpf_insn` bytes) and attaches it to the cgroup2
 * directory `dir`, replacing the one attached before. Throws a BerthError naming the
 * failing syscall.
 */
export type DeviceFilterAttacher = (dir: string, program: Uint8Array) => void;

/** native/build/berth-devices at the repository root (from dist/src/runtime/cgroups/). */
export const DEFAULT_BERTH_DEVICES = fileURLToPath(new URL("../../../../native/build/berth-devices", import.meta.url));

const errnoNames = new Map<number, string>(Object.entries(osConstants.errno as Record<string, number>).map(([k, v]) => [v, k]));

function kindOfAttachErrno(code: string): ErrorKind {
  if (code === "EPERM" || code === "EACCES") return "permission-denied";
  if (code === "ENOENT" || code === "ENOTDIR") return "not-found";
  if (code === "EINVAL" || code === "E2BIG") return "invalid-argument";
  return "internal";
}

/**
 * The attacher that runs `berth-devices <dir>` with the program on stdin (synchronously:
 * `set()` is synchronous, and the helper makes four bpf(2) calls). Its one JSON error line
 * becomes "set devices: bpf(BPF_PROG_ATTACH) `dir`: operation not permitted", KernelError as cause.
 */
export function berthDevicesAttacher(binary: string = DEFAULT_BERTH_DEVICES): DeviceFilterAttacher {
  return (dir, program) => {
    const res = spawnSync(binary, [dir], { input: program, stdio: ["pipe", "ignore", "pipe"], timeout: 10_000 });
    if (res.error !== undefined) {
      throw new BerthError("internal", `set devices: run \`${binary}\`: ${res.error.message}`, { cause: res.error });
    }
    if (res.status === 0) return;
    const stderr = res.stderr.toString("utf8").trim();
    let line: { syscall?: unknown; errno?: unknown; path?: unknown; verifier?: unknown } | undefined;
    try {
      line = JSON.parse(stderr.split("\n").pop() ?? "") as typeof line;
    } catch {
      line = undefined;
    }
    if (line === undefined || typeof line.syscall !== "string" || typeof line.errno !== "number") {
      const how = res.signal !== null ? `signal ${res.signal}` : `exit status ${String(res.status)}`;
      throw new BerthError("internal", `set devices: \`${binary}\` failed (${how})${stderr !== "" ? `: ${stderr}` : ""}`);
    }
    const code = errnoNames.get(line.errno) ?? `errno ${line.errno}`;
    const path = typeof line.path === "string" ? line.path : undefined;
    const cause = new KernelError(line.syscall, line.errno, code, path, strerror(code));
    const verifier = typeof line.verifier === "string" ? ` (verifier: ${line.verifier})` : "";
    throw new BerthError(kindOfAttachErrno(code), `set devices: ${cause.message}${verifier}`, { cause });
  };
}

/**
 * v2 devices: the rules compiled to an eBPF program (runc's devicefilter semantics: in
 * order, last match wins, default deny) attached to `dir` in place of the previous one.
 */
export function setDevicesV2(dir: string, rules: readonly LinuxDeviceCgroup[], attach: DeviceFilterAttacher): void {
  attach(dir, compileDeviceFilter(rules));
}

/** `unified`: v2 files written verbatim; keys must be plain file names. */
export function setUnified(ctx: SetContext, dir: string, unified: { readonly [file: string]: string }): void {
  for (const [file, value] of Object.entries(unified)) {
    if (file === "" || file.includes("/") || file === "." || file === ".." || file.startsWith("cgroup.procs")) {
      throw invalidArgument(`set unified "${file}": not a cgroup interface file name`);
    }
    writeSetting(ctx, dir, file, value, `unified "${file}"`);
  }
}

/** v2 cpu.stat into `s.cpu` (microseconds → nanoseconds; no per-cpu figures in v2). */
export function cpuStatsV2(fs: CgroupFs, dir: string, s: CgroupStats): void {
  const st = parseFlatKeyed(readOptional(fs, dir, "cpu.stat") ?? "");
  s.cpu.usage.total = (st["usage_usec"] ?? 0) * 1000;
  s.cpu.usage.user = (st["user_usec"] ?? 0) * 1000;
  s.cpu.usage.kernel = (st["system_usec"] ?? 0) * 1000;
  s.cpu.throttling = {
    periods: st["nr_periods"] ?? 0,
    throttledPeriods: st["nr_throttled"] ?? 0,
    throttledTime: (st["throttled_usec"] ?? 0) * 1000,
  };
}

/** v2 memory statistics; swap is reported as memory+swap for v1 compatibility (as runc). */
export function memoryStatsV2(fs: CgroupFs, dir: string, s: CgroupStats): void {
  const n = (f: string, dflt: string) => parseCgroupUint(readOptional(fs, dir, f) ?? dflt);
  const raw = parseFlatKeyed(readOptional(fs, dir, "memory.stat") ?? "");
  const events = parseFlatKeyed(readOptional(fs, dir, "memory.events") ?? "");
  const swapEvents = parseFlatKeyed(readOptional(fs, dir, "memory.swap.events") ?? "");
  s.memory.raw = raw;
  s.memory.cache = raw["file"] ?? 0;
  s.memory.rss = raw["anon"] ?? 0;
  s.memory.usage = {
    usage: n("memory.current", "0"),
    max: n("memory.peak", "0"),
    limit: n("memory.max", "max"),
    failcnt: events["max"] ?? 0,
  };
  const swapUsage = n("memory.swap.current", "0");
  const swapLimit = n("memory.swap.max", "max");
  s.memory.swap = {
    usage: swapUsage + s.memory.usage.usage,
    max: 0,
    limit: swapLimit === UNLIMITED || s.memory.usage.limit === UNLIMITED ? UNLIMITED : swapLimit + s.memory.usage.limit,
    failcnt: swapEvents["max"] ?? 0,
  };
  s.memory.event_count = {
    low: events["low"] ?? 0,
    high: events["high"] ?? 0,
    max: events["max"] ?? 0,
    oom: events["oom"] ?? 0,
    oom_kill: events["oom_kill"] ?? 0,
  };
}

/** v2 oom kills: `oom_kill` of memory.events (hierarchical: includes descendants). */
export function oomKillCountV2(fs: CgroupFs, dir: string): number {
  return parseFlatKeyed(readOptional(fs, dir, "memory.events") ?? "")["oom_kill"] ?? 0;
}

/** v2 io.stat into `s.blkio`. */
export function ioStatsV2(fs: CgroupFs, dir: string, s: CgroupStats): void {
  const { bytes, ios } = parseIoStatV2(readOptional(fs, dir, "io.stat") ?? "");
  s.blkio.ioServiceBytesRecursive = bytes;
  s.blkio.ioServicedRecursive = ios;
}

/** v2 hugetlb statistics (no max-usage figure in v2; failcnt is the "max" event count). */
export function hugetlbStatsV2(fs: CgroupFs, dir: string, s: CgroupStats): void {
  for (const size of hugetlbSizes(fs, dir, "max")) {
    const events = parseFlatKeyed(readOptional(fs, dir, `hugetlb.${size}.events`) ?? "");
    s.hugetlb[size] = {
      usage: parseCgroupUint(readOptional(fs, dir, `hugetlb.${size}.current`) ?? "0"),
      max: 0,
      failcnt: events["max"] ?? 0,
    };
  }
}
