/**
 * Spool an image archive (`docker save` output, Docker or OCI layout) to a temp directory
 * so its entries can be read in any order: manifest.json may come last. Paths are
 * validated like layer paths; symlinks (old `docker save` dedupes layer.tar with them)
 * are resolved lexically inside the archive.
 */
import { createWriteStream } from "node:fs";
import { mkdir, readFile, rm } from "node:fs/promises";
import { join, posix } from "node:path";
import { randomBytes } from "node:crypto";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import tar from "tar-stream";
import { BerthError, invalidArgument } from "../../shared/errors.js";
import { decompress } from "../../store/snapshots/decompress.js";
import { safeParts } from "../../store/snapshots/extract-layer.js";

/** A spooled archive: look up entries by their archive path. */
export interface SpooledArchive {
  dir: string;
  /** Temp file of a regular file entry, or undefined. */
  file(name: string): string | undefined;
  /** Read an entry as a buffer; invalid-argument when missing. */
  read(name: string): Promise<Buffer>;
  has(name: string): boolean;
  /** Remove the spool directory. */
  dispose(): Promise<void>;
}

const MAX_ENTRIES = 100_000;

function bad(msg: string): BerthError {
  return invalidArgument(`load images: ${msg}`);
}

/** Spool `input` (tar, optionally gzipped) into a new directory under `tmpRoot`. */
export async function spoolArchive(input: Readable, tmpRoot: string): Promise<SpooledArchive> {
  const dir = join(tmpRoot, `load-${randomBytes(8).toString("hex")}`);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const files = new Map<string, string>();
  const links = new Map<string, string>();
  let n = 0;
  try {
    const { stream } = await decompress(input);
    const extract = tar.extract();
    const consume = (async () => {
      for await (const entry of extract) {
        if (++n > MAX_ENTRIES) throw bad("archive has too many entries");
        const h = entry.header;
        const parts = safeParts(h.name, "archive path");
        const name = parts.join("/");
        if (h.type === "file" || h.type === "contiguous-file") {
          const tmp = join(dir, String(n));
          await pipeline(entry, createWriteStream(tmp, { flags: "wx", mode: 0o600 }));
          files.set(name, tmp);
          continue;
        }
        if (h.type === "symlink" || h.type === "link") {
          const target = h.type === "symlink" ? posix.join(posix.dirname(name), h.linkname ?? "") : (h.linkname ?? "");
          const tparts = safeParts(posix.normalize(target), "archive link target");
          links.set(name, tparts.join("/"));
        }
        for await (const _ of entry) { /* discard */ }
      }
    })();
    await Promise.all([
      consume.catch((err: unknown) => {
        extract.destroy(err as Error);
        throw err;
      }),
      pipeline(stream, extract),
    ]);
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    if (err instanceof BerthError) {
      throw err.message.startsWith("extract layer: ") ? bad(err.message.slice("extract layer: ".length)) : err;
    }
    const msg = err instanceof Error ? err.message : String(err);
    if (/Header exceeds max size/i.test(msg)) throw bad("tar header is too large");
    throw bad(`invalid tar archive: ${msg}`);
  }
  const resolve = (name: string): string | undefined => {
    let cur = safeParts(name).join("/");
    for (let i = 0; i < 16; i++) {
      const f = files.get(cur);
      if (f !== undefined) return f;
      const l = links.get(cur);
      if (l === undefined) return undefined;
      cur = l;
    }
    return undefined;
  };
  return {
    dir,
    file: resolve,
    has: (name) => resolve(name) !== undefined,
    read: async (name) => {
      const f = resolve(name);
      if (f === undefined) throw bad(`archive has no "${name}"`);
      return readFile(f);
    },
    dispose: () => rm(dir, { recursive: true, force: true }),
  };
}
