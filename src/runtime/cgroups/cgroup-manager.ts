import type { LinuxResources } from "./resources.js";
import type { CgroupStats } from "./stats.js";

/** Where a controller lives for one managed cgroup. */
export interface ControllerPlacement {
  /** 1: a v1 hierarchy's files; 2: the cgroup2 directory's files. */
  readonly version: 1 | 2;
  /** The cgroup's directory in that hierarchy. */
  readonly dir: string;
}

/**
 * One container's cgroup across every hierarchy of the host: a v1 directory per mounted
 * hierarchy (including `name=systemd`), and/or a cgroup2 directory (pure v2, or the hybrid
 * layout's cgroup2 mount). Settings go to whichever hierarchy holds each controller.
 *
 * Lifecycle: `create()` → executor writes the init pid to `procsFiles()` (or `apply(pid)`)
 * → `set(resources)` (again for `update`) → `freeze()`/`thaw()` for pause/resume →
 * `stats()`/`oomKillCount()` while it runs → `destroy()` once every process has exited.
 * The manager never kills a process.
 *
 * Errors are `BerthError`s naming the file and value, kind from the errno (EINVAL, EBUSY,
 * ERANGE: invalid-argument; EPERM/EACCES: permission-denied), the `KernelError` as cause.
 */
export interface CgroupManager {
  /** The cgroupsPath it manages, as given. */
  readonly path: string;
  /** Makes the cgroup directories (idempotent); enables v2 controllers and fills v1 cpuset from the parents. */
  create(): void;
  /** Files the executor writes the init pid into: cgroup.procs of every managed hierarchy. */
  procsFiles(): string[];
  /** Moves `pid` into every managed hierarchy (exec'd processes too). */
  apply(pid: number): void;
  /**
   * Applies OCI `linux.resources`. On v2, v1-shaped values are translated (shares →
   * cpu.weight, blkio weight → io.weight, swap → memory.swap.max = swap - limit, quota/period
   * → cpu.max). Device rules on v2 become an eBPF program attached to the cgroup2
   * directory, replacing the previous one (runc's devicefilter). Knobs v2 lacks
   * (swappiness, kernel memory, oom killer disable, leaf weights) are skipped with a
   * warning; realtime cpu on v2 is an error.
   */
  set(resources: LinuxResources): void;
  /** Freezes every process; resolves once the kernel reports the cgroup frozen. */
  freeze(): Promise<void>;
  thaw(): void;
  /** True when the kernel reports the cgroup frozen (a freeze in progress is not frozen). */
  frozen(): boolean;
  /** Every pid in the cgroup and its descendants, ascending. */
  pids(): number[];
  /** Statistics shaped like runc's `events --stats`. */
  stats(): CgroupStats;
  /** How many processes the OOM killer has killed in the cgroup (OOMKilled detection). */
  oomKillCount(): number;
  /** Removes the directories, children first, retrying briefly on EBUSY while tasks exit. */
  destroy(): Promise<void>;
  /** Where `controller` ("memory", "cpu", "io", "freezer", "name=systemd", ...) lives, if anywhere. */
  locate(controller: string): ControllerPlacement | undefined;
}
