/** The host's device nodes, for privileged containers (moby lists them the same way). */
import { readdirSync, lstatSync } from "node:fs";
import { join } from "node:path";
import type { HostDevice } from "./oci-spec.js";

const SKIP = new Set(["/dev/pts", "/dev/shm", "/dev/mqueue", "/dev/ptmx", "/dev/console", "/dev/fd"]);

/** Character and block devices under /dev (recursively, without pts/shm/mqueue). */
export function listHostDevices(root = "/dev"): HostDevice[] {
  const out: HostDevice[] = [];
  const walk = (dir: string, depth: number) => {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      return;
    }
    for (const n of names) {
      const p = join(dir, n);
      if (SKIP.has(p)) continue;
      let st;
      try {
        st = lstatSync(p);
      } catch {
        continue;
      }
      if (st.isDirectory() && depth < 3) walk(p, depth + 1);
      else if (st.isCharacterDevice() || st.isBlockDevice()) {
        // Linux dev_t: major in bits 8-19 (and 32+), minor in 0-7 and 20-31.
        const rdev = st.rdev;
        const major = ((rdev >> 8) & 0xfff) | Math.floor(rdev / 2 ** 32) & ~0xfff;
        const minor = (rdev & 0xff) | ((rdev >> 12) & 0xfff00);
        out.push({ path: p, type: st.isCharacterDevice() ? "c" : "b", major, minor, fileMode: st.mode & 0o7777 });
      }
    }
  };
  walk(root, 0);
  return out;
}
