/**
 * Extraction of the tar `PUT /containers/{id}/archive` receives into a directory of a
 * container's root filesystem. Every entry's parent is resolved inside the container's
 * root (symlinks in the container point into the container, never at the host), names
 * with `..` or an absolute path are refused, and with `noOverwriteDirNonDir` a directory
 * never replaces a file or the reverse (moby's archive.Unpack rules).
 */
import { createWriteStream, type Stats } from "node:fs";
import { chmod, lchown, link, lstat, lutimes, mkdir, rm, symlink, utimes } from "node:fs/promises";
import { join } from "node:path";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import tar from "tar-stream";
import { S_IFBLK, S_IFCHR, S_IFIFO, type Host, type NodeSpec } from "../../kernel/host.js";
import { BerthError, invalidArgument } from "../../shared/errors.js";
import { decompress } from "../../store/snapshots/decompress.js";
import { safeParts } from "../../store/snapshots/extract-layer.js";
import { hostPathOf, resolveInRoot } from "./archive-path.js";

/** Options for `extractArchive`. */
export interface ExtractArchiveOptions {
  /** Refuse to replace a directory with a non-directory and the reverse. @default false */
  noOverwriteDirNonDir?: boolean;
  /** Own every extracted file by this uid/gid instead of the archive's. @default the archive's owners */
  chown?: { uid: number; gid: number } | undefined;
}

async function lstatOrUndefined(p: string): Promise<Stats | undefined> {
  try {
    return await lstat(p);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR") return undefined;
    throw err;
  }
}

async function drain(stream: AsyncIterable<unknown>): Promise<void> {
  for await (const _ of stream) { /* discard */ }
}

function bad(msg: string): BerthError {
  return invalidArgument(`extract archive: ${msg}`);
}

/**
 * Extract `input` (a plain or gzip tar) into the container directory `destPath` (a resolved
 * container path that is a directory) of the rootfs mounted at `root`.
 */
export async function extractArchive(input: Readable, root: string, destPath: string, host: Host, o: ExtractArchiveOptions = {}): Promise<void> {
  const extract = tar.extract();
  // Resolved container path of each archive directory already seen.
  const dirs = new Map<string, string>([["", destPath]]);
  const nodes: NodeSpec[] = [];
  const nodeOwners: Array<{ path: string; uid: number; gid: number; mode: number }> = [];
  const dirTimes: Array<{ path: string; mtime: Date }> = [];

  /** The resolved container path of the archive directory `parts`, created when missing. */
  const dirOf = async (parts: string[]): Promise<string> => {
    const key = parts.join("/");
    const known = dirs.get(key);
    if (known !== undefined) return known;
    const parent = await dirOf(parts.slice(0, -1));
    const resolved = await resolveInRoot(root, `${parent}/${parts.at(-1) as string}`, true);
    const hp = hostPathOf(root, resolved);
    const st = await lstatOrUndefined(hp);
    if (st === undefined) await mkdir(hp, { mode: 0o755, recursive: true });
    else if (!st.isDirectory()) throw bad(`"${key}" is not a directory in the container`);
    dirs.set(key, resolved);
    return resolved;
  };

  const consume = (async () => {
    for await (const entry of extract) {
      const h = entry.header;
      const parts = safeParts(h.name);
      if (parts.length === 0) {
        await drain(entry);
        continue;
      }
      const parentPath = await dirOf(parts.slice(0, -1));
      const base = parts.at(-1) as string;
      const path = join(hostPathOf(root, parentPath), base);
      const mode = (h.mode ?? 0o644) & 0o7777;
      const uid = o.chown?.uid ?? h.uid ?? 0;
      const gid = o.chown?.gid ?? h.gid ?? 0;
      const mtime = h.mtime ?? new Date();
      const isDir = h.type === "directory";
      const existing = await lstatOrUndefined(path);
      if (existing !== undefined) {
        if (o.noOverwriteDirNonDir === true && existing.isDirectory() && !isDir) {
          throw bad(`cannot overwrite directory "${parentPath === "/" ? "" : parentPath}/${base}" with non-directory "${h.name}"`);
        }
        if (o.noOverwriteDirNonDir === true && !existing.isDirectory() && isDir) {
          throw bad(`cannot overwrite non-directory "${parentPath === "/" ? "" : parentPath}/${base}" with directory "${h.name}"`);
        }
        if (!(existing.isDirectory() && isDir)) await rm(path, { recursive: true, force: true });
      }
      switch (h.type) {
        case "directory": {
          if (existing === undefined || !existing.isDirectory()) await mkdir(path, { mode });
          await lchown(path, uid, gid);
          await chmod(path, mode);
          dirs.set(parts.join("/"), `${parentPath === "/" ? "" : parentPath}/${base}`);
          dirTimes.push({ path, mtime });
          await drain(entry);
          break;
        }
        case "file":
        case "contiguous-file":
        case null:
        case undefined: {
          await pipeline(entry, createWriteStream(path, { flags: "wx", mode: 0o600 }));
          await lchown(path, uid, gid);
          await chmod(path, mode);
          await utimes(path, mtime, mtime);
          break;
        }
        case "symlink": {
          await symlink(h.linkname ?? "", path);
          await lchown(path, uid, gid);
          await lutimes(path, mtime, mtime);
          await drain(entry);
          break;
        }
        case "link": {
          const tparts = safeParts(h.linkname ?? "", "hard link target");
          if (tparts.length === 0) throw bad(`hard link "${h.name}" points at the destination itself`);
          const tdir = await dirOf(tparts.slice(0, -1));
          const target = join(hostPathOf(root, tdir), tparts.at(-1) as string);
          const st = await lstatOrUndefined(target);
          if (st === undefined) throw bad(`hard link "${h.name}" points at "${h.linkname}", which does not exist`);
          if (st.isDirectory()) throw bad(`hard link "${h.name}" points at the directory "${h.linkname}"`);
          await link(target, path);
          await drain(entry);
          break;
        }
        case "character-device":
        case "block-device":
        case "fifo": {
          const type = h.type === "fifo" ? S_IFIFO : h.type === "block-device" ? S_IFBLK : S_IFCHR;
          nodes.push({ path, mode: type | mode, major: h.devmajor ?? 0, minor: h.devminor ?? 0 });
          nodeOwners.push({ path, uid, gid, mode });
          await drain(entry);
          break;
        }
        default:
          await drain(entry);
      }
    }
  })();

  await Promise.all([
    consume.catch((err: unknown) => {
      extract.destroy(err as Error);
      throw err;
    }),
    decompress(input).then(({ stream }) => pipeline(stream, extract)),
  ]).catch((err: unknown) => {
    if (err instanceof BerthError) throw err;
    const msg = err instanceof Error ? err.message : String(err);
    if (/Invalid tar header|Unexpected end|unexpected end|premature close|Invalid header|unknown format|Header exceeds/i.test(msg)) {
      throw bad(`invalid tar archive: ${msg}`);
    }
    throw err;
  });
  await host.mknodMany(nodes);
  for (const n of nodeOwners) {
    await lchown(n.path, n.uid, n.gid);
    await chmod(n.path, n.mode);
  }
  for (const d of dirTimes.reverse()) await utimes(d.path, d.mtime, d.mtime);
}
