/**
 * The Plan: the seam between the TypeScript runtime (all policy) and the C executor in
 * `native/` (only the syscalls Node cannot make). `compilePlan()` turns an OCI spec into a
 * Plan; `encodePlan()` turns it into bytes that `native/plan/decode.c` reads. The C side
 * makes no decisions: it runs the parent steps, clones, then runs `ops` in order.
 *
 * Every numeric constant here that C also knows is mirrored in `native/include/plan.h`;
 * the wire format is described once, in `native/README.md`.
 *
 * Paths in ops are absolute. Before `pivot-root` they are host paths (TS has already joined
 * them under the rootfs); after it they are container paths.
 */

/** A uid or gid mapping line for a new user namespace. */
export interface IdMapping {
  readonly containerId: number;
  readonly hostId: number;
  readonly size: number;
}

/** A namespace to join with setns(2) before cloning (`nstype` is a CLONE_NEW* flag). */
export interface NamespaceJoin {
  readonly nstype: number;
  readonly path: string;
}

/** One primitive operation the container's init performs, in order, after clone. */
export type Op =
  /** unshare(2) with CLONE_NEW* flags (cgroup ns goes here: after the cgroup is joined). */
  | { readonly op: "unshare"; readonly flags: number }
  /** mount(2). `source`/`fstype`/`data` may be empty strings meaning NULL. */
  | {
      readonly op: "mount";
      readonly source: string;
      readonly target: string;
      readonly fstype: string;
      readonly flags: number;
      readonly data: string;
      /** Skip silently when the target does not exist (ENOENT). */
      readonly optional?: boolean;
    }
  /** mkdir -p with the mode for each created component. */
  | { readonly op: "mkdir"; readonly path: string; readonly mode: number }
  /** Create an empty regular file if missing (a bind-mount target for a file source). */
  | { readonly op: "touch"; readonly path: string; readonly mode: number }
  /** symlink(2) `target` at `path`; EEXIST is not an error. */
  | { readonly op: "symlink"; readonly target: string; readonly path: string }
  /** mknod(2) then chown(2). `mode` includes S_IFCHR/S_IFBLK/S_IFIFO. */
  | {
      readonly op: "mknod";
      readonly path: string;
      readonly mode: number;
      readonly major: number;
      readonly minor: number;
      readonly uid: number;
      readonly gid: number;
    }
  /** Bind-mount the host device node `source` onto `path` (used in user namespaces where mknod fails). */
  | { readonly op: "bind-device"; readonly source: string; readonly path: string }
  /** pivot_root into `root` and detach the old root (runc's fchdir/pivot_root(".", ".") trick). */
  | { readonly op: "pivot-root"; readonly root: string }
  /** chroot(2) into `root` (when there is no new mount namespace). */
  | { readonly op: "chroot"; readonly root: string }
  /** Mask `path`: bind /dev/null over a file, or a read-only empty tmpfs over a directory; ENOENT skipped. */
  | { readonly op: "mask-path"; readonly path: string }
  /** Bind `path` onto itself and remount it read-only (recursive); ENOENT skipped. */
  | { readonly op: "readonly-path"; readonly path: string }
  /** Write `data` to an existing file (sysctl under /proc/sys, oom_score_adj, ...). */
  | { readonly op: "write-file"; readonly path: string; readonly data: string }
  | { readonly op: "sethostname"; readonly name: string }
  | { readonly op: "setdomainname"; readonly name: string }
  /** setrlimit(2); `resource` is the RLIMIT_* number; soft/hard as bigint for RLIM_INFINITY. */
  | { readonly op: "rlimit"; readonly resource: number; readonly soft: bigint; readonly hard: bigint }
  | { readonly op: "umask"; readonly mask: number }
  /** Open the exec fifo at `path` O_PATH now (before pivot_root), to be waited on by `wait-start`. */
  | { readonly op: "open-exec-fifo"; readonly path: string }
  /** Connect to the console socket at `path` now (before pivot_root), for `setup-console`. */
  | { readonly op: "connect-console-socket"; readonly path: string }
  /**
   * Open a new pty pair from /dev/ptmx, send the master over the connected console socket
   * with SCM_RIGHTS (as runc does), then setsid, TIOCSCTTY and dup the slave onto 0, 1, 2.
   * Without a console socket the master is sent over the sync socket instead.
   */
  | { readonly op: "setup-console"; readonly rows: number; readonly cols: number }
  /** Send `{"type":"hook","phase":...}` on the sync socket and block until the runtime replies. */
  | { readonly op: "sync"; readonly phase: string }
  /** Run a hook in the current namespaces with the last state received from the runtime on stdin. */
  | {
      readonly op: "run-hook";
      readonly path: string;
      readonly args: readonly string[];
      readonly env: readonly string[];
      /** Seconds; 0 means no timeout. */
      readonly timeout: number;
    }
  /** setgroups, setresgid, setresuid, keeping capabilities across the uid change. */
  | {
      readonly op: "set-user";
      readonly uid: number;
      readonly gid: number;
      readonly additionalGids: readonly number[];
    }
  /**
   * Capability sets as 64-bit masks (bit n = capability n). The executor drops the bounding
   * set, then capset()s effective/permitted/inheritable, then raises ambient.
   */
  | {
      readonly op: "capabilities";
      readonly bounding: bigint;
      readonly effective: bigint;
      readonly permitted: bigint;
      readonly inheritable: bigint;
      readonly ambient: bigint;
    }
  | { readonly op: "no-new-privileges" }
  /** Load a classic-BPF seccomp filter (struct sock_filter[], host endianness) with seccomp(2) flags. */
  | { readonly op: "seccomp"; readonly filter: Uint8Array; readonly flags: number }
  | { readonly op: "chdir"; readonly path: string }
  /** Block on the exec fifo opened by `open-exec-fifo` until `start` opens it for reading. */
  | { readonly op: "wait-start" }
  /**
   * Replace the process image. `path` is searched in the PATH of `env` when it has no slash.
   * Must be the last op.
   */
  | { readonly op: "exec"; readonly path: string; readonly args: readonly string[]; readonly env: readonly string[] };

export type OpName = Op["op"];

/** Steps the executor's parent side takes before and right after clone. */
export interface Plan {
  /** Namespaces to join with setns(2) before clone, in order (user namespace first). */
  readonly joinNamespaces: readonly NamespaceJoin[];
  /** CLONE_NEW* flags for clone(2) (never CLONE_NEWCGROUP: that is an `unshare` op). */
  readonly cloneFlags: number;
  /** For a new user namespace: written by the parent before the child runs any op. */
  readonly uidMappings: readonly IdMapping[];
  readonly gidMappings: readonly IdMapping[];
  /** Files to which the parent writes the child's host pid (cgroup.procs / tasks) before the child runs. */
  readonly cgroupProcs: readonly string[];
  /** Create a fifo at this path (mode 0622) before clone; empty when not wanted. */
  readonly execFifo: string;
  /** The ops the child runs, in order; the last is `exec`. */
  readonly ops: readonly Op[];
}
