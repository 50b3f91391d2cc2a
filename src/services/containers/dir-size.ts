/**
 * The size of a container's writable layer as moby's `directory.Size` counts it: the
 * apparent size of every non-directory entry, a hard-linked inode once, nothing for
 * directories or empty files (whiteouts), so an unchanged container is "0B".
 */
import { lstat, readdir } from "node:fs/promises";
import { join } from "node:path";

/** Bytes below `dir` (0 when it is missing). */
export async function dirSize(dir: string): Promise<number> {
  const seen = new Set<bigint>();
  let total = 0;
  const walk = async (d: string): Promise<void> => {
    let entries;
    try {
      entries = await readdir(d, { withFileTypes: true });
    } catch {
      return;
    }
    await Promise.all(entries.map(async (e) => {
      const p = join(d, e.name);
      if (e.isDirectory()) return walk(p);
      const st = await lstat(p, { bigint: true }).catch(() => undefined);
      if (st === undefined || st.size === 0n) return;
      if (st.nlink > 1n) {
        if (seen.has(st.ino)) return;
        seen.add(st.ino);
      }
      total += Number(st.size);
    }));
  };
  await walk(dir);
  return total;
}
