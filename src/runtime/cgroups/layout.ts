import * as fs from "node:fs";
import { join, posix } from "node:path";
import { failedPrecondition } from "../../shared/errors.js";
import { type CgroupFs, nodeCgroupFs } from "./cgroup-fs.js";

/** Where the cgroup filesystems are normally mounted; `root` options rebase this prefix. */
export const DEFAULT_CGROUP_ROOT = "/sys/fs/cgroup";

/** The v1 controllers the kernel knows (anything else in mount options is an option). */
const V1_CONTROLLERS = new Set([
  "cpu", "cpuacct", "cpuset", "memory", "devices", "freezer", "net_cls", "net_prio",
  "blkio", "perf_event", "hugetlb", "pids", "rdma", "misc",
]);

/** One mounted cgroup hierarchy. */
export interface CgroupHierarchy {
  readonly version: 1 | 2;
  /** The mount point as this process reaches it (rebased under the `root` option). */
  readonly mountPoint: string;
  /** The cgroup that is the root of this mount (mountinfo field 4; "/" unless in a cgroupns or bind). */
  readonly mountRoot: string;
  /** v1: the controllers of the hierarchy plus "name=<x>" for a named one; v2: cgroup.controllers of the mount. */
  readonly controllers: readonly string[];
  /** This process's own cgroup in the hierarchy, from /proc/self/cgroup ("/" when not listed). */
  readonly ownPath: string;
}

/**
 * The cgroup layout of the host: v1 (only v1 hierarchies), v2 (only cgroup2) or hybrid
 * (v1 hierarchies plus a cgroup2 mount, which may hold controllers of its own).
 */
export interface CgroupLayout {
  readonly mode: "v1" | "v2" | "hybrid";
  /** Every mounted hierarchy, v1 first, in mountinfo order. */
  readonly hierarchies: readonly CgroupHierarchy[];
  /** The cgroup2 mount, if any. */
  readonly unified: CgroupHierarchy | undefined;
  /** Controller (or "name=<x>") → the hierarchy that holds it; v1 wins over the cgroup2 mount. */
  readonly controllers: ReadonlyMap<string, CgroupHierarchy>;
  /** Hierarchies listed in /proc/self/cgroup that are not mounted (ignored; for diagnostics). */
  readonly unmounted: readonly string[];
}

/** Options for `detectCgroupLayout`; the defaults read this process's /proc files. */
export interface DetectOptions {
  /** Where `/sys/fs/cgroup` is; mount points below it are rebased here. @default "/sys/fs/cgroup" */
  readonly root?: string;
  /** Text of /proc/self/mountinfo. @default read from /proc */
  readonly mountinfo?: string;
  /** Text of /proc/self/cgroup. @default read from /proc */
  readonly procCgroup?: string;
  /** File access for reading cgroup.controllers. @default nodeCgroupFs */
  readonly fs?: CgroupFs;
}

interface MountEntry {
  readonly mountRoot: string;
  readonly mountPoint: string;
  readonly fstype: string;
  readonly superOptions: readonly string[];
}

/** mountinfo escapes space, tab, newline and backslash as \ooo octal. */
function unescapeMountField(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(parseInt(oct, 8)));
}

/** The cgroup and cgroup2 entries of a mountinfo text (malformed lines are skipped). */
export function parseCgroupMounts(mountinfo: string): MountEntry[] {
  const out: MountEntry[] = [];
  for (const line of mountinfo.split("\n")) {
    const fields = line.trim().split(" ");
    const sep = fields.indexOf("-");
    if (sep < 6 || fields.length < sep + 4) continue;
    const fstype = fields[sep + 1];
    if (fstype !== "cgroup" && fstype !== "cgroup2") continue;
    out.push({
      mountRoot: unescapeMountField(fields[3] ?? "/"),
      mountPoint: unescapeMountField(fields[4] ?? ""),
      fstype,
      superOptions: (fields[sep + 3] ?? "").split(","),
    });
  }
  return out;
}

interface ProcCgroupLine {
  readonly id: string;
  readonly controllers: readonly string[];
  readonly path: string;
}

/** Lines of /proc/self/cgroup: `id:controllers:path` (v2 is `0::path`). */
export function parseProcCgroup(text: string): ProcCgroupLine[] {
  const out: ProcCgroupLine[] = [];
  for (const line of text.split("\n")) {
    const first = line.indexOf(":");
    const second = line.indexOf(":", first + 1);
    if (first < 0 || second < 0) continue;
    const ctrls = line.slice(first + 1, second);
    out.push({
      id: line.slice(0, first),
      controllers: ctrls === "" ? [] : ctrls.split(","),
      path: line.slice(second + 1) || "/",
    });
  }
  return out;
}

function rebase(mountPoint: string, root: string | undefined): string {
  if (root === undefined || root === DEFAULT_CGROUP_ROOT) return mountPoint;
  if (mountPoint === DEFAULT_CGROUP_ROOT) return root;
  if (mountPoint.startsWith(DEFAULT_CGROUP_ROOT + "/")) return join(root, mountPoint.slice(DEFAULT_CGROUP_ROOT.length));
  return join(root, mountPoint);
}

function readV2Controllers(fsys: CgroupFs, mountPoint: string): string[] {
  try {
    return fsys.readFile(join(mountPoint, "cgroup.controllers")).split(/\s+/).filter((c) => c !== "");
  } catch {
    return [];
  }
}

/**
 * Detects the cgroup layout from mountinfo (what is really mounted), using /proc/self/cgroup
 * only for this process's own cgroup per hierarchy. A hierarchy listed in /proc/self/cgroup
 * but not mounted is reported in `unmounted` and otherwise ignored.
 */
export function detectCgroupLayout(opts: DetectOptions = {}): CgroupLayout {
  const fsys = opts.fs ?? nodeCgroupFs;
  const mountinfo = opts.mountinfo ?? fs.readFileSync("/proc/self/mountinfo", "utf8");
  const procLines = parseProcCgroup(opts.procCgroup ?? fs.readFileSync("/proc/self/cgroup", "utf8"));
  const v1: CgroupHierarchy[] = [];
  let unified: CgroupHierarchy | undefined;
  const seen = new Set<string>();
  const matched = new Set<ProcCgroupLine>();

  for (const m of parseCgroupMounts(mountinfo)) {
    const mountPoint = rebase(m.mountPoint, opts.root);
    if (m.fstype === "cgroup2") {
      // The same hierarchy may be mounted twice (bind mounts): the first mount wins.
      if (unified !== undefined) continue;
      const line = procLines.find((l) => l.id === "0" && l.controllers.length === 0);
      if (line) matched.add(line);
      unified = {
        version: 2,
        mountPoint,
        mountRoot: m.mountRoot,
        controllers: readV2Controllers(fsys, mountPoint),
        ownPath: line?.path ?? "/",
      };
      continue;
    }
    const controllers = m.superOptions.filter((o) => V1_CONTROLLERS.has(o) || o.startsWith("name="));
    if (controllers.length === 0) continue;
    const key = [...controllers].sort().join(",");
    if (seen.has(key)) continue;
    seen.add(key);
    const line = procLines.find((l) => l.id !== "0" && l.controllers.some((c) => controllers.includes(c)));
    if (line) matched.add(line);
    v1.push({ version: 1, mountPoint, mountRoot: m.mountRoot, controllers, ownPath: line?.path ?? "/" });
  }

  if (v1.length === 0 && unified === undefined) {
    throw failedPrecondition("detect cgroup layout: no cgroup filesystem is mounted");
  }
  const controllers = new Map<string, CgroupHierarchy>();
  for (const h of v1) for (const c of h.controllers) controllers.set(c, h);
  if (unified) for (const c of unified.controllers) if (!controllers.has(c)) controllers.set(c, unified);
  const unmounted = procLines
    .filter((l) => !matched.has(l) && !(l.id === "0" && l.controllers.length === 0))
    .map((l) => l.controllers.join(","));
  return {
    mode: v1.length === 0 ? "v2" : unified === undefined ? "v1" : "hybrid",
    hierarchies: unified ? [...v1, unified] : v1,
    unified,
    controllers,
    unmounted,
  };
}

/**
 * The directory of this process's own cgroup in `h` (runc's GetOwnCgroupPath): the mount
 * point plus the own path relative to the mount's root. An own path outside the mount's
 * root (a cgroupns seen from outside) falls back to the mount point.
 */
export function ownCgroupDir(h: CgroupHierarchy): string {
  const rel = posix.relative(h.mountRoot, h.ownPath);
  if (rel.startsWith("..")) return h.mountPoint;
  return rel === "" ? h.mountPoint : join(h.mountPoint, rel);
}
