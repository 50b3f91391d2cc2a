/**
 * Every kernel touch Node cannot make itself (mknod, xattrs, mounts) goes through `Host`,
 * so storage code can be unit-tested with the recording `FakeHost`.
 */

/** File type bits for `mknod` modes (mirror of <sys/stat.h>). */
export const S_IFCHR = 0o020000;
export const S_IFBLK = 0o060000;
export const S_IFIFO = 0o010000;

/** One device node (or fifo) to create. `mode` includes the file type bits. */
export interface NodeSpec {
  path: string;
  mode: number;
  major: number;
  minor: number;
}

/** One extended attribute to set. */
export interface XattrSpec {
  path: string;
  name: string;
  value: string;
}

/** Kernel operations Node has no API for. All paths are absolute. */
export interface Host {
  /** Create a device node or fifo. */
  mknod(path: string, mode: number, major: number, minor: number): Promise<void>;
  /** Create many nodes; implementations batch to avoid a process per node. */
  mknodMany(nodes: readonly NodeSpec[]): Promise<void>;
  /** Set an extended attribute (e.g. `trusted.overlay.opaque`). */
  setxattr(path: string, name: string, value: string): Promise<void>;
  /** Set many extended attributes in one batch. */
  setxattrMany(attrs: readonly XattrSpec[]): Promise<void>;
  /**
   * Every path under `root` (itself included, symlinks not followed) that carries the
   * extended attribute `name`, with its value. One process for the whole tree.
   */
  findXattrs(root: string, name: string): Promise<Map<string, string>>;
  /**
   * mount(2). `flags` are MS_* bits; `data` the filesystem options. `cwd` lets overlay
   * options use relative (short) lower directory paths.
   */
  mount(source: string, target: string, fstype: string, flags: number, data: string, cwd?: string): Promise<void>;
  /** syncfs(2) of the filesystem holding `path`: one call makes a whole extracted tree durable. */
  syncfs(path: string): Promise<void>;
  /** umount2(2); `flags` are MNT_* bits (MNT_DETACH = 2). */
  umount(target: string, flags?: number): Promise<void>;
}

/** mount(2) flags used by berth (mirror of <sys/mount.h>). */
export const MS_RDONLY = 1;
export const MS_NOSUID = 2;
export const MS_NODEV = 4;
export const MS_NOEXEC = 8;
export const MS_BIND = 4096;
export const MS_REC = 16384;
/** umount2 flag: lazy detach. */
export const MNT_DETACH = 2;
