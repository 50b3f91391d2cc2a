/**
 * `docker diff`: the changes of a container's writable layer (the overlay upper
 * directory) against the image's layers, as moby's archive.OverlayChanges computes them.
 * A 0:0 character device is a deletion; a path also present in a lower layer is a
 * modification (a directory only when its size, mode or mtime differ); anything else
 * an addition. The parent of an added or deleted path is reported as modified. The order
 * is the walk's: names sorted byte-wise within each directory, parents first.
 */
import { lstat, readdir } from "node:fs/promises";
import type { Stats } from "node:fs";
import { join } from "node:path";
import type { ContainerChange } from "../../api/container-files.js";

async function lstatOrUndefined(p: string): Promise<Stats | undefined> {
  try {
    return await lstat(p);
  } catch {
    return undefined;
  }
}

/**
 * Mount points the runtime creates in the writable layer for its bind mounts. Docker keeps
 * them in a separate init layer, so they never show in `diff` nor go into a commit.
 */
export const INIT_PATHS: ReadonlySet<string> = new Set(["/etc/hosts", "/etc/hostname", "/etc/resolv.conf", "/.dockerenv", "/dev/console"]);

/** Whether the upper directory `rel` holds anything but init mount points. */
async function hasOwnContent(upper: string, rel: string): Promise<boolean> {
  for (const name of await readdir(join(upper, rel))) {
    const path = `${rel}/${name}`;
    if (INIT_PATHS.has(path)) continue;
    const st = await lstat(join(upper, path));
    if (!st.isDirectory() || await hasOwnContent(upper, path)) return true;
  }
  return false;
}

function byteOrder(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

/** The changes of `upper` against the layer directories `lowers` (top first). */
export async function upperChanges(upper: string, lowers: readonly string[]): Promise<ContainerChange[]> {
  const out: ContainerChange[] = [];
  const changedDirs = new Set<string>();
  const walk = async (rel: string): Promise<void> => {
    for (const name of (await readdir(join(upper, rel))).sort(byteOrder)) {
      const path = `${rel}/${name}`;
      if (INIT_PATHS.has(path)) continue;
      const st = await lstat(join(upper, path));
      let kind: ContainerChange["Kind"] | undefined;
      if (st.isCharacterDevice() && st.rdev === 0) {
        kind = 2;
      } else {
        kind = 1;
        for (const l of lowers) {
          const ls = await lstatOrUndefined(join(l, path));
          if (ls === undefined) continue;
          if (ls.isCharacterDevice() && ls.rdev === 0) break;
          const same = ls.size === st.size && ls.mode === st.mode && ls.mtimeMs === st.mtimeMs;
          // A directory copied up only to hold init mount points did not change either.
          if (ls.isDirectory() && st.isDirectory() && (same || !(await hasOwnContent(upper, path)))) {
            kind = undefined;
          } else {
            kind = 0;
          }
          break;
        }
      }
      // A directory equal to its lower copy is not recorded; a change below it then adds it as modified.
      if (kind !== undefined && st.isDirectory()) changedDirs.add(path);
      if (kind !== undefined) {
        if (kind !== 0) {
          const parent = rel === "" ? "/" : rel;
          if (parent !== "/" && !changedDirs.has(parent)) {
            out.push({ Path: parent, Kind: 0 });
            changedDirs.add(parent);
          }
        }
        out.push({ Path: path, Kind: kind });
      }
      if (st.isDirectory()) await walk(path);
    }
  };
  await walk("");
  return out;
}
