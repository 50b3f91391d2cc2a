/**
 * The facts of the host that `compilePlan()` needs for a new container but, being pure,
 * does not read itself: where the rootfs is mounted, what kind each mount source is, the
 * capabilities the host can grant, and the cgroup hierarchies to mount inside. Shared by
 * the runtime library (`runtime.ts`) and the daemon's shim runtime, so both build the
 * same plan for the same spec.
 */
import { lstatSync, statSync } from "node:fs";
import { dirname, posix, relative } from "node:path";
import type { CgroupLayout } from "./cgroups/index.js";
import type { CgroupMountSource, CompileContext } from "./plan/compile.js";
import { hostCapabilities, mountInfo, mountPointOf } from "./proc.js";

/** The host-derived part of a create's CompileContext for `rootfs`. */
export function hostCompileContext(rootfs: string): Pick<CompileContext, "rootfsParentMount" | "sourceKind" | "hostCapabilities"> {
  return {
    rootfsParentMount: mountPointOf(rootfs, mountInfo()),
    sourceKind: (p) => {
      try {
        // Inside the rootfs a symlink must not be followed out to the host's files.
        const st = p.startsWith(`${rootfs}/`) ? lstatSync(p) : statSync(p);
        return st.isDirectory() ? "dir" : "file";
      } catch {
        return "missing";
      }
    },
    hostCapabilities: hostCapabilities(),
  };
}

/**
 * The cgroup hierarchies mounted under `base` (e.g. /sys/fs/cgroup), each with the
 * container's own cgroup (found from its procs file) as the source of the mount inside.
 */
export function cgroupMountSources(layout: CgroupLayout, base: string, procsFiles: readonly string[]): CgroupMountSource[] {
  const out: CgroupMountSource[] = [];
  for (const h of layout.hierarchies) {
    if (h.mountPoint !== base && !h.mountPoint.startsWith(`${base}/`)) continue;
    const procs = procsFiles.find((f) => f.startsWith(`${h.mountPoint}/`));
    const name = posix.basename(h.mountPoint);
    out.push({
      dir: relative(base, h.mountPoint),
      fstype: h.version === 1 ? "cgroup" : "cgroup2",
      data: h.version === 1 ? h.controllers.join(",") : "",
      hostPath: procs !== undefined ? dirname(procs) : h.mountPoint,
      ...(h.version === 1 && name.includes(",") ? { links: name.split(",") } : {}),
    });
  }
  return out;
}
