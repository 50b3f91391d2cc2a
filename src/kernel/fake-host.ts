/**
 * A recording `Host` for unit tests: records every call as a typed struct, can be
 * scripted to fail, and (optionally) leaves a marker file at mknod paths so later
 * filesystem checks see something there.
 */
import { writeFileSync } from "node:fs";
import { KernelError } from "../shared/errors.js";
import type { Host, NodeSpec, XattrSpec } from "./host.js";

/** One recorded call. */
export type HostCall =
  | { op: "mknod"; path: string; mode: number; major: number; minor: number }
  | { op: "setxattr"; path: string; name: string; value: string }
  | { op: "mount"; source: string; target: string; fstype: string; flags: number; data: string; cwd: string | undefined }
  | { op: "umount"; target: string; flags: number }
  | { op: "syncfs"; path: string };

/** Recording fake of `Host`. */
export class FakeHost implements Host {
  readonly calls: HostCall[] = [];
  /** Number of batch calls, to check that callers batch. */
  batches = 0;
  /** When set, a call with this op throws a KernelError (EPERM). */
  failOn: HostCall["op"] | undefined;
  /** Write a placeholder file at each mknod path. */
  touchNodes = true;

  private fail(op: HostCall["op"], path: string): void {
    if (this.failOn === op) throw new KernelError(op, 1, "EPERM", path, "operation not permitted");
  }

  async mknod(path: string, mode: number, major: number, minor: number): Promise<void> {
    await this.mknodMany([{ path, mode, major, minor }]);
  }

  async mknodMany(nodes: readonly NodeSpec[]): Promise<void> {
    if (nodes.length > 0) this.batches++;
    for (const n of nodes) {
      this.fail("mknod", n.path);
      if (this.touchNodes) {
        try {
          writeFileSync(n.path, "", { flag: "wx" });
        } catch (err) {
          const e = err as NodeJS.ErrnoException;
          throw new KernelError("mknod", e.errno ?? -1, e.code ?? "EIO", n.path);
        }
      }
      this.calls.push({ op: "mknod", ...n });
    }
  }

  async setxattr(path: string, name: string, value: string): Promise<void> {
    await this.setxattrMany([{ path, name, value }]);
  }

  async setxattrMany(attrs: readonly XattrSpec[]): Promise<void> {
    if (attrs.length > 0) this.batches++;
    for (const a of attrs) {
      this.fail("setxattr", a.path);
      this.calls.push({ op: "setxattr", ...a });
      const m = this.xattrs.get(a.path) ?? new Map<string, string>();
      m.set(a.name, a.value);
      this.xattrs.set(a.path, m);
    }
  }

  /** Values set through setxattr, by path then name (answers findXattrs). */
  readonly xattrs = new Map<string, Map<string, string>>();

  async findXattrs(root: string, name: string): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    for (const [path, attrs] of this.xattrs) {
      const v = attrs.get(name);
      if (v !== undefined && (path === root || path.startsWith(`${root}/`))) out.set(path, v);
    }
    return out;
  }

  async mount(source: string, target: string, fstype: string, flags: number, data: string, cwd?: string): Promise<void> {
    this.fail("mount", target);
    this.calls.push({ op: "mount", source, target, fstype, flags, data, cwd });
  }

  async syncfs(path: string): Promise<void> {
    this.fail("syncfs", path);
    this.calls.push({ op: "syncfs", path });
  }

  async umount(target: string, flags = 0): Promise<void> {
    this.fail("umount", target);
    this.calls.push({ op: "umount", target, flags });
  }
}
