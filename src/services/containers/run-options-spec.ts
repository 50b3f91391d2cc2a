/**
 * The spec side of the run options, as moby's createSpec applies them after its defaults:
 * `--init`, namespace modes (ipc/pid/uts/cgroupns, `container:<id>` joins), cgroup parent,
 * the resources beyond memory/cpus/pids, ulimits, oom score, devices, extra groups,
 * sysctls and security options. `validateRunOptions` has already refused bad values.
 */
import { statSync } from "node:fs";
import { posix } from "node:path";
import { fileURLToPath } from "node:url";
import type { Spec } from "../../runtime/spec/types.js";
import { seccompFromDockerProfile, type DockerSeccompProfile } from "../../runtime/seccomp/docker-profile.js";
import { conflict, failedPrecondition, invalidArgument } from "../../shared/errors.js";
import type { ContainerRecord } from "./container-record.js";
import type { DeepMutable } from "./container-extension.js";
import { listHostDevices } from "./host-devices.js";
import type { HostDevice } from "./oci-spec.js";
import { parseSecurityOpt, peerRef, ULIMIT_TYPES } from "./run-options.js";

/** Where Docker puts the init inside the container. */
export const DOCKER_INIT_PATH = "/sbin/docker-init";

/** A running container another one joins (`--pid container:x`, `--ipc container:x`). */
export interface PeerContainer {
  id: string;
  /** Host pid of its init; 0 when not running. */
  pid: number;
}

/** Host facts `applyRunOptions` needs. */
export interface RunSpecInputs {
  /** The host binary bind-mounted at /sbin/docker-init; undefined: `--init` fails. */
  initBinary?: string;
  /** daemon.json `init`: the default when HostConfig.Init is null. @default false */
  initDefault?: boolean;
  /** Another container by reference (throws "No such container"). */
  peer?: (ref: string) => PeerContainer;
  /** The container's /etc/group, for `--group-add name`. @default "" */
  groupFile?: string;
}

type MutableSpec = DeepMutable<Spec>;
type Namespaces = NonNullable<NonNullable<MutableSpec["linux"]>["namespaces"]>;

function setNamespace(ns: Namespaces, type: string, mode: "drop" | "own" | { path: string }): void {
  const i = ns.findIndex((n) => n.type === type);
  if (mode === "drop") {
    if (i !== -1) ns.splice(i, 1);
    return;
  }
  const entry = mode === "own" ? { type } : { type, path: mode.path };
  if (i === -1) ns.push(entry as Namespaces[number]);
  else ns[i] = entry as Namespaces[number];
}

function joinPeer(mode: string, what: "PID" | "IPC", inp: RunSpecInputs): string {
  const ref = peerRef(mode) as string;
  if (inp.peer === undefined) throw failedPrecondition(`join ${what} namespace of container "${ref}": no container lookup`);
  const p = inp.peer(ref);
  if (p.pid <= 0) {
    throw conflict(what === "PID" ? `cannot join PID of a non running container: ${ref}` : `cannot join IPC of a non running container: ${ref}`);
  }
  return `/proc/${p.pid}/ns/${what === "PID" ? "pid" : "ipc"}`;
}

/** The devices one `--device` names: a node, or every node below a directory (moby's DevicesFromPath). */
function devicesOf(pathOnHost: string, pathInContainer: string): HostDevice[] {
  let st;
  try {
    st = statSync(pathOnHost);
  } catch (err) {
    throw invalidArgument(`error gathering device information while adding custom device "${pathOnHost}": no such file or directory`, err);
  }
  if (st.isDirectory()) {
    return listHostDevices(pathOnHost).map((d) => ({ ...d, path: posix.join(pathInContainer, posix.relative(pathOnHost, d.path)) }));
  }
  if (!st.isCharacterDevice() && !st.isBlockDevice()) {
    throw invalidArgument(`error gathering device information while adding custom device "${pathOnHost}": not a device node`);
  }
  const rdev = st.rdev;
  const major = ((rdev >> 8) & 0xfff) | (Math.floor(rdev / 2 ** 32) & ~0xfff);
  const minor = (rdev & 0xff) | ((rdev >> 12) & 0xfff00);
  return [{ path: pathInContainer, type: st.isCharacterDevice() ? "c" : "b", major, minor, fileMode: st.mode & 0o7777 }];
}

/** runc's default devices (null, zero, full, random, urandom, tty, ptmx, pts): always rwm. */
function isDefaultDevice(d: HostDevice): boolean {
  if (d.type !== "c") return false;
  if (d.major === 1) return [3, 5, 7, 8, 9].includes(d.minor);
  if (d.major === 5) return d.minor === 0 || d.minor === 2;
  return d.major === 136;
}

function groupId(name: string, groupFile: string): number {
  if (/^\d+$/.test(name)) return Number(name);
  for (const line of groupFile.split("\n")) {
    const f = line.split(":");
    if (f[0] === name && f[2] !== undefined && /^\d+$/.test(f[2])) return Number(f[2]);
  }
  throw invalidArgument(`Unable to find group ${name}`);
}

/** Apply the record's run options to a spec `buildSpec` made (in place). */
export function applyRunOptions(spec: MutableSpec, rec: ContainerRecord, inp: RunSpecInputs): void {
  const hc = rec.HostConfig;
  const linux = (spec.linux ??= {});
  const ns = (linux.namespaces ??= []);
  const resources = (linux.resources ??= {});
  const proc = spec.process;
  const mounts = (spec.mounts ??= []);

  // Namespace modes.
  const ipc = hc.IpcMode ?? "private";
  if (ipc === "host") {
    setNamespace(ns, "ipc", "drop");
    const i = mounts.findIndex((m) => m.destination === "/dev/shm");
    const hostShm = { destination: "/dev/shm", type: "bind", source: "/dev/shm", options: ["rbind", "rprivate"] };
    if (i === -1) mounts.push(hostShm);
    else mounts[i] = hostShm;
    const q = mounts.findIndex((m) => m.destination === "/dev/mqueue");
    if (q !== -1) mounts.splice(q, 1);
  } else if (peerRef(ipc) !== undefined) {
    setNamespace(ns, "ipc", { path: joinPeer(ipc, "IPC", inp) });
  } else if (ipc === "none") {
    const i = mounts.findIndex((m) => m.destination === "/dev/shm");
    if (i !== -1) mounts.splice(i, 1);
  }
  const pid = hc.PidMode ?? "";
  if (pid === "host") setNamespace(ns, "pid", "drop");
  else if (peerRef(pid) !== undefined) setNamespace(ns, "pid", { path: joinPeer(pid, "PID", inp) });
  if (hc.UTSMode === "host") {
    setNamespace(ns, "uts", "drop");
    delete spec.hostname;
  }
  if (hc.CgroupnsMode === "private") setNamespace(ns, "cgroup", "own");
  else if (hc.CgroupnsMode === "host") setNamespace(ns, "cgroup", "drop");
  if (hc.CgroupParent !== undefined && hc.CgroupParent !== "") {
    const parent = hc.CgroupParent.replace(/\/+$/, "");
    linux.cgroupsPath = parent.startsWith("/") ? posix.join(parent, rec.ID) : `${posix.normalize(parent)}/${rec.ID}`;
  }

  // Resources beyond what buildSpec sets.
  const mem = (resources.memory ??= {});
  // Unlimited swap is what a new cgroup has: writing nothing also works without swap accounting.
  if (mem.swap === -1 && (mem.limit ?? 0) > 0) delete mem.swap;
  if ((hc.MemoryReservation ?? 0) > 0) mem.reservation = hc.MemoryReservation as number;
  if (hc.OomKillDisable === true) mem.disableOOMKiller = true;
  if (Object.keys(mem).length === 0) delete resources.memory;
  const cpu = (resources.cpu ??= {});
  if ((hc.CpuPeriod ?? 0) > 0 && (hc.NanoCpus ?? 0) === 0) cpu.period = hc.CpuPeriod as number;
  if (hc.CpusetCpus !== undefined && hc.CpusetCpus !== "") cpu.cpus = hc.CpusetCpus;
  if (hc.CpusetMems !== undefined && hc.CpusetMems !== "") cpu.mems = hc.CpusetMems;
  if (Object.keys(cpu).length === 0) delete resources.cpu;
  if ((hc.BlkioWeight ?? 0) > 0) resources.blockIO = { ...(resources.blockIO ?? {}), weight: hc.BlkioWeight as number };

  // Devices: the node, an allow rule with the asked permissions, a deny of the others.
  const devs = (linux.devices ??= []);
  const rules = (resources.devices ??= []);
  for (const d of hc.Devices ?? []) {
    const inCtr = d.PathInContainer !== undefined && d.PathInContainer !== "" ? d.PathInContainer : d.PathOnHost;
    const perms = d.CgroupPermissions !== undefined && d.CgroupPermissions !== "" ? d.CgroupPermissions : "rwm";
    for (const dev of devicesOf(d.PathOnHost, inCtr)) {
      const k = devs.findIndex((x) => x.path === dev.path);
      const node = { path: dev.path, type: dev.type, major: dev.major, minor: dev.minor, fileMode: dev.fileMode, uid: 0, gid: 0 };
      if (k === -1) devs.push(node);
      else devs[k] = node;
      rules.push({ allow: true, type: dev.type, major: dev.major, minor: dev.minor, access: perms });
      const missing = [..."rwm"].filter((c) => !perms.includes(c)).join("");
      // The runtime allows every listed device rwm; a deny narrows it to the asked
      // permissions, except for the default devices, which Docker's rules leave rwm too.
      if (missing !== "" && !isDefaultDevice(dev)) rules.push({ allow: false, type: dev.type, major: dev.major, minor: dev.minor, access: missing });
    }
  }
  if (devs.length === 0) delete linux.devices;

  if (proc !== undefined) {
    // Init first: a bind-mounted tiny init as pid 1, the command after "--" (Docker's layout).
    if (hc.Init ?? inp.initDefault ?? false) {
      if (inp.initBinary === undefined) throw failedPrecondition("--init: no docker-init binary is configured");
      mounts.push({ destination: DOCKER_INIT_PATH, type: "bind", source: inp.initBinary, options: ["bind", "ro"] });
      proc.args = [DOCKER_INIT_PATH, "--", ...(proc.args ?? [])];
    }
    const rlimits = (hc.Ulimits ?? []).map((u) => ({
      type: ULIMIT_TYPES[u.Name] as string,
      // -1 is unlimited: RLIM_INFINITY as the runtime spells it.
      soft: u.Soft === -1 ? 2 ** 64 - 1 : u.Soft,
      hard: u.Hard === -1 ? 2 ** 64 - 1 : u.Hard,
    }));
    if (rlimits.length > 0) proc.rlimits = rlimits;
    if ((hc.OomScoreAdj ?? 0) !== 0) proc.oomScoreAdj = hc.OomScoreAdj as number;
    const extra = (hc.GroupAdd ?? []).map((g) => groupId(g, inp.groupFile ?? ""));
    if (extra.length > 0) {
      const gids = [...(proc.user.additionalGids ?? []), ...extra];
      proc.user.additionalGids = [...new Set(gids)];
    }
    for (const raw of hc.SecurityOpt ?? []) {
      const o = parseSecurityOpt(raw);
      if (o.key === "no-new-privileges") proc.noNewPrivileges = o.value === "true";
      if (o.key !== "seccomp" || hc.Privileged === true) continue;
      if (o.value === "unconfined") delete linux.seccomp;
      else if (o.value !== "builtin" && o.value !== "") {
        const caps = proc.capabilities?.bounding ?? [];
        const profile = seccompFromDockerProfile(JSON.parse(o.value) as DockerSeccompProfile, { capabilities: caps });
        if (profile === undefined) delete linux.seccomp;
        else linux.seccomp = profile as unknown as NonNullable<NonNullable<MutableSpec["linux"]>["seccomp"]>;
      }
    }
  }
  const sysctls = Object.entries(hc.Sysctls ?? {});
  if (sysctls.length > 0) linux.sysctl = { ...(linux.sysctl ?? {}), ...Object.fromEntries(sysctls) };
}

/** native/build/berth-docker-init at the repository root (from dist/src/services/containers/). */
export const DEFAULT_DOCKER_INIT = fileURLToPath(new URL("../../../../native/build/berth-docker-init", import.meta.url));
