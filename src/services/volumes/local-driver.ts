/**
 * The `local` volume driver's options (dockerd's volume/local): a plain directory by
 * default; with `type`/`device`/`o` the device is mounted on `_data` while a container uses
 * the volume (tmpfs, or `type=none,o=bind,device=/host/dir`), and unmounted after.
 */
import { readFile } from "node:fs/promises";
import type { Host } from "../../kernel/host.js";
import { MS_BIND, MS_NODEV, MS_NOEXEC, MS_NOSUID, MS_RDONLY, MS_REC } from "../../kernel/host.js";
import { invalidArgument } from "../../shared/errors.js";

const VALID_OPTS = new Set(["type", "device", "o"]);

/** Validate driver options as dockerd's local driver does. */
export function validateLocalOptions(opts: Readonly<Record<string, string>>): void {
  for (const k of Object.keys(opts)) {
    if (!VALID_OPTS.has(k)) throw invalidArgument(`invalid option: "${k}"`);
  }
  const type = opts.type ?? "";
  const device = opts.device ?? "";
  if (Object.keys(opts).length === 0) return;
  if (type === "" && device !== "") throw invalidArgument('missing required option: "type"');
  if (type !== "" && device === "") throw invalidArgument('missing required option: "device"');
  if (type === "" && device === "" && (opts.o ?? "") !== "") throw invalidArgument('missing required option: "type"');
  const o = parseMountOpts(opts.o ?? "");
  if ((o.flags & MS_BIND) !== 0 && !device.startsWith("/")) throw invalidArgument(`invalid option: "device": bind source must be an absolute path: "${device}"`);
}

/** Whether a volume with these options is mounted at use time. */
export function needsMount(opts: Readonly<Record<string, string>>): boolean {
  return (opts.type ?? "") !== "" && (opts.device ?? "") !== "";
}

const FLAG_OPTS: Record<string, [boolean, number]> = {
  ro: [true, MS_RDONLY], rw: [false, MS_RDONLY], nosuid: [true, MS_NOSUID], suid: [false, MS_NOSUID],
  nodev: [true, MS_NODEV], dev: [false, MS_NODEV], noexec: [true, MS_NOEXEC], exec: [false, MS_NOEXEC],
  bind: [true, MS_BIND], rbind: [true, MS_BIND | MS_REC], defaults: [true, 0],
};

/** Split `o` into mount(2) flags and filesystem data (moby's mount.ParseOptions). */
export function parseMountOpts(o: string): { flags: number; data: string } {
  let flags = 0;
  const data: string[] = [];
  for (const opt of o.split(",").filter((x) => x !== "")) {
    const f = FLAG_OPTS[opt];
    if (f === undefined) data.push(opt);
    else if (f[0]) flags |= f[1];
    else flags &= ~f[1];
  }
  return { flags, data: data.join(",") };
}

/** Mount the volume's device on `target`. */
export async function mountLocal(host: Host, opts: Readonly<Record<string, string>>, target: string): Promise<void> {
  const { flags, data } = parseMountOpts(opts.o ?? "");
  const type = opts.type === "none" ? "" : opts.type ?? "";
  await host.mount(opts.device ?? "", target, type, flags & ~MS_RDONLY, data);
  // A bind ignores every flag but MS_REC: read-only needs a remount (as runc does).
  if ((flags & MS_BIND) !== 0 && (flags & MS_RDONLY) !== 0) await host.mount("", target, "", MS_BIND | 32 /* MS_REMOUNT */ | MS_RDONLY, "");
  else if ((flags & MS_RDONLY) !== 0) await host.mount("", target, "", 32 | MS_RDONLY, data);
}

function unescapeMountPath(p: string): string {
  return p.replace(/\\([0-7]{3})/g, (_m, o: string) => String.fromCharCode(parseInt(o, 8)));
}

/** Mount points at or under `dir` (from /proc/self/mountinfo). */
export async function mountsUnder(dir: string): Promise<string[]> {
  const text = await readFile("/proc/self/mountinfo", "utf8").catch(() => "");
  const out: string[] = [];
  for (const line of text.split("\n")) {
    const f = line.split(" ");
    const mp = f[4];
    if (mp === undefined) continue;
    const p = unescapeMountPath(mp);
    if (p === dir || p.startsWith(`${dir}/`)) out.push(p);
  }
  return out;
}
