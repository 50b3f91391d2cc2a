/**
 * Facts about host processes read from /proc: liveness with pid-reuse protection (the
 * start time in /proc/<pid>/stat), the capability bounding set, the mount table.
 */
import { readFileSync } from "node:fs";

/** Process state letter and start time (field 22) of `pid`, or undefined when it does not exist. */
export function procStat(pid: number): { state: string; startTime: string } | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return undefined;
  }
  // comm (field 2) may contain spaces and parentheses: parse from the last ')'.
  const rest = text.slice(text.lastIndexOf(")") + 2).split(" ");
  return { state: rest[0] ?? "", startTime: rest[19] ?? "" };
}

/** True while `pid` is the same live (non-zombie) process that had `startTime`. */
export function isAlive(pid: number, startTime: string): boolean {
  if (pid <= 0) return false;
  const st = procStat(pid);
  return st !== undefined && st.startTime === startTime && st.state !== "Z" && st.state !== "X";
}

/** This process's capability bounding set (CapBnd in /proc/self/status). */
export function hostCapabilities(): bigint {
  const m = /^CapBnd:\s*([0-9a-f]+)$/m.exec(readFileSync("/proc/self/status", "utf8"));
  return m?.[1] !== undefined ? BigInt(`0x${m[1]}`) : (1n << 64n) - 1n;
}

/** One line of /proc/self/mountinfo. */
export interface MountInfo {
  readonly root: string;
  readonly mountPoint: string;
  readonly fstype: string;
  readonly superOptions: string;
}

function unescape(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
}

/** Parse /proc/self/mountinfo (or the given text). */
export function mountInfo(text = readFileSync("/proc/self/mountinfo", "utf8")): MountInfo[] {
  const out: MountInfo[] = [];
  for (const line of text.split("\n")) {
    if (line === "") continue;
    const [pre, post] = line.split(" - ");
    const f = (pre ?? "").split(" ");
    const g = (post ?? "").split(" ");
    out.push({ root: unescape(f[3] ?? ""), mountPoint: unescape(f[4] ?? ""), fstype: g[0] ?? "", superOptions: g[2] ?? "" });
  }
  return out;
}

/** The mount point that contains `path` (the longest mount point prefix). */
export function mountPointOf(path: string, mounts: readonly MountInfo[] = mountInfo()): string {
  let best = "/";
  for (const m of mounts) {
    const mp = m.mountPoint;
    if ((path === mp || path.startsWith(mp === "/" ? "/" : `${mp}/`)) && mp.length > best.length) best = mp;
  }
  return best;
}
