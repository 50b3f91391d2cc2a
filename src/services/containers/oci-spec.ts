/**
 * The OCI spec of a container from its record, as moby's `createSpec` builds it: Docker's
 * default mounts, capabilities, seccomp profile, masked and read-only paths, namespaces,
 * resources, and the /etc files bind-mounted from the container directory. Pure: the host
 * facts (capabilities, devices, the seccomp profile) come in as arguments.
 */
import type { Spec } from "../../runtime/spec/types.js";
import type { SeccompProfile } from "../../runtime/seccomp/index.js";
import { DOCKER_DEFAULT_CAPABILITIES } from "../../runtime/seccomp/docker-profile.js";
import { invalidArgument } from "../../shared/errors.js";
import type { ContainerRecord, ContainerPaths } from "./container-record.js";
import type { ResolvedUser } from "./user.js";
import type { DeepMutable } from "./container-extension.js";
import { applyRunOptions, type RunSpecInputs } from "./run-options-spec.js";

/** Docker's default PATH. */
export const DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/** moby oci.DefaultSpec masked paths. */
export const MASKED_PATHS: readonly string[] = [
  "/proc/asound", "/proc/acpi", "/proc/interrupts", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
  "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi", "/sys/firmware",
  "/sys/devices/virtual/powercap",
];

/** moby oci.DefaultSpec read-only paths. */
export const READONLY_PATHS: readonly string[] = ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"];

/** A host device for privileged containers. */
export interface HostDevice {
  path: string;
  type: "c" | "b";
  major: number;
  minor: number;
  fileMode: number;
}

/** Inputs of `buildSpec` besides the record. */
export interface SpecInputs {
  paths: ContainerPaths;
  user: ResolvedUser;
  /** Capability names the host can grant (privileged containers get all of them). */
  hostCapabilities: readonly string[];
  /** Host devices (privileged containers get all of them). */
  hostDevices?: readonly HostDevice[];
  /** Docker's default profile translated for a capability set (undefined: no seccomp). */
  seccomp: (capabilities: readonly string[]) => SeccompProfile | undefined;
  /** Facts for the run options (init binary, peers, /etc/group). @default none */
  run?: RunSpecInputs;
}

function capName(c: string): string {
  const u = c.toUpperCase();
  return u === "ALL" ? "ALL" : u.startsWith("CAP_") ? u : `CAP_${u}`;
}

/** moby caps.TweakCapabilities: defaults, then CapAdd/CapDrop with "ALL". */
export function containerCapabilities(capAdd: readonly string[], capDrop: readonly string[], privileged: boolean, hostCaps: readonly string[]): string[] {
  if (privileged) return [...hostCaps];
  const add = capAdd.map(capName);
  const drop = capDrop.map(capName);
  for (const c of [...add, ...drop]) {
    if (c !== "ALL" && !/^CAP_[A-Z_]+$/.test(c)) throw invalidArgument(`invalid capability: "${c}"`);
  }
  let caps: string[];
  if (add.includes("ALL")) caps = [...hostCaps];
  else caps = [...DOCKER_DEFAULT_CAPABILITIES, ...add.filter((c) => !DOCKER_DEFAULT_CAPABILITIES.includes(c))];
  if (drop.includes("ALL")) caps = add.includes("ALL") ? [] : add.filter((c) => c !== "ALL");
  else caps = caps.filter((c) => !drop.includes(c));
  // Capabilities the host cannot grant are left out by the runtime, not here.
  return [...new Set(caps)];
}

/** The process environment as moby's CreateDaemonEnvironment + ReplaceOrAppendEnvValues. */
export function containerEnv(hostname: string, tty: boolean, configEnv: readonly string[]): string[] {
  const env = [`PATH=${DEFAULT_PATH}`, `HOSTNAME=${hostname}`, ...(tty ? ["TERM=xterm"] : [])];
  for (const e of configEnv) {
    const key = e.includes("=") ? e.slice(0, e.indexOf("=")) : e;
    const i = env.findIndex((x) => x.slice(0, x.indexOf("=") === -1 ? x.length : x.indexOf("=")) === key);
    if (!e.includes("=")) {
      // "-e FOO" without a value and FOO unset: removed, as Docker does.
      if (i !== -1) env.splice(i, 1);
      continue;
    }
    if (i === -1) env.push(e);
    else env[i] = e;
  }
  return env;
}

/** The network mode as berth handles it: none, host, or a private netns (default/bridge). */
export function networkMode(rec: ContainerRecord): "none" | "host" | "private" {
  const m = rec.HostConfig.NetworkMode ?? "";
  if (m === "none") return "none";
  if (m === "host") return "host";
  return "private";
}

/** Build the OCI spec for `rec`. */
export function buildSpec(rec: ContainerRecord, inp: SpecInputs): Spec {
  const hc = rec.HostConfig;
  const privileged = hc.Privileged === true;
  const caps = containerCapabilities(hc.CapAdd ?? [], hc.CapDrop ?? [], privileged, inp.hostCapabilities);
  const tty = rec.Config.Tty === true;
  const hostname = rec.Config.Hostname ?? rec.ID.slice(0, 12);
  const shmSize = hc.ShmSize !== undefined && hc.ShmSize > 0 ? hc.ShmSize : 64 * 1024 * 1024;
  const net = networkMode(rec);
  const mounts: Spec["mounts"] = [
    { destination: "/proc", type: "proc", source: "proc", options: ["nosuid", "noexec", "nodev"] },
    { destination: "/dev", type: "tmpfs", source: "tmpfs", options: ["nosuid", "strictatime", "mode=755", "size=65536k"] },
    { destination: "/dev/pts", type: "devpts", source: "devpts", options: ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"] },
    { destination: "/sys", type: "sysfs", source: "sysfs", options: ["nosuid", "noexec", "nodev", privileged ? "rw" : "ro"] },
    { destination: "/sys/fs/cgroup", type: "cgroup", source: "cgroup", options: ["nosuid", "noexec", "nodev", "relatime", privileged ? "rw" : "ro"] },
    { destination: "/dev/mqueue", type: "mqueue", source: "mqueue", options: ["nosuid", "noexec", "nodev"] },
    { destination: "/dev/shm", type: "tmpfs", source: "shm", options: ["nosuid", "noexec", "nodev", "mode=1777", `size=${shmSize}`] },
    { destination: "/etc/resolv.conf", type: "bind", source: inp.paths.resolvConf, options: ["rbind", "rprivate"] },
    { destination: "/etc/hostname", type: "bind", source: inp.paths.hostname, options: ["rbind", "rprivate"] },
    { destination: "/etc/hosts", type: "bind", source: inp.paths.hosts, options: ["rbind", "rprivate"] },
  ];
  const namespaces: Array<{ type: string }> = [{ type: "mount" }, { type: "uts" }, { type: "pid" }, { type: "ipc" }];
  if (net !== "host") namespaces.push({ type: "network" });
  const resources: Record<string, unknown> = {
    devices: privileged ? [{ allow: true, access: "rwm" }] : [{ allow: false, access: "rwm" }],
  };
  if (hc.Memory !== undefined && hc.Memory > 0) {
    const mem: Record<string, number> = { limit: hc.Memory };
    // Docker's default swap is twice the memory (MemorySwap 0); -1 is unlimited.
    if (hc.MemorySwap !== undefined && hc.MemorySwap !== 0) mem.swap = hc.MemorySwap;
    else mem.swap = hc.Memory * 2;
    resources.memory = mem;
  }
  const cpu: Record<string, number> = {};
  if (hc.NanoCpus !== undefined && hc.NanoCpus > 0) {
    cpu.period = 100_000;
    cpu.quota = Math.round((hc.NanoCpus * 100_000) / 1e9);
  } else if (hc.CpuQuota !== undefined && hc.CpuQuota > 0) {
    cpu.quota = hc.CpuQuota;
    if (hc.CpuPeriod !== undefined && hc.CpuPeriod > 0) cpu.period = hc.CpuPeriod;
  }
  if (hc.CpuShares !== undefined && hc.CpuShares > 0) cpu.shares = hc.CpuShares;
  if (Object.keys(cpu).length > 0) resources.cpu = cpu;
  if (hc.PidsLimit !== undefined && hc.PidsLimit !== null && hc.PidsLimit !== 0) resources.pids = { limit: hc.PidsLimit };
  const env = containerEnv(hostname, tty, rec.Config.Env ?? []);
  const linux: Record<string, unknown> = {
    cgroupsPath: `/berth/${rec.ID}`,
    namespaces,
    resources,
  };
  if (!privileged) {
    linux.maskedPaths = [...MASKED_PATHS];
    linux.readonlyPaths = [...READONLY_PATHS];
    const sc = inp.seccomp(caps);
    if (sc !== undefined) linux.seccomp = sc;
  } else {
    linux.devices = (inp.hostDevices ?? []).map((d) => ({ path: d.path, type: d.type, major: d.major, minor: d.minor, fileMode: d.fileMode, uid: 0, gid: 0 }));
  }
  const spec = {
    ociVersion: "1.2.0",
    process: {
      terminal: tty,
      user: { uid: inp.user.uid, gid: inp.user.gid, ...(inp.user.additionalGids.length > 0 ? { additionalGids: inp.user.additionalGids } : {}) },
      args: [rec.Path, ...rec.Args],
      env,
      cwd: rec.Config.WorkingDir !== undefined && rec.Config.WorkingDir !== "" ? rec.Config.WorkingDir : "/",
      capabilities: { bounding: caps, effective: caps, permitted: caps },
      noNewPrivileges: false,
    },
    root: { path: inp.paths.rootfs, readonly: hc.ReadonlyRootfs === true },
    hostname,
    mounts,
    linux,
  };
  applyRunOptions(spec as unknown as DeepMutable<Spec>, rec, inp.run ?? {});
  return spec as unknown as Spec;
}
