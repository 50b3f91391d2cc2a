/**
 * `run`/`create` flags for how the container's process runs: init, stop signal and timeout,
 * ulimits, /dev/shm, devices, groups, OOM and cgroup resources, sysctls, security options,
 * namespace modes, cgroup parent and the log driver. Parsed as the docker CLI parses them
 * (cli/command/container/opts.go, opts/*.go, go-units), with its error texts; the daemon
 * checks the values again.
 */
import { readFileSync } from "node:fs";
import type { Command } from "commander";
import type { DeviceMapping, Ulimit } from "../../../../api/containers.js";
import { BerthError } from "../../../../shared/errors.js";
import { flagGroup, type CreateBodyDraft } from "../flag-group.js";

/** The flags of this group as commander parses them. */
export interface RuntimeFlags {
  init?: boolean;
  stopSignal?: string;
  stopTimeout?: string;
  ulimit: string[];
  shmSize?: string;
  device: string[];
  groupAdd: string[];
  oomKillDisable?: boolean;
  oomScoreAdj?: string;
  memorySwap?: string;
  memoryReservation?: string;
  cpuShares?: string;
  cpusetCpus?: string;
  cpusetMems?: string;
  cpuPeriod?: string;
  cpuQuota?: string;
  blkioWeight?: string;
  sysctl: string[];
  securityOpt: string[];
  cgroupns?: string;
  ipc?: string;
  pid?: string;
  uts?: string;
  userns?: string;
  cgroupParent?: string;
  logDriver?: string;
  logOpt: string[];
}

const collect = (v: string, prev: string[]) => [...prev, v];

function bad(value: string, flag: string, msg: string): BerthError {
  return new BerthError("invalid-argument", `invalid argument "${value}" for "--${flag}" flag: ${msg}`);
}

/** go-units RAMInBytes ("64m", "1g"; binary units); throws "invalid size: 'x'". */
export function ramInBytes(v: string): number {
  const m = /^(\d+(?:\.\d+)*) ?([kKmMgGtTpP])?[iI]?[bB]?$/.exec(v);
  if (m === null) throw new Error(`invalid size: '${v}'`);
  const mult = { "": 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4, p: 1024 ** 5 }[(m[2] ?? "").toLowerCase() as ""] ?? 1;
  return Math.floor(Number(m[1]) * mult);
}

function int(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^[+-]?\d+$/.test(value)) throw bad(value, flag, `strconv.ParseInt: parsing "${value}": invalid syntax`);
  return Number(value);
}

function uint(value: string | undefined, flag: string, max: number): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value)) throw bad(value, flag, `strconv.ParseUint: parsing "${value}": invalid syntax`);
  const n = Number(value);
  if (n > max) throw bad(value, flag, `strconv.ParseUint: parsing "${value}": value out of range`);
  return n;
}

function size(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  try {
    return ramInBytes(value);
  } catch (err) {
    throw bad(value, flag, (err as Error).message);
  }
}

const ULIMITS = new Set(["as", "core", "cpu", "data", "fsize", "locks", "memlock", "msgqueue", "nice", "nofile", "nproc", "rss", "rtprio", "rttime", "sigpending", "stack"]);

/** go-units ParseUlimit: `name=soft[:hard]`. */
export function parseUlimit(v: string): Ulimit {
  const i = v.indexOf("=");
  if (i === -1) throw bad(v, "ulimit", `invalid ulimit argument: ${v}`);
  const name = v.slice(0, i);
  if (!ULIMITS.has(name)) throw bad(v, "ulimit", `invalid ulimit type: ${name}`);
  const parts = v.slice(i + 1).split(":");
  if (parts.length > 2 || parts.some((p) => !/^-?\d+$/.test(p))) throw bad(v, "ulimit", `too many limit value arguments - ${v.slice(i + 1)}, can only have up to two, \`soft[:hard]\``);
  const soft = Number(parts[0]);
  const hard = parts[1] !== undefined ? Number(parts[1]) : soft;
  for (const n of [soft, hard]) if (n < -1) throw bad(v, "ulimit", `invalid ulimit argument: ${v}`);
  const s = soft === -1 ? Infinity : soft;
  const h = hard === -1 ? Infinity : hard;
  if (s > h) throw bad(v, "ulimit", `ulimit soft limit must be less than or equal to hard limit: ${soft} > ${hard}`);
  return { Name: name, Soft: soft, Hard: hard };
}

const validMode = (m: string) => m !== "" && m.length <= 3 && [...m].every((c) => "rwm".includes(c)) && new Set(m).size === m.length;

/** docker/cli parseDevice + ValidateDevice: `host[:container][:perms]`. */
export function parseDevice(v: string): DeviceMapping {
  const arr = v.split(":");
  let src = "";
  let dst = "";
  let perms = "rwm";
  if (arr.length > 3 || arr.length === 0) throw bad(v, "device", `invalid device specification: ${v}`);
  if (arr.length === 3) perms = arr[2] ?? "";
  if (arr.length >= 2) {
    const second = arr[1] ?? "";
    if (arr.length === 2 && validMode(second)) perms = second;
    else dst = second;
  }
  src = arr[0] ?? "";
  if (dst === "") dst = src;
  if (!src.startsWith("/")) throw bad(v, "device", `bad format for path: ${src}`);
  if (!dst.startsWith("/")) throw bad(v, "device", `bad format for path: ${dst}`);
  if (!validMode(perms)) throw bad(v, "device", `bad mode specified: ${perms}`);
  return { PathOnHost: src, PathInContainer: dst, CgroupPermissions: perms };
}

const IPC_SYSCTLS = new Set(["kernel.msgmax", "kernel.msgmnb", "kernel.msgmni", "kernel.sem", "kernel.shmall", "kernel.shmmax", "kernel.shmmni", "kernel.shm_rmid_forced"]);

/** docker/cli ValidateSysctl: namespaced sysctls only. */
export function parseSysctl(v: string): [string, string] {
  const i = v.indexOf("=");
  const key = i === -1 ? v : v.slice(0, i);
  if (i === -1 || !(IPC_SYSCTLS.has(key) || key.startsWith("net.") || key.startsWith("fs.mqueue."))) {
    throw bad(v, "sysctl", `sysctl '${v}' is not allowed`);
  }
  return [key, v.slice(i + 1)];
}

/** docker/cli parseSecurityOpts: a seccomp profile file is read and sent as compact JSON. */
export function parseSecurityOpts(list: readonly string[]): string[] {
  return list.map((opt) => {
    let sep = opt.indexOf("=");
    if (sep === -1 && opt !== "no-new-privileges") sep = opt.indexOf(":");
    const k = sep === -1 ? opt : opt.slice(0, sep);
    const v = sep === -1 ? "" : opt.slice(sep + 1);
    if ((sep === -1 || v === "") && k !== "no-new-privileges") throw new BerthError("invalid-argument", `Invalid --security-opt: "${opt}"`);
    if (k !== "seccomp" || v === "unconfined" || v === "builtin") return opt;
    let text: string;
    try {
      text = readFileSync(v, "utf8");
    } catch (err) {
      throw new BerthError("invalid-argument", `opening seccomp profile (${v}) failed: ${(err as Error).message}`);
    }
    try {
      return `seccomp=${JSON.stringify(JSON.parse(text))}`;
    } catch (err) {
      throw new BerthError("invalid-argument", `compacting json for seccomp profile (${v}) failed: ${(err as Error).message}`);
    }
  });
}

/** The runtime flag group. */
export const runtimeFlags = flagGroup<RuntimeFlags>({
  add(cmd: Command): Command {
    return cmd
      .option("--init", "run an init inside the container that forwards signals and reaps processes")
      .option("--stop-signal <signal>", "signal to stop the container")
      .option("--stop-timeout <seconds>", "timeout (in seconds) to stop a container")
      .option("--ulimit <ulimit>", "ulimit options", collect, [])
      .option("--shm-size <bytes>", "size of /dev/shm")
      .option("--device <device>", "add a host device to the container", collect, [])
      .option("--group-add <group>", "add additional groups to join", collect, [])
      .option("--oom-kill-disable", "disable OOM Killer")
      .option("--oom-score-adj <n>", "tune host's OOM preferences (-1000 to 1000)")
      .option("--memory-swap <bytes>", "swap limit equal to memory plus swap: '-1' to enable unlimited swap")
      .option("--memory-reservation <bytes>", "memory soft limit")
      .option("-c, --cpu-shares <n>", "CPU shares (relative weight)")
      .option("--cpuset-cpus <cpus>", "CPUs in which to allow execution (0-3, 0,1)")
      .option("--cpuset-mems <mems>", "MEMs in which to allow execution (0-3, 0,1)")
      .option("--cpu-period <n>", "limit CPU CFS (Completely Fair Scheduler) period")
      .option("--cpu-quota <n>", "limit CPU CFS (Completely Fair Scheduler) quota")
      .option("--blkio-weight <n>", "block IO (relative weight), between 10 and 1000, or 0 to disable")
      .option("--sysctl <sysctl>", "sysctl options", collect, [])
      .option("--security-opt <opt>", "security options", collect, [])
      .option("--cgroupns <mode>", "cgroup namespace to use (host|private)")
      .option("--ipc <mode>", "IPC mode to use")
      .option("--pid <mode>", "PID namespace to use")
      .option("--uts <mode>", "UTS namespace to use")
      .option("--userns <mode>", "user namespace to use")
      .option("--cgroup-parent <path>", "optional parent cgroup for the container")
      .option("--log-driver <driver>", "logging driver for the container")
      .option("--log-opt <opt>", "log driver options", collect, []);
  },
  apply(flags: RuntimeFlags, body: CreateBodyDraft): void {
    // Callers that build flags by hand (tests, other commands) may leave the lists out.
    const f: RuntimeFlags = {
      ...flags, ulimit: flags.ulimit ?? [], device: flags.device ?? [], groupAdd: flags.groupAdd ?? [], sysctl: flags.sysctl ?? [],
      securityOpt: flags.securityOpt ?? [], logOpt: flags.logOpt ?? [],
    };
    const hc = body.HostConfig;
    if (f.init === true) hc.Init = true;
    if (f.stopSignal !== undefined) body.StopSignal = f.stopSignal;
    const stopTimeout = int(f.stopTimeout, "stop-timeout");
    if (stopTimeout !== undefined) body.StopTimeout = stopTimeout;
    if (f.ulimit.length > 0) hc.Ulimits = f.ulimit.map(parseUlimit);
    const shm = size(f.shmSize, "shm-size");
    if (shm !== undefined) hc.ShmSize = shm;
    if (f.device.length > 0) hc.Devices = f.device.map(parseDevice);
    if (f.groupAdd.length > 0) hc.GroupAdd = [...f.groupAdd];
    if (f.oomKillDisable === true) hc.OomKillDisable = true;
    const adj = int(f.oomScoreAdj, "oom-score-adj");
    if (adj !== undefined) hc.OomScoreAdj = adj;
    if (f.memorySwap !== undefined) hc.MemorySwap = f.memorySwap === "-1" ? -1 : size(f.memorySwap, "memory-swap") as number;
    const reservation = size(f.memoryReservation, "memory-reservation");
    if (reservation !== undefined) hc.MemoryReservation = reservation;
    const shares = int(f.cpuShares, "cpu-shares");
    if (shares !== undefined) hc.CpuShares = shares;
    if (f.cpusetCpus !== undefined) hc.CpusetCpus = f.cpusetCpus;
    if (f.cpusetMems !== undefined) hc.CpusetMems = f.cpusetMems;
    const period = int(f.cpuPeriod, "cpu-period");
    if (period !== undefined) hc.CpuPeriod = period;
    const quota = int(f.cpuQuota, "cpu-quota");
    if (quota !== undefined) hc.CpuQuota = quota;
    const weight = uint(f.blkioWeight, "blkio-weight", 65535);
    if (weight !== undefined) hc.BlkioWeight = weight;
    if (f.sysctl.length > 0) hc.Sysctls = Object.fromEntries(f.sysctl.map(parseSysctl));
    if (f.securityOpt.length > 0) hc.SecurityOpt = parseSecurityOpts(f.securityOpt);
    if (f.cgroupns !== undefined) hc.CgroupnsMode = f.cgroupns;
    if (f.ipc !== undefined) hc.IpcMode = f.ipc;
    if (f.pid !== undefined) hc.PidMode = f.pid;
    if (f.uts !== undefined) hc.UTSMode = f.uts;
    if (f.userns !== undefined) hc.UsernsMode = f.userns;
    if (f.cgroupParent !== undefined) hc.CgroupParent = f.cgroupParent;
    if (f.logDriver !== undefined || f.logOpt.length > 0) {
      const config: Record<string, string> = {};
      for (const o of f.logOpt) {
        const i = o.indexOf("=");
        if (i <= 0) throw new BerthError("invalid-argument", `invalid argument "${o}" for "--log-opt" flag: invalid key value pair format in driver options`);
        config[o.slice(0, i)] = o.slice(i + 1);
      }
      if (f.logDriver === "none" && Object.keys(config).length > 0) throw new BerthError("invalid-argument", "invalid logging opts for driver none");
      hc.LogConfig = { Type: f.logDriver ?? "", Config: config };
    }
  },
});
