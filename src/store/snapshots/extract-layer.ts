/**
 * Extract one layer tarball (OCI image spec "layer changesets") into a directory, turning
 * OCI whiteouts into overlayfs ones: `.wh.<name>` becomes a 0:0 character device and
 * `.wh..wh..opq` the xattr `trusted.overlay.opaque=y`. Hostile archives are refused:
 * absolute paths, `..` components, writes through symlinks, hard links outside the root,
 * over-long names. Device nodes are allowed, as Docker allows them when running as root.
 */
import { createHash } from "node:crypto";
import { createWriteStream } from "node:fs";
import { chmod, lchown as rawLchown, link, lstat, lutimes, mkdir, rm, symlink, utimes } from "node:fs/promises";
import { join } from "node:path";
import { Transform, type Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import tar from "tar-stream";
import { BerthError, invalidArgument } from "../../shared/errors.js";
import { S_IFBLK, S_IFCHR, S_IFIFO, type Host, type NodeSpec, type XattrSpec } from "../../kernel/host.js";
import { decompress } from "./decompress.js";

/** Result of extracting a layer. */
export interface ExtractResult {
  /** Digest of the uncompressed tar stream (the layer's DiffID). */
  diffId: string;
  /** Sum of regular file sizes. */
  size: number;
}

const WHITEOUT_PREFIX = ".wh.";
const OPAQUE = ".wh..wh..opq";
const MAX_PATH = 4096;
const MAX_COMPONENT = 255;

function bad(msg: string): BerthError {
  return invalidArgument(`extract layer: ${msg}`);
}

/** Split and validate an archive path; `[]` is the root. */
export function safeParts(name: string, what = "path"): string[] {
  if (name.length > MAX_PATH) throw bad(`${what} is too long (${name.length} bytes)`);
  if (name.includes("\0")) throw bad(`${what} "${name}" contains a NUL byte`);
  if (name.startsWith("/")) throw bad(`${what} "${name}" is absolute`);
  const parts = name.split("/").filter((p) => p !== "" && p !== ".");
  for (const p of parts) {
    if (p === "..") throw bad(`${what} "${name}" escapes the layer root`);
    if (Buffer.byteLength(p) > MAX_COMPONENT) throw bad(`${what} "${name}" has a component longer than ${MAX_COMPONENT} bytes`);
  }
  return parts;
}

const isRoot = process.geteuid?.() === 0;

// Without root (unit tests, rootless) ownership cannot be set; keep the extractor's own.
async function lchown(path: string, uid: number, gid: number): Promise<void> {
  try {
    await rawLchown(path, uid, gid);
  } catch (err) {
    if (isRoot || (err as NodeJS.ErrnoException).code !== "EPERM") throw err;
  }
}

async function lstatOrUndefined(p: string) {
  try {
    return await lstat(p);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw err;
  }
}

/** Make sure every parent of `parts` exists as a real directory (never a symlink). */
async function ensureParents(root: string, parts: string[], name: string): Promise<void> {
  let cur = root;
  for (const p of parts.slice(0, -1)) {
    cur = join(cur, p);
    const st = await lstatOrUndefined(cur);
    if (st === undefined) {
      await mkdir(cur, { mode: 0o755 });
    } else if (st.isSymbolicLink()) {
      throw bad(`path "${name}" is written through the symlink "${p}"`);
    } else if (!st.isDirectory()) {
      throw bad(`path "${name}" has the non-directory "${p}" as a parent`);
    }
  }
}

async function removeExisting(path: string, keepDir: boolean): Promise<void> {
  const st = await lstatOrUndefined(path);
  if (st === undefined) return;
  if (keepDir && st.isDirectory()) return;
  await rm(path, { recursive: true, force: true });
}

async function drain(stream: AsyncIterable<unknown>): Promise<void> {
  for await (const _ of stream) { /* discard */ }
}

/**
 * Extract `input` (plain or gzip tar) into `dest`, which must exist and be empty.
 * On failure `dest` may hold partial content: callers extract into a temp directory
 * and remove it (the overlay store does).
 */
export async function extractLayer(input: Readable, dest: string, host: Host): Promise<ExtractResult> {
  const { stream } = await decompress(input);
  const hash = createHash("sha256");
  const hasher = new Transform({
    transform(chunk: Buffer, _e, cb) {
      hash.update(chunk);
      cb(null, chunk);
    },
  });
  const extract = tar.extract();
  const nodes: NodeSpec[] = [];
  const nodeOwners: Array<{ path: string; uid: number; gid: number; mode: number }> = [];
  const opaque: XattrSpec[] = [];
  const dirTimes: Array<{ path: string; mtime: Date }> = [];
  let size = 0;

  const consume = (async () => {
    for await (const entry of extract) {
      const h = entry.header;
      const parts = safeParts(h.name);
      if (parts.length === 0) {
        await drain(entry);
        continue;
      }
      if (parts.some((p) => p.startsWith(`${WHITEOUT_PREFIX}${WHITEOUT_PREFIX}`) && p !== OPAQUE)) {
        // aufs hard-link bookkeeping (.wh..wh.plnk/…); Docker skips these too.
        await drain(entry);
        continue;
      }
      await ensureParents(dest, parts, h.name);
      const base = parts[parts.length - 1] as string;
      const parent = join(dest, ...parts.slice(0, -1));
      const path = join(dest, ...parts);
      if (base === OPAQUE) {
        opaque.push({ path: parent, name: "trusted.overlay.opaque", value: "y" });
        await drain(entry);
        continue;
      }
      if (base.startsWith(WHITEOUT_PREFIX)) {
        const target = join(parent, base.slice(WHITEOUT_PREFIX.length));
        await removeExisting(target, false);
        nodes.push({ path: target, mode: S_IFCHR | 0o000, major: 0, minor: 0 });
        await drain(entry);
        continue;
      }
      const mode = (h.mode ?? 0o644) & 0o7777;
      const uid = h.uid ?? 0;
      const gid = h.gid ?? 0;
      const mtime = h.mtime ?? new Date(0);
      switch (h.type) {
        case "directory": {
          await removeExisting(path, true);
          if ((await lstatOrUndefined(path)) === undefined) await mkdir(path, { mode });
          await lchown(path, uid, gid);
          await chmod(path, mode);
          dirTimes.push({ path, mtime });
          await drain(entry);
          break;
        }
        case "file":
        case "contiguous-file":
        case null:
        case undefined: {
          await removeExisting(path, false);
          await pipeline(entry, createWriteStream(path, { flags: "wx", mode: 0o600 }));
          size += h.size ?? 0;
          await lchown(path, uid, gid);
          await chmod(path, mode);
          await utimes(path, mtime, mtime);
          break;
        }
        case "symlink": {
          await removeExisting(path, false);
          await symlink(h.linkname ?? "", path);
          await lchown(path, uid, gid);
          await lutimes(path, mtime, mtime);
          await drain(entry);
          break;
        }
        case "link": {
          const tparts = safeParts(h.linkname ?? "", "hard link target");
          if (tparts.length === 0) throw bad(`hard link "${h.name}" points at the layer root`);
          await ensureParents(dest, tparts, h.linkname ?? "");
          const target = join(dest, ...tparts);
          const st = await lstatOrUndefined(target);
          if (st === undefined) throw bad(`hard link "${h.name}" points at "${h.linkname}", which is not in the layer`);
          if (st.isDirectory()) throw bad(`hard link "${h.name}" points at the directory "${h.linkname}"`);
          await removeExisting(path, false);
          await link(target, path);
          await drain(entry);
          break;
        }
        case "character-device":
        case "block-device":
        case "fifo": {
          await removeExisting(path, false);
          const type = h.type === "fifo" ? S_IFIFO : h.type === "block-device" ? S_IFBLK : S_IFCHR;
          nodes.push({ path, mode: type | mode, major: h.devmajor ?? 0, minor: h.devminor ?? 0 });
          nodeOwners.push({ path, uid, gid, mode });
          await drain(entry);
          break;
        }
        default:
          // Other types (pax/gnu metadata already folded in by tar-stream) carry no file.
          await drain(entry);
      }
    }
  })();

  const feed = pipeline(stream, hasher, extract);
  // If the consumer fails, stop the feed; if the feed fails, the iterator throws.
  await Promise.all([
    consume.catch((err: unknown) => {
      extract.destroy(err as Error);
      throw err;
    }),
    feed,
  ]).catch((err: unknown) => {
    throw mapTarError(err);
  });

  await host.mknodMany(nodes);
  for (const n of nodeOwners) {
    await lchown(n.path, n.uid, n.gid);
    await chmod(n.path, n.mode);
  }
  await host.setxattrMany(opaque);
  // Directory times last: creating entries inside them changed their mtimes.
  for (const d of dirTimes.reverse()) await utimes(d.path, d.mtime, d.mtime);
  return { diffId: `sha256:${hash.digest("hex")}`, size };
}

function mapTarError(err: unknown): unknown {
  if (err instanceof BerthError) return err;
  const msg = err instanceof Error ? err.message : String(err);
  if (/Header exceeds max size/i.test(msg)) return bad("tar header is too large");
  if (/Invalid tar header|Unexpected end|unexpected end|premature close|Invalid header|unknown format/i.test(msg)) {
    return bad(`invalid tar archive: ${msg}`);
  }
  if ((err as NodeJS.ErrnoException).code === "Z_DATA_ERROR" || /incorrect header check|unexpected end of file/i.test(msg)) {
    return bad(`invalid compressed data: ${msg}`);
  }
  return err;
}
