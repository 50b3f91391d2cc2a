/**
 * The real `Host`, for now implemented with host binaries: coreutils `mknod`, `setfattr`
 * from Debian's `attr`, util-linux `mount`/`umount`. Batches run one process per batch
 * (setfattr --restore) or one shell per batch, not one process per file.
 */
import { KernelError } from "../shared/errors.js";
import { runCommand } from "./command-runner.js";
import {
  MS_BIND, MS_NODEV, MS_NOEXEC, MS_NOSUID, MS_RDONLY, MS_REC, MNT_DETACH,
  S_IFBLK, S_IFCHR, S_IFIFO, type Host, type NodeSpec, type XattrSpec,
} from "./host.js";

const BATCH = 256;

interface RunResult {
  code: number;
  stderr: string;
}

// On the command shells (command-runner.ts): a Node spawn per mount costs the daemon a fork.
async function run(cmd: string, args: string[], input?: string, cwd?: string): Promise<RunResult> {
  const r = await runCommand(cmd, args, { input, cwd });
  return { code: r.code, stderr: r.stderr.toString("utf8").trim() };
}

async function check(op: string, path: string | undefined, p: Promise<RunResult>): Promise<void> {
  let r: RunResult;
  try {
    r = await p;
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new KernelError(op, e.errno ?? -1, e.code ?? "EIO", path, e.message);
  }
  if (r.code !== 0) throw new KernelError(op, -1, "EIO", path, r.stderr || `exit status ${r.code}`);
}

async function runOut(cmd: string, args: string[]): Promise<RunResult & { stdout: string }> {
  const r = await runCommand(cmd, args);
  return { code: r.code, stderr: r.stderr.toString("utf8").trim(), stdout: r.stdout.toString("utf8") };
}

// getfattr escapes unprintable bytes (and backslash) as \ooo in paths and values.
function unescapeOctal(s: string): string {
  const bytes: number[] = [];
  const src = Buffer.from(s, "utf8");
  for (let i = 0; i < src.length; i++) {
    const c = src[i] as number;
    if (c === 0x5c && i + 3 < src.length && /^[0-7]{3}$/.test(src.subarray(i + 1, i + 4).toString())) {
      bytes.push(Number.parseInt(src.subarray(i + 1, i + 4).toString(), 8));
      i += 3;
    } else {
      bytes.push(c);
    }
  }
  return Buffer.from(bytes).toString("utf8");
}

function unquoteValue(v: string): string {
  return v.startsWith('"') && v.endsWith('"') ? unescapeOctal(v.slice(1, -1)).replace(/\\"/g, '"') : v;
}

function nodeType(mode: number): string {
  const t = mode & 0o170000;
  if (t === S_IFCHR) return "c";
  if (t === S_IFBLK) return "b";
  if (t === S_IFIFO) return "p";
  throw new RangeError(`mknod: unsupported file type ${t.toString(8)}`);
}

// getfattr dump format quotes values; escape the characters it would escape.
function quoteXattrValue(v: string): string {
  return `"${v.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\012")}"`;
}

function quotePath(p: string): string {
  return p.replace(/\\/g, "\\134").replace(/\n/g, "\\012");
}

function mountOptions(flags: number, data: string): string {
  const opts: string[] = [];
  if (flags & MS_RDONLY) opts.push("ro");
  if (flags & MS_NOSUID) opts.push("nosuid");
  if (flags & MS_NODEV) opts.push("nodev");
  if (flags & MS_NOEXEC) opts.push("noexec");
  if (flags & MS_BIND) opts.push(flags & MS_REC ? "rbind" : "bind");
  if (data !== "") opts.push(data);
  return opts.join(",");
}

/** `Host` backed by host binaries. */
export class NativeHost implements Host {
  async mknod(path: string, mode: number, major: number, minor: number): Promise<void> {
    await this.mknodMany([{ path, mode, major, minor }]);
  }

  async mknodMany(nodes: readonly NodeSpec[]): Promise<void> {
    for (let i = 0; i < nodes.length; i += BATCH) {
      const batch = nodes.slice(i, i + BATCH);
      const args: string[] = [];
      for (const n of batch) {
        const type = nodeType(n.mode);
        args.push(n.path, (n.mode & 0o7777).toString(8), type, type === "p" ? "" : String(n.major), type === "p" ? "" : String(n.minor));
      }
      // One shell per batch; fifos take no major/minor.
      const script = 'while [ $# -gt 0 ]; do if [ "$3" = p ]; then mknod -m "$2" "$1" p || exit 1; else mknod -m "$2" "$1" "$3" "$4" "$5" || exit 1; fi; shift 5; done';
      await check("mknod", batch[0]?.path, run("sh", ["-c", script, "sh", ...args]));
    }
  }

  async setxattr(path: string, name: string, value: string): Promise<void> {
    await this.setxattrMany([{ path, name, value }]);
  }

  async setxattrMany(attrs: readonly XattrSpec[]): Promise<void> {
    if (attrs.length === 0) return;
    const dump = attrs.map((a) => `# file: ${quotePath(a.path)}\n${a.name}=${quoteXattrValue(a.value)}\n`).join("\n");
    await check("setxattr", attrs[0]?.path, run("setfattr", ["-h", "--restore=-"], dump));
  }

  async findXattrs(root: string, name: string): Promise<Map<string, string>> {
    const pattern = `^${name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}$`;
    const r = await runOut("getfattr", ["-R", "-h", "-d", "--absolute-names", "-m", pattern, root]);
    if (r.code !== 0) throw new KernelError("getxattr", -1, "EIO", root, r.stderr || `exit status ${r.code}`);
    const out = new Map<string, string>();
    let file: string | undefined;
    for (const line of r.stdout.split("\n")) {
      if (line.startsWith("# file: ")) file = unescapeOctal(line.slice(8));
      else if (file !== undefined && line.startsWith(`${name}=`)) out.set(file, unquoteValue(line.slice(name.length + 1)));
    }
    return out;
  }

  async mount(source: string, target: string, fstype: string, flags: number, data: string, cwd?: string): Promise<void> {
    const args = ["-t", fstype];
    const o = mountOptions(flags, data);
    if (o !== "") args.push("-o", o);
    args.push(source, target);
    await check("mount", target, run("mount", ["-n", ...args], undefined, cwd));
  }

  async syncfs(path: string): Promise<void> {
    await check("syncfs", path, run("sync", ["-f", path]));
  }

  async umount(target: string, flags = 0): Promise<void> {
    const args = ["-n"];
    if (flags & MNT_DETACH) args.push("-l");
    args.push(target);
    await check("umount", target, run("umount", args));
  }
}
