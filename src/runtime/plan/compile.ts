/**
 * `compilePlan()`: the OCI spec → Plan compiler. Pure: everything it needs from the host
 * (rootfs path, state files, cgroup procs files, the compiled seccomp filter, the parent
 * mount of the rootfs...) arrives in the context, so it is unit-tested without root.
 *
 * The op order follows runc's `prepareRootfs`/`standard_init_linux`: root propagation,
 * rootfs bind, spec mounts in order, devices, /dev symlinks, the createRuntime sync and
 * createContainer hooks, pivot_root, console, root propagation again, readonly root,
 * hostname, sysctl, readonly and masked paths, umask, rlimits, user, cwd, capabilities,
 * no_new_privs, wait for `start`, seccomp (as close to execve as possible), startContainer
 * hooks, exec.
 */
import { posix } from "node:path";
import { invalidArgument } from "../../shared/errors.js";
import { capabilityMask, capabilityNumber } from "../capabilities.js";
import { RLIMITS } from "../spec/validate.js";
import type { DeviceCgroup, Hook, Mount, NamespaceType, Process, Spec } from "../spec/types.js";
import type { NamespaceJoin, Op, Plan } from "./plan.js";

/** mount(2) flags (linux/mount.h). */
export const MS = {
  RDONLY: 0x1, NOSUID: 0x2, NODEV: 0x4, NOEXEC: 0x8, SYNCHRONOUS: 0x10, REMOUNT: 0x20,
  MANDLOCK: 0x40, DIRSYNC: 0x80, NOSYMFOLLOW: 0x100, NOATIME: 0x400, NODIRATIME: 0x800,
  BIND: 0x1000, MOVE: 0x2000, REC: 0x4000, SILENT: 0x8000, UNBINDABLE: 0x20000,
  PRIVATE: 0x40000, SLAVE: 0x80000, SHARED: 0x100000, RELATIME: 0x200000,
  I_VERSION: 0x800000, STRICTATIME: 0x1000000, LAZYTIME: 0x2000000,
} as const;

/** clone(2) namespace flags (linux/sched.h). */
export const CLONE_NEW: { readonly [K in NamespaceType]: number } = {
  mount: 0x00020000, cgroup: 0x02000000, uts: 0x04000000, ipc: 0x08000000,
  user: 0x10000000, pid: 0x20000000, network: 0x40000000, time: 0x00000080,
};

/** The /proc/<pid>/ns/ file name of each namespace type. */
export const NS_FILE: { readonly [K in NamespaceType]: string } = {
  mount: "mnt", cgroup: "cgroup", uts: "uts", ipc: "ipc", user: "user", pid: "pid", network: "net", time: "time",
};

const S_IFIFO = 0o010000;
const S_IFCHR = 0o020000;
const S_IFBLK = 0o060000;
const RLIM_INFINITY = 0xffffffffffffffffn;
const PROPAGATION_MASK = MS.SHARED | MS.SLAVE | MS.PRIVATE | MS.UNBINDABLE;

// Option → [set?, flag]; runc's mountFlags table (libcontainer/specconv).
const FLAG_OPTIONS: { readonly [opt: string]: readonly [boolean, number] } = {
  async: [false, MS.SYNCHRONOUS], atime: [false, MS.NOATIME], bind: [true, MS.BIND], defaults: [true, 0],
  dev: [false, MS.NODEV], diratime: [false, MS.NODIRATIME], dirsync: [true, MS.DIRSYNC], exec: [false, MS.NOEXEC],
  iversion: [true, MS.I_VERSION], lazytime: [true, MS.LAZYTIME], loud: [false, MS.SILENT], mand: [true, MS.MANDLOCK],
  noatime: [true, MS.NOATIME], nodev: [true, MS.NODEV], nodiratime: [true, MS.NODIRATIME], noexec: [true, MS.NOEXEC],
  noiversion: [false, MS.I_VERSION], nolazytime: [false, MS.LAZYTIME], nomand: [false, MS.MANDLOCK],
  norelatime: [false, MS.RELATIME], nostrictatime: [false, MS.STRICTATIME], nosuid: [true, MS.NOSUID],
  nosymfollow: [true, MS.NOSYMFOLLOW], rbind: [true, MS.BIND | MS.REC], relatime: [true, MS.RELATIME],
  remount: [true, MS.REMOUNT], ro: [true, MS.RDONLY], rw: [false, MS.RDONLY], silent: [true, MS.SILENT],
  strictatime: [true, MS.STRICTATIME], suid: [false, MS.NOSUID], sync: [true, MS.SYNCHRONOUS], symfollow: [false, MS.NOSYMFOLLOW],
};

const PROPAGATION_OPTIONS: { readonly [opt: string]: number } = {
  private: MS.PRIVATE, rprivate: MS.PRIVATE | MS.REC, shared: MS.SHARED, rshared: MS.SHARED | MS.REC,
  slave: MS.SLAVE, rslave: MS.SLAVE | MS.REC, unbindable: MS.UNBINDABLE, runbindable: MS.UNBINDABLE | MS.REC,
};

// Options runc understands but that are no mount(2) flag nor filesystem data.
const IGNORED_OPTIONS = new Set(["tmpcopyup", "nocopyup", "copyup"]);
const UNSUPPORTED_OPTIONS = new Set(["idmap", "ridmap", "rro", "rrw", "rnosuid", "rsuid", "rnodev", "rdev", "rnoexec", "rexec", "rnoatime", "ratime", "rrelatime", "rnorelatime", "rstrictatime", "rnostrictatime", "rnosymfollow", "rsymfollow", "rnodiratime", "rdiratime"]);

/** The result of parsing a mount's `options`. */
export interface ParsedMountOptions {
  /** mount(2) flags other than propagation. */
  readonly flags: number;
  /** Propagation flags to apply one by one after the mount, in the order given. */
  readonly propagation: readonly number[];
  /** Filesystem-specific data, comma-joined. */
  readonly data: string;
}

/** Split OCI mount options into mount(2) flags, propagation changes and fs data (runc's parseMountOptions). */
export function parseMountOptions(options: readonly string[], field = "mounts[].options"): ParsedMountOptions {
  let flags = 0;
  const propagation: number[] = [];
  const data: string[] = [];
  for (const opt of options) {
    const f = FLAG_OPTIONS[opt];
    if (f !== undefined) {
      flags = f[0] ? flags | f[1] : flags & ~f[1];
    } else if (PROPAGATION_OPTIONS[opt] !== undefined) {
      propagation.push(PROPAGATION_OPTIONS[opt]);
    } else if (UNSUPPORTED_OPTIONS.has(opt)) {
      throw invalidArgument(`invalid config.json: ${field} ${JSON.stringify(opt)} is not supported`);
    } else if (!IGNORED_OPTIONS.has(opt)) {
      data.push(opt);
    }
  }
  return { flags, propagation, data: data.join(",") };
}

/** One cgroup hierarchy of the host, to be made visible at a `cgroup` mount. */
export interface CgroupMountSource {
  /** Sub-directory under the mount destination; "" for a cgroup2 hierarchy mounted at it. */
  readonly dir: string;
  readonly fstype: "cgroup" | "cgroup2";
  /** Mount data naming the hierarchy (e.g. "cpu,cpuacct", "name=systemd"; "" for cgroup2). */
  readonly data: string;
  /** Host path of the container's cgroup in this hierarchy (bind-mounted without a cgroup namespace). */
  readonly hostPath: string;
  /** Further names linking to `dir` (co-mounted controllers: "cpu" → "cpu,cpuacct"). */
  readonly links?: readonly string[];
}

/** What `compilePlan()` needs from the host. Paths are absolute host paths. */
export interface CompileContext {
  /** The resolved rootfs directory. */
  readonly rootfs: string;
  /** The bundle directory: relative bind sources are resolved against it. */
  readonly bundle: string;
  /** The exec fifo `start` opens; "" runs straight through (no wait-start). */
  readonly execFifo: string;
  /** The console socket (`--console-socket`) when the process has a terminal. */
  readonly consoleSocket?: string;
  /** cgroup.procs (or tasks) files the parent writes the child's pid to. */
  readonly cgroupProcs: readonly string[];
  /** The compiled `linux.seccomp` profile, when there is one. */
  readonly seccomp?: { readonly filter: Uint8Array; readonly flags: number };
  /** `--no-pivot`: chroot instead of pivot_root. */
  readonly noPivot?: boolean;
  /** The mount point containing the rootfs; made private so pivot_root accepts the rootfs. */
  readonly rootfsParentMount?: string;
  /** Host cgroup hierarchies for `cgroup` mounts; default: one cgroup2 hierarchy. */
  readonly cgroupMounts?: readonly CgroupMountSource[];
  /** Classifies a bind-mount source: a file source needs a file as target. Default: "dir". */
  readonly sourceKind?: (path: string) => "dir" | "file" | "missing";
  /** Capabilities this host can grant (its bounding set); others are left out. Default: all. */
  readonly hostCapabilities?: bigint;
}

interface DefaultDevice {
  readonly path: string;
  readonly major: number;
  readonly minor: number;
}

/** runc's default devices (libcontainer/specconv AllowedDevices), all 0666 root:root. */
export const DEFAULT_DEVICES: readonly DefaultDevice[] = [
  { path: "/dev/null", major: 1, minor: 3 },
  { path: "/dev/zero", major: 1, minor: 5 },
  { path: "/dev/full", major: 1, minor: 7 },
  { path: "/dev/tty", major: 5, minor: 0 },
  { path: "/dev/random", major: 1, minor: 8 },
  { path: "/dev/urandom", major: 1, minor: 9 },
];

const DEV_SYMLINKS: readonly [string, string][] = [
  ["/proc/self/fd", "/dev/fd"],
  ["/proc/self/fd/0", "/dev/stdin"],
  ["/proc/self/fd/1", "/dev/stdout"],
  ["/proc/self/fd/2", "/dev/stderr"],
  ["pts/ptmx", "/dev/ptmx"],
];

function under(root: string, path: string): string {
  return posix.join(root, posix.normalize(path));
}

function hasNs(spec: Spec, type: NamespaceType): boolean {
  return spec.linux?.namespaces?.some((n) => n.type === type) ?? false;
}

function newNs(spec: Spec, type: NamespaceType): boolean {
  return spec.linux?.namespaces?.some((n) => n.type === type && n.path === undefined) ?? false;
}

function hookOp(h: Hook): Op {
  return { op: "run-hook", path: h.path, args: h.args ?? [h.path], env: h.env ?? [], timeout: h.timeout ?? 0 };
}

function rlimitValue(v: number): bigint {
  // JSON cannot carry 2^64-1 exactly: anything at 2^64 (rounded) or above means RLIM_INFINITY.
  return v >= 2 ** 64 - 1 ? RLIM_INFINITY : BigInt(v);
}

function mountOps(spec: Spec, m: Mount, index: number, ctx: CompileContext): Op[] {
  const field = `mounts[${index}]`;
  const { flags, propagation, data } = parseMountOptions(m.options ?? [], `${field}.options`);
  const target = under(ctx.rootfs, m.destination);
  const ops: Op[] = [];
  const bind = m.type === "bind" || (flags & MS.BIND) !== 0;
  if (bind) {
    const source = posix.resolve(ctx.bundle, m.source ?? "");
    const kind = ctx.sourceKind?.(source) ?? "dir";
    if (kind === "missing") throw invalidArgument(`invalid config.json: ${field}.source ${JSON.stringify(source)} does not exist`);
    if (kind === "file") {
      ops.push({ op: "mkdir", path: posix.dirname(target), mode: 0o755 }, { op: "touch", path: target, mode: 0o644 });
    } else {
      ops.push({ op: "mkdir", path: target, mode: 0o755 });
    }
    const bindFlags = MS.BIND | (flags & MS.REC);
    ops.push({ op: "mount", source, target, fstype: "", flags: bindFlags, data: "" });
    // A bind mount ignores every other flag: they need a remount (runc does the same).
    const rest = flags & ~(MS.BIND | MS.REC | MS.REMOUNT);
    if (rest !== 0) ops.push({ op: "mount", source: "", target, fstype: "", flags: rest | MS.BIND | MS.REMOUNT, data: "" });
  } else if (m.type === "cgroup" || m.type === "cgroup2") {
    ops.push(...cgroupMountOps(spec, target, flags, m.type, ctx));
  } else {
    ops.push({ op: "mkdir", path: target, mode: 0o755 });
    ops.push({ op: "mount", source: m.source ?? m.type ?? "", target, fstype: m.type ?? "", flags, data });
  }
  for (const p of propagation) ops.push({ op: "mount", source: "", target, fstype: "", flags: p, data: "" });
  return ops;
}

function cgroupMountOps(spec: Spec, target: string, flags: number, type: string, ctx: CompileContext): Op[] {
  const ops: Op[] = [{ op: "mkdir", path: target, mode: 0o755 }];
  const hierarchies = ctx.cgroupMounts ?? [{ dir: "", fstype: "cgroup2", data: "", hostPath: "/sys/fs/cgroup" }];
  const ownNs = hasNs(spec, "cgroup");
  const userNs = hasNs(spec, "user");
  const mountOne = (h: CgroupMountSource, at: string): void => {
    // Only the initial user namespace may mount a cgroup v1 hierarchy: bind it in a user namespace.
    if (ownNs && !(userNs && h.fstype === "cgroup")) {
      ops.push({ op: "mount", source: h.fstype, target: at, fstype: h.fstype, flags, data: h.data });
    } else {
      // Without a cgroup namespace a fresh cgroupfs would show the host's whole tree: bind
      // the container's own cgroup instead (runc does the same).
      ops.push({ op: "mount", source: h.hostPath, target: at, fstype: "", flags: MS.BIND | MS.REC, data: "" });
      ops.push({ op: "mount", source: "", target: at, fstype: "", flags: (flags & ~MS.REC) | MS.BIND | MS.REMOUNT, data: "" });
    }
  };
  const root = hierarchies.find((h) => h.dir === "");
  if (type === "cgroup2" || (root !== undefined && hierarchies.length === 1)) {
    mountOne(root ?? { dir: "", fstype: "cgroup2", data: "", hostPath: "/sys/fs/cgroup" }, target);
    return ops;
  }
  // cgroup v1 (or mixed): a tmpfs holding one directory per hierarchy, made read-only last.
  ops.push({ op: "mount", source: "tmpfs", target, fstype: "tmpfs", flags: flags & ~MS.RDONLY, data: "mode=755" });
  for (const h of hierarchies) {
    if (h.dir === "") continue;
    const at = posix.join(target, h.dir);
    ops.push({ op: "mkdir", path: at, mode: 0o755 });
    mountOne(h, at);
    for (const link of h.links ?? []) ops.push({ op: "symlink", target: h.dir, path: posix.join(target, link) });
  }
  if (flags & MS.RDONLY) {
    ops.push({ op: "mount", source: "", target, fstype: "", flags: flags | MS.REMOUNT, data: "mode=755" });
  }
  return ops;
}

function deviceOps(spec: Spec, ctx: CompileContext): Op[] {
  const userNs = hasNs(spec, "user");
  const ops: Op[] = [];
  // Without a fresh /dev, nodes may already exist in the rootfs: keep them (runc ignores EEXIST).
  const devMounted = (spec.mounts ?? []).some((m) => posix.normalize(m.destination) === "/dev");
  const exists = (path: string) => !devMounted && ctx.sourceKind !== undefined && ctx.sourceKind(path) !== "missing";
  // Listed devices replace defaults with the same path.
  const listed = spec.linux?.devices ?? [];
  const all = [
    ...DEFAULT_DEVICES.filter((d) => !listed.some((l) => posix.normalize(l.path) === d.path)).map((d) => ({
      type: "c" as const, path: d.path, major: d.major, minor: d.minor, fileMode: 0o666, uid: 0, gid: 0,
    })),
    ...listed,
  ];
  for (const d of all) {
    const path = under(ctx.rootfs, d.path);
    if (exists(path)) continue;
    const dir = posix.dirname(path);
    if (dir !== under(ctx.rootfs, "/dev")) ops.push({ op: "mkdir", path: dir, mode: 0o755 });
    if (userNs) {
      // mknod is not allowed in a user namespace: bind the host's node instead (runc, crun).
      ops.push({ op: "touch", path, mode: 0o644 });
      ops.push({ op: "bind-device", source: posix.normalize(d.path), path });
      continue;
    }
    const type = d.type === "b" ? S_IFBLK : d.type === "p" ? S_IFIFO : S_IFCHR;
    ops.push({
      op: "mknod", path, mode: type | ((d.fileMode ?? 0o666) & 0o7777), major: d.major ?? 0, minor: d.minor ?? 0,
      uid: d.uid ?? 0, gid: d.gid ?? 0,
    });
  }
  return ops;
}

function capabilityOp(caps: Process["capabilities"], ctx: CompileContext): Op | undefined {
  if (caps === undefined) return undefined;
  const host = ctx.hostCapabilities ?? (1n << 64n) - 1n;
  const mask = (set: keyof NonNullable<Process["capabilities"]>): bigint => {
    try {
      return capabilityMask(caps[set] ?? []) & host;
    } catch (err) {
      throw invalidArgument(`invalid config.json: process.capabilities.${set} ${(err as Error).message}`);
    }
  };
  return {
    op: "capabilities", bounding: mask("bounding"), effective: mask("effective"), permitted: mask("permitted"),
    inheritable: mask("inheritable"), ambient: mask("ambient"),
  };
}

/** The ops that finish a process: rlimits, user, cwd, capabilities, nnp, start wait, seccomp, exec. */
function processTailOps(process: Process, ctx: { seccomp?: CompileContext["seccomp"]; hostCapabilities?: bigint }, waitStart: boolean, startHooks: readonly Hook[]): Op[] {
  const ops: Op[] = [];
  ops.push({ op: "umask", mask: process.user.umask ?? 0o022 });
  for (const r of process.rlimits ?? []) {
    const resource = RLIMITS[r.type];
    if (resource === undefined) throw invalidArgument(`invalid config.json: process.rlimits type ${JSON.stringify(r.type)} is unknown`);
    ops.push({ op: "rlimit", resource, soft: rlimitValue(r.soft), hard: rlimitValue(r.hard) });
  }
  const caps = capabilityOp(process.capabilities, ctx as CompileContext);
  const sysAdmin = 1n << BigInt(capabilityNumber("CAP_SYS_ADMIN") ?? 21);
  // seccomp(2) without no_new_privs needs CAP_SYS_ADMIN: load it while we still have it
  // (runc loads it before dropping privileges when noNewPrivileges is false).
  const seccompLate = ctx.seccomp !== undefined && (process.noNewPrivileges === true || caps === undefined || (caps.op === "capabilities" && (caps.effective & sysAdmin) !== 0n));
  if (ctx.seccomp !== undefined && !seccompLate) ops.push({ op: "seccomp", filter: ctx.seccomp.filter, flags: ctx.seccomp.flags });
  ops.push({ op: "set-user", uid: process.user.uid, gid: process.user.gid, additionalGids: process.user.additionalGids ?? [] });
  ops.push({ op: "chdir", path: process.cwd });
  if (caps !== undefined) ops.push(caps);
  if (process.noNewPrivileges === true) ops.push({ op: "no-new-privileges" });
  if (waitStart) ops.push({ op: "wait-start" });
  if (ctx.seccomp !== undefined && seccompLate) ops.push({ op: "seccomp", filter: ctx.seccomp.filter, flags: ctx.seccomp.flags });
  for (const h of startHooks) ops.push(hookOp(h));
  const [path, ...rest] = process.args;
  ops.push({ op: "exec", path: path ?? "", args: [path ?? "", ...rest], env: process.env ?? [] });
  return ops;
}

/**
 * Namespaces to join by path: the user namespace first (it changes what the others mean),
 * the mount namespace last (it changes the root).
 */
function joins(entries: readonly { type: NamespaceType; path: string }[]): NamespaceJoin[] {
  const rank = (t: NamespaceType) => (t === "user" ? 0 : t === "mount" ? 2 : 1);
  const sorted = [...entries].sort((a, b) => rank(a.type) - rank(b.type));
  return sorted.map((n) => ({ nstype: CLONE_NEW[n.type], path: n.path }));
}

/** Compile a validated spec into the Plan that creates the container's init process. */
export function compilePlan(spec: Spec, ctx: CompileContext): Plan {
  const process = spec.process;
  if (process === undefined) throw invalidArgument("invalid config.json: process is required to create a container");
  const namespaces = spec.linux?.namespaces ?? [];
  let cloneFlags = 0;
  for (const n of namespaces) {
    if (n.path === undefined && n.type !== "cgroup") cloneFlags |= CLONE_NEW[n.type];
  }
  const joinNamespaces = joins(namespaces.flatMap((n) => (n.path !== undefined ? [{ type: n.type, path: n.path }] : [])));
  const userNs = newNs(spec, "user");
  const ops: Op[] = [];
  // The cgroup namespace must be created after the parent moved us into the cgroup.
  if (newNs(spec, "cgroup")) ops.push({ op: "unshare", flags: CLONE_NEW.cgroup });
  if (process.oomScoreAdj !== undefined) {
    ops.push({ op: "write-file", path: "/proc/self/oom_score_adj", data: String(process.oomScoreAdj) });
  }
  if (ctx.execFifo !== "") ops.push({ op: "open-exec-fifo", path: ctx.execFifo });
  if (process.terminal === true && ctx.consoleSocket !== undefined) {
    ops.push({ op: "connect-console-socket", path: ctx.consoleSocket });
  }
  const hooks = spec.hooks ?? {};
  const syncHooks = (hooks.prestart?.length ?? 0) + (hooks.createRuntime?.length ?? 0) +
    (hooks.createContainer?.length ?? 0) + (hooks.startContainer?.length ?? 0) > 0;
  const ownMountNs = newNs(spec, "mount");
  if (ownMountNs) {
    const rootProp = spec.linux?.rootfsPropagation;
    const propFlag = rootProp === undefined ? MS.SLAVE : PROPAGATION_OPTIONS[rootProp] ?? MS.SLAVE;
    ops.push({ op: "mount", source: "", target: "/", fstype: "", flags: propFlag | MS.REC, data: "" });
    if (ctx.rootfsParentMount !== undefined) {
      ops.push({ op: "mount", source: "", target: ctx.rootfsParentMount, fstype: "", flags: MS.PRIVATE, data: "" });
    }
    ops.push({ op: "mount", source: ctx.rootfs, target: ctx.rootfs, fstype: "", flags: MS.BIND | MS.REC, data: "" });
    const mounts = spec.mounts ?? [];
    mounts.forEach((m, i) => ops.push(...mountOps(spec, m, i, ctx)));
    const mounted = (dest: string) => mounts.some((m) => posix.normalize(m.destination) === dest);
    const devBound = mounts.some((m) => posix.normalize(m.destination) === "/dev" && (m.type === "bind" || (m.options ?? []).some((o) => o === "bind" || o === "rbind")));
    if (!devBound) {
      if (!mounted("/dev/pts")) {
        ops.push({ op: "mkdir", path: under(ctx.rootfs, "/dev/pts"), mode: 0o755 });
        ops.push({ op: "mount", source: "devpts", target: under(ctx.rootfs, "/dev/pts"), fstype: "devpts", flags: MS.NOSUID | MS.NOEXEC, data: "newinstance,ptmxmode=0666,mode=0620" });
      }
      if (!mounted("/dev/shm")) {
        ops.push({ op: "mkdir", path: under(ctx.rootfs, "/dev/shm"), mode: 0o755 });
        ops.push({ op: "mount", source: "shm", target: under(ctx.rootfs, "/dev/shm"), fstype: "tmpfs", flags: MS.NOSUID | MS.NODEV | MS.NOEXEC, data: "mode=1777,size=65536k" });
      }
      // Device modes are exact (runc sets umask 0 around mknod).
      ops.push({ op: "umask", mask: 0 });
      ops.push(...deviceOps(spec, ctx));
      for (const [target, path] of DEV_SYMLINKS) ops.push({ op: "symlink", target, path: under(ctx.rootfs, path) });
    }
    // runc creates a missing cwd (after the mounts: it may be inside one).
    ops.push({ op: "mkdir", path: under(ctx.rootfs, process.cwd), mode: 0o755 });
    if (syncHooks) ops.push({ op: "sync", phase: "createRuntime" });
    for (const h of hooks.createContainer ?? []) ops.push(hookOp(h));
    ops.push(ctx.noPivot === true ? { op: "chroot", root: ctx.rootfs } : { op: "pivot-root", root: ctx.rootfs });
  } else {
    if (syncHooks) ops.push({ op: "sync", phase: "createRuntime" });
    for (const h of hooks.createContainer ?? []) ops.push(hookOp(h));
    ops.push({ op: "chroot", root: ctx.rootfs });
  }
  if (process.terminal === true) {
    ops.push({ op: "setup-console", rows: process.consoleSize?.height ?? 0, cols: process.consoleSize?.width ?? 0 });
  }
  if (ownMountNs) {
    const rootProp = spec.linux?.rootfsPropagation;
    if (rootProp !== undefined) {
      ops.push({ op: "mount", source: "", target: "/", fstype: "", flags: PROPAGATION_OPTIONS[rootProp] ?? 0, data: "" });
    }
    if (spec.root.readonly === true) {
      ops.push({ op: "mount", source: "", target: "/", fstype: "", flags: MS.BIND | MS.REMOUNT | MS.RDONLY, data: "" });
    }
  }
  if (spec.hostname !== undefined && spec.hostname !== "") ops.push({ op: "sethostname", name: spec.hostname });
  if (spec.domainname !== undefined && spec.domainname !== "") ops.push({ op: "setdomainname", name: spec.domainname });
  for (const [key, value] of Object.entries(spec.linux?.sysctl ?? {})) {
    ops.push({ op: "write-file", path: `/proc/sys/${key.replace(/\./g, "/")}`, data: value });
  }
  for (const p of spec.linux?.readonlyPaths ?? []) ops.push({ op: "readonly-path", path: p });
  for (const p of spec.linux?.maskedPaths ?? []) ops.push({ op: "mask-path", path: p });
  ops.push(...processTailOps(process, ctx, ctx.execFifo !== "", hooks.startContainer ?? []));
  return {
    joinNamespaces,
    cloneFlags,
    uidMappings: userNs ? (spec.linux?.uidMappings ?? []).map((m) => ({ containerId: m.containerID, hostId: m.hostID, size: m.size })) : [],
    gidMappings: userNs ? (spec.linux?.gidMappings ?? []).map((m) => ({ containerId: m.containerID, hostId: m.hostID, size: m.size })) : [],
    cgroupProcs: [...ctx.cgroupProcs],
    execFifo: ctx.execFifo,
    ops,
  };
}

/** What `compileExecPlan()` needs: the container's init pid and the same host facts as create. */
export interface ExecContext {
  /** Host pid of the container's init; its /proc/<pid>/ns/* are joined. */
  readonly pid: number;
  readonly cgroupProcs: readonly string[];
  readonly consoleSocket?: string;
  readonly seccomp?: { readonly filter: Uint8Array; readonly flags: number };
  readonly hostCapabilities?: bigint;
}

/** Compile a Plan that runs `process` inside the running container described by `spec` (runc exec). */
export function compileExecPlan(spec: Spec, process: Process, ctx: ExecContext): Plan {
  const namespaces = spec.linux?.namespaces ?? [];
  const joinNamespaces = joins(namespaces.map((n) => ({ type: n.type, path: `/proc/${ctx.pid}/ns/${NS_FILE[n.type]}` })));
  const ops: Op[] = [];
  if (process.oomScoreAdj !== undefined) {
    ops.push({ op: "write-file", path: "/proc/self/oom_score_adj", data: String(process.oomScoreAdj) });
  }
  if (process.terminal === true) {
    if (ctx.consoleSocket !== undefined) ops.push({ op: "connect-console-socket", path: ctx.consoleSocket });
    ops.push({ op: "setup-console", rows: process.consoleSize?.height ?? 0, cols: process.consoleSize?.width ?? 0 });
  }
  ops.push(...processTailOps(process, ctx, false, []));
  return { joinNamespaces, cloneFlags: 0, uidMappings: [], gidMappings: [], cgroupProcs: [...ctx.cgroupProcs], execFifo: "", ops };
}

/**
 * The device cgroup rules to apply, in order: the spec's leading "deny all" rules, then
 * runc's defaults (mknod of anything, the default devices, /dev/pts/*, /dev/ptmx) and an
 * allow rule per listed device, then the rest of the spec's rules. So the usual `deny all`
 * first rule leaves the devices berth creates usable (runc's AllowedDevices), and every
 * later rule of the spec still applies in the order listed (a later deny wins).
 */
export function deviceCgroupRules(spec: Spec): DeviceCgroup[] {
  const own = spec.linux?.resources?.devices ?? [];
  const isDenyAll = (r: DeviceCgroup) => !r.allow && (r.type === undefined || r.type === "a") && r.major === undefined && r.minor === undefined;
  let lead = 0;
  while (lead < own.length && isDenyAll(own[lead]!)) lead++;
  const rules: DeviceCgroup[] = own.slice(0, lead);
  rules.push({ allow: true, type: "c", access: "m" }, { allow: true, type: "b", access: "m" });
  for (const d of DEFAULT_DEVICES) rules.push({ allow: true, type: "c", major: d.major, minor: d.minor, access: "rwm" });
  rules.push({ allow: true, type: "c", major: 136, access: "rwm" }, { allow: true, type: "c", major: 5, minor: 2, access: "rwm" });
  for (const d of spec.linux?.devices ?? []) {
    if (d.type === "p") continue;
    rules.push({ allow: true, type: d.type === "b" ? "b" : "c", major: d.major ?? 0, minor: d.minor ?? 0, access: "rwm" });
  }
  rules.push(...own.slice(lead));
  return rules;
}
