/**
 * Checks of a create body's run options (resources, namespaces modes, ulimits, devices,
 * sysctls, security options, stop signal) with moby's texts, and the defaults dockerd
 * records in HostConfig (IpcMode, CgroupnsMode). Runs before anything of the container is
 * made, so a refused option leaves nothing behind. The spec side is `run-options-spec.ts`.
 */
import { statSync } from "node:fs";
import type { ContainerCreateBody, HostConfig } from "../../api/containers.js";
import { parseSignal } from "../../runtime/runtime.js";
import { invalidArgument } from "../../shared/errors.js";
import { parseCpuset, type RunHostFacts } from "./run-host-facts.js";

const MIN_MEMORY = 6 * 1024 * 1024;

/** docker's ulimit names (go-units) → the OCI rlimit type. */
export const ULIMIT_TYPES: Readonly<Record<string, string>> = {
  as: "RLIMIT_AS", core: "RLIMIT_CORE", cpu: "RLIMIT_CPU", data: "RLIMIT_DATA", fsize: "RLIMIT_FSIZE",
  locks: "RLIMIT_LOCKS", memlock: "RLIMIT_MEMLOCK", msgqueue: "RLIMIT_MSGQUEUE", nice: "RLIMIT_NICE",
  nofile: "RLIMIT_NOFILE", nproc: "RLIMIT_NPROC", rss: "RLIMIT_RSS", rtprio: "RLIMIT_RTPRIO",
  rttime: "RLIMIT_RTTIME", sigpending: "RLIMIT_SIGPENDING", stack: "RLIMIT_STACK",
};

/** Sysctls of the IPC namespace besides `fs.mqueue.*` (runc's list). */
const IPC_SYSCTLS = new Set([
  "kernel.msgmax", "kernel.msgmnb", "kernel.msgmni", "kernel.sem", "kernel.shmall", "kernel.shmmax", "kernel.shmmni",
  "kernel.shm_rmid_forced",
]);

/** Looks up another container for `container:<ref>` modes (throws "No such container"). */
export type PeerLookup = (ref: string) => { id: string };

/** The container a `container:<ref>` mode names, or undefined for other modes. */
export function peerRef(mode: string | undefined): string | undefined {
  return mode !== undefined && mode.startsWith("container:") ? mode.slice("container:".length) : undefined;
}

/**
 * runc's check that a sysctl belongs to a namespace the container has of its own.
 * @param ns which namespaces the container gets of its own
 */
export function checkSysctl(name: string, ns: { ipc: boolean; net: boolean; uts: boolean }): void {
  if (IPC_SYSCTLS.has(name) || name.startsWith("fs.mqueue.")) {
    if (ns.ipc) return;
    throw invalidArgument(`sysctl "${name}" is not allowed in the hosts ipc namespace`);
  }
  if (name.startsWith("net.")) {
    if (ns.net) return;
    throw invalidArgument(`sysctl "${name}" is not allowed in the hosts network namespace`);
  }
  // berth's spec always carries a hostname, which the runtime does not let a uts sysctl override.
  if (ns.uts && (name === "kernel.hostname" || name === "kernel.domainname")) throw invalidArgument(`sysctl "${name}" is not allowed as it conflicts with the OCI "hostname" field`);
  throw invalidArgument(`sysctl "${name}" is not in a separate kernel namespace`);
}

/** One `--security-opt` as moby's parseSecurityOpt splits it. */
export interface SecurityOpt {
  key: "no-new-privileges" | "label" | "apparmor" | "seccomp";
  value: string;
}

/** moby's parseSecurityOpt: `no-new-privileges[=bool]`, `label=`, `apparmor=`, `seccomp=` (`:` still accepted). */
export function parseSecurityOpt(opt: string): SecurityOpt {
  if (opt === "no-new-privileges") return { key: "no-new-privileges", value: "true" };
  if (opt === "disable") return { key: "label", value: "disable" };
  const sep = opt.includes("=") ? "=" : opt.includes(":") ? ":" : "";
  if (sep === "") throw invalidArgument(`invalid --security-opt 1: "${opt}"`);
  const k = opt.slice(0, opt.indexOf(sep));
  const v = opt.slice(opt.indexOf(sep) + 1);
  switch (k) {
    case "label": case "apparmor": case "seccomp":
      return { key: k, value: v };
    case "no-new-privileges":
      if (!["true", "false", "1", "0", "t", "f", "TRUE", "FALSE", "True", "False"].includes(v)) throw invalidArgument(`invalid --security-opt 2: "${opt}"`);
      return { key: k, value: ["true", "1", "t", "TRUE", "True"].includes(v) ? "true" : "false" };
    default:
      throw invalidArgument(`invalid --security-opt 2: "${opt}"`);
  }
}

function isInt(v: unknown): v is number {
  return typeof v === "number" && Number.isInteger(v);
}

function checkNumber(hc: HostConfig, key: string): void {
  const v = hc[key];
  if (v !== undefined && v !== null && !isInt(v)) throw invalidArgument(`invalid JSON: HostConfig.${key} must be an integer`);
}

function fmtLimit(n: number): string {
  return n === Infinity ? "unlimited" : String(n);
}

function checkUlimits(hc: HostConfig, host: RunHostFacts): void {
  const list = hc.Ulimits ?? [];
  if (!Array.isArray(list)) throw invalidArgument("invalid JSON: HostConfig.Ulimits must be a list");
  for (const u of list) {
    if (u === null || typeof u !== "object" || typeof u.Name !== "string" || !isInt(u.Soft) || !isInt(u.Hard)) {
      throw invalidArgument("invalid JSON: HostConfig.Ulimits entries need Name, Soft and Hard");
    }
    if (ULIMIT_TYPES[u.Name] === undefined) throw invalidArgument(`invalid ulimit type: ${u.Name}`);
    // -1 is "unlimited" in the API (RLIM_INFINITY as a signed number).
    const soft = u.Soft === -1 ? Infinity : u.Soft;
    const hard = u.Hard === -1 ? Infinity : u.Hard;
    if (soft < 0 || hard < 0) throw invalidArgument(`invalid ulimit argument: ${u.Name}=${u.Soft}:${u.Hard}`);
    if (soft > hard) throw invalidArgument(`ulimit soft limit must be less than or equal to hard limit: ${u.Soft} > ${u.Hard}`);
    const own = host.rlimits.get(u.Name);
    if (own !== undefined && hard > own.hard && !host.capabilities.includes("CAP_SYS_RESOURCE")) {
      throw invalidArgument(`ulimit ${u.Name}=${fmtLimit(soft)}:${fmtLimit(hard)}: raising the hard limit above the daemon's (${fmtLimit(own.hard)}) needs CAP_SYS_RESOURCE, which this host does not grant`);
    }
  }
}

function checkDevices(hc: HostConfig): void {
  const list = hc.Devices ?? [];
  if (!Array.isArray(list)) throw invalidArgument("invalid JSON: HostConfig.Devices must be a list");
  for (const d of list) {
    if (d === null || typeof d !== "object" || typeof d.PathOnHost !== "string" || d.PathOnHost === "") {
      throw invalidArgument("invalid JSON: HostConfig.Devices entries need PathOnHost");
    }
    const perms = d.CgroupPermissions ?? "";
    if (perms !== "" && !/^[rwm]{1,3}$/.test(perms)) throw invalidArgument(`bad mode specified: ${perms}`);
    const inCtr = d.PathInContainer ?? "";
    if (inCtr !== "" && !inCtr.startsWith("/")) throw invalidArgument(`bad format for path: ${inCtr}`);
    try {
      const st = statSync(d.PathOnHost);
      if (!st.isCharacterDevice() && !st.isBlockDevice() && !st.isDirectory()) {
        throw invalidArgument(`error gathering device information while adding custom device "${d.PathOnHost}": not a device node`);
      }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === undefined) throw err;
      throw invalidArgument(`error gathering device information while adding custom device "${d.PathOnHost}": no such file or directory`, err);
    }
  }
}

function checkCpuset(value: string | undefined, available: string, what: "cpus" | "mems"): void {
  if (value === undefined || value === "") return;
  const want = parseCpuset(value);
  if (want === undefined) throw invalidArgument(`Invalid value ${value} for cpuset ${what}`);
  const have = parseCpuset(available) ?? new Set<number>();
  for (const c of want) {
    if (!have.has(c)) {
      throw invalidArgument(what === "cpus"
        ? `Requested CPUs are not available - requested ${value}, available: ${available}`
        : `Requested memory nodes are not available - requested ${value}, available: ${available}`);
    }
  }
}

function checkModes(body: ContainerCreateBody, hc: HostConfig, peer: PeerLookup): void {
  const ipc = hc.IpcMode ?? "";
  if (!["", "none", "private", "shareable", "host"].includes(ipc) && (peerRef(ipc) ?? "") === "") throw invalidArgument(`invalid IPC mode: ${ipc}`);
  const pid = hc.PidMode ?? "";
  if (!["", "host"].includes(pid) && (peerRef(pid) ?? "") === "") throw invalidArgument(`invalid PID mode: ${pid}`);
  const uts = hc.UTSMode ?? "";
  if (!["", "host"].includes(uts)) throw invalidArgument(`invalid UTS mode: ${uts}`);
  if (uts === "host" && body.Hostname !== undefined && body.Hostname !== "") throw invalidArgument("conflicting options: hostname and the UTS mode");
  const userns = hc.UsernsMode ?? "";
  if (!["", "host"].includes(userns)) throw invalidArgument(`invalid USER mode: ${userns}`);
  const cgns = hc.CgroupnsMode ?? "";
  if (!["", "host", "private"].includes(cgns)) throw invalidArgument(`invalid cgroup namespace mode: ${cgns}`);
  for (const [m, what] of [[ipc, "IPC"], [pid, "PID"]] as const) {
    const ref = peerRef(m);
    if (ref === undefined) continue;
    try {
      peer(ref);
    } catch (err) {
      // Not a 404: the docker CLI takes a 404 from create for a missing image and pulls.
      throw invalidArgument(`join ${what} namespace of container "${ref}": ${(err as Error).message}`, err);
    }
  }
  const parent = hc.CgroupParent ?? "";
  if (typeof parent !== "string" || parent.split("/").includes("..")) throw invalidArgument(`invalid cgroup parent: "${String(parent)}"`);
}

function checkSysctls(hc: HostConfig): void {
  const sysctls = hc.Sysctls ?? {};
  if (typeof sysctls !== "object" || Array.isArray(sysctls)) throw invalidArgument("invalid JSON: HostConfig.Sysctls must be an object");
  const nm = hc.NetworkMode ?? "";
  const ns = { ipc: hc.IpcMode !== "host", net: nm !== "host", uts: hc.UTSMode !== "host" };
  for (const [k, v] of Object.entries(sysctls)) {
    if (typeof v !== "string") throw invalidArgument(`invalid JSON: HostConfig.Sysctls["${k}"] must be a string`);
    checkSysctl(k, ns);
  }
}

function checkSecurityOpts(hc: HostConfig): void {
  const list = hc.SecurityOpt ?? [];
  if (!Array.isArray(list) || list.some((o) => typeof o !== "string")) throw invalidArgument("invalid JSON: HostConfig.SecurityOpt must be a list of strings");
  for (const raw of list) {
    const o = parseSecurityOpt(raw);
    if (o.key === "apparmor" && o.value !== "unconfined") {
      throw invalidArgument(`invalid --security-opt: "${raw}": AppArmor is not enabled on this host (only apparmor=unconfined is accepted)`);
    }
    if (o.key === "seccomp" && o.value !== "unconfined" && o.value !== "builtin" && o.value !== "") {
      let parsed: unknown;
      try {
        parsed = JSON.parse(o.value);
      } catch (err) {
        throw invalidArgument(`Decoding seccomp profile failed: ${(err as Error).message}`, err);
      }
      if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) throw invalidArgument("Decoding seccomp profile failed: the profile must be a JSON object");
    }
  }
}

/**
 * Check the run options of a create body and fill dockerd's defaults into its HostConfig
 * (in place). Throws invalid-argument with moby's texts; returns dockerd's warnings.
 */
export function validateRunOptions(body: ContainerCreateBody, hc: HostConfig, host: RunHostFacts, peer: PeerLookup): string[] {
  const warnings: string[] = [];
  for (const k of ["MemoryReservation", "OomScoreAdj", "BlkioWeight", "CpuShares", "CpuPeriod", "CpuQuota", "ShmSize", "MemorySwap"]) checkNumber(hc, k);
  if (body.StopSignal !== undefined && body.StopSignal !== "") {
    try {
      parseSignal(body.StopSignal);
    } catch (err) {
      throw invalidArgument(`Invalid signal: ${body.StopSignal}`, err);
    }
  }
  if (body.StopTimeout !== undefined && body.StopTimeout !== null && !isInt(body.StopTimeout)) throw invalidArgument("invalid JSON: StopTimeout must be an integer");
  if ((hc.ShmSize ?? 0) < 0) throw invalidArgument("SHM size can not be less than 0");
  const mem = hc.Memory ?? 0;
  const swap = hc.MemorySwap ?? 0;
  if (swap < -1) throw invalidArgument(`invalid memory swap ${swap}: use -1 for unlimited swap`);
  if (mem > 0 && swap !== -1 && host.swapLimit === false) {
    // moby: without swap accounting the memory is limited and swap left alone.
    warnings.push("Your kernel does not support swap limit capabilities or the cgroup is not mounted. Memory limited without swap.");
    hc.MemorySwap = -1;
  }
  if (mem > 0 && swap > 0 && swap < mem) throw invalidArgument("Minimum memoryswap limit should be larger than memory limit, see usage");
  if (mem === 0 && swap > 0) throw invalidArgument("You should always set the Memory limit when using Memoryswap limit, see usage");
  const res = hc.MemoryReservation ?? 0;
  if (res < 0) throw invalidArgument(`invalid memory reservation ${res}: must not be negative`);
  if (res > 0 && res < MIN_MEMORY) throw invalidArgument("Minimum memory reservation allowed is 6MB");
  if (mem > 0 && res > 0 && mem < res) throw invalidArgument("Minimum memory limit can not be less than memory reservation limit, see usage");
  if (hc.OomKillDisable === true && host.cgroup2) {
    // cgroup v2 has no switch for the OOM killer (moby: sysInfo.OomKillDisable is false there).
    warnings.push("Your kernel does not support OomKillDisable. OomKillDisable discarded.");
    hc.OomKillDisable = false;
  }
  if (hc.OomKillDisable === true && mem === 0) {
    warnings.push("OOM killer is disabled for the container, but no memory limit is set, this can result in the system running out of resources.");
  }
  const adj = hc.OomScoreAdj ?? 0;
  if (adj < -1000 || adj > 1000) throw invalidArgument(`Invalid value ${adj}, range for oom score adj is [-1000, 1000]`);
  if (adj !== 0 && adj < host.oomScoreAdj && !host.capabilities.includes("CAP_SYS_RESOURCE")) {
    throw invalidArgument(`oom score adj ${adj}: lowering it below the daemon's (${host.oomScoreAdj}) needs CAP_SYS_RESOURCE, which this host does not grant`);
  }
  const nano = hc.NanoCpus ?? 0;
  if (nano > 0 && (hc.CpuPeriod ?? 0) > 0) throw invalidArgument("Conflicting options: Nano CPUs and CPU Period cannot both be set");
  if (nano > 0 && (hc.CpuQuota ?? 0) > 0) throw invalidArgument("Conflicting options: Nano CPUs and CPU Quota cannot both be set");
  const period = hc.CpuPeriod ?? 0;
  if (period !== 0 && (period < 1000 || period > 1_000_000)) throw invalidArgument("CPU cfs period can not be less than 1ms (i.e. 1000) or larger than 1s (i.e. 1000000)");
  const quota = hc.CpuQuota ?? 0;
  if (quota > 0 && quota < 1000) throw invalidArgument("CPU cfs quota can not be less than 1ms (i.e. 1000)");
  if (quota < -1) throw invalidArgument(`invalid CPU quota ${quota}: use -1 for no quota`);
  const shares = hc.CpuShares ?? 0;
  // moby clamps shares into the kernel's range instead of refusing them.
  if (shares < 0 || (shares > 0 && shares < 2)) {
    warnings.push(`Changing requested CPUShares of ${shares} to minimum allowed of 2`);
    hc.CpuShares = 2;
  } else if (shares > 262144) {
    warnings.push(`Changing requested CPUShares of ${shares} to maximum allowed of 262144`);
    hc.CpuShares = 262144;
  }
  checkCpuset(hc.CpusetCpus, host.cpus, "cpus");
  checkCpuset(hc.CpusetMems, host.mems, "mems");
  const weight = hc.BlkioWeight ?? 0;
  if (weight !== 0 && (weight < 10 || weight > 1000)) throw invalidArgument("Range of blkio weight is from 10 to 1000");
  if (weight > 0 && !host.blkioWeight) {
    warnings.push("Your kernel does not support Block I/O weight or the cgroup is not mounted. Weight discarded.");
    hc.BlkioWeight = 0;
  }
  checkUlimits(hc, host);
  checkDevices(hc);
  const groups = hc.GroupAdd ?? [];
  if (!Array.isArray(groups) || groups.some((g) => typeof g !== "string" || g === "")) throw invalidArgument("invalid JSON: HostConfig.GroupAdd must be a list of group names or ids");
  checkModes(body, hc, peer);
  checkSysctls(hc);
  checkSecurityOpts(hc);
  // dockerd records its defaults: a private IPC namespace, and the host's cgroup namespace on cgroup v1.
  if ((hc.IpcMode ?? "") === "") hc.IpcMode = "private";
  if ((hc.CgroupnsMode ?? "") === "") hc.CgroupnsMode = host.cgroup2 ? "private" : "host";
  return warnings;
}
