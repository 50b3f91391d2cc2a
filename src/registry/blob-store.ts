/**
 * The registry's blobs, content-addressed under `<root>/blobs/<algorithm>/<hex>` for
 * sha256 and sha512. A blob file appears only by rename of a fully written and verified
 * temp file, so readers never see a partial blob and two concurrent pushes of the same
 * content each rename an identical file into place.
 *
 * Why not `store/content`: it knows only sha256, wipes its ingest directory on open (which
 * would lose resumable uploads) and can only ingest by copying a stream, while an upload
 * here is already a file on disk that only needs to be verified and renamed.
 */
import { createHash, randomBytes, type Hash } from "node:crypto";
import { createReadStream, mkdirSync, type ReadStream } from "node:fs";
import { open, readdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { fsyncDir } from "../store/records/index.js";
import { BlobFileWriter, SyncSlots } from "./blob-file-writer.js";
import { registryError } from "./errors.js";
import { parseDigest, type DigestAlgorithm, type ParsedDigest } from "./names.js";

const ALGORITHMS: readonly DigestAlgorithm[] = ["sha256", "sha512"];

/**
 * Writeback of an upload starts every this many bytes (see blob-file-writer.ts): small
 * enough that the fsync before the 201 has little left, large enough that the syncs
 * stay few (25 for a 200 MB blob).
 */
const SYNC_EVERY = 8 << 20;
/** Background syncs at once, across uploads: the other pool threads stay free for writes. */
const SYNC_SLOTS = 2;

/** Hash a whole file with `algorithm`; returns "algorithm:hex". */
export async function hashFile(path: string, algorithm: DigestAlgorithm): Promise<string> {
  const h = createHash(algorithm);
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
  return `${algorithm}:${h.digest("hex")}`;
}

/** Content-addressed blob files. */
export class BlobStore {
  readonly dir: string;
  /** Temp files for monolithic pushes and manifests; same filesystem as the blobs. */
  readonly tmpDir: string;
  private readonly syncSlots = new SyncSlots(SYNC_SLOTS);

  private constructor(root: string) {
    this.dir = join(root, "blobs");
    this.tmpDir = join(root, "tmp");
  }

  /** Open (creating) the blob store under the registry root; synchronous so a server is ready when made. */
  static open(root: string): BlobStore {
    const s = new BlobStore(root);
    for (const a of ALGORITHMS) mkdirSync(join(s.dir, a), { recursive: true, mode: 0o755 });
    mkdirSync(s.tmpDir, { recursive: true, mode: 0o700 });
    return s;
  }

  /** Path of a blob (it may not exist). */
  path(d: ParsedDigest): string {
    return join(this.dir, d.algorithm, d.hex);
  }

  /** Size of the blob, or undefined when absent. */
  async size(d: ParsedDigest): Promise<number | undefined> {
    try {
      return (await stat(this.path(d))).size;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw err;
    }
  }

  /** A read stream of the blob, optionally of the inclusive byte range [start, end]. */
  read(d: ParsedDigest, range?: { start: number; end: number }): ReadStream {
    // 1 MiB reads: fewer, larger writes to the socket.
    return createReadStream(this.path(d), { highWaterMark: 1 << 20, ...(range ? { start: range.start, end: range.end } : {}) });
  }

  /** The whole blob in memory; undefined when absent. */
  async readBuffer(d: ParsedDigest): Promise<Buffer | undefined> {
    try {
      return await readFile(this.path(d));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw err;
    }
  }

  /**
   * Verify that the file at `tmp` hashes to `d` (hashing it unless `knownDigest` already
   * says what it is), then make it durable and rename it into place. DIGEST_INVALID when
   * it does not match; the temp file is consumed either way. `alongside` (typically the
   * repository link of the blob) runs once the content is verified, while the data is
   * being synced: both wait for the disk at once instead of one after the other, and a
   * link whose blob a crash lost is harmless since readers check both.
   */
  async commitFile(tmp: string, d: ParsedDigest, knownDigest?: string, alongside?: () => Promise<void>): Promise<number> {
    let renamed = false;
    try {
      const actual = knownDigest ?? (await hashFile(tmp, d.algorithm));
      if (actual !== d.digest) {
        throw registryError("DIGEST_INVALID", "provided digest did not match uploaded content", {
          detail: { expected: d.digest, actual },
        });
      }
      const place = async (): Promise<number> => {
        // the data must be on disk before its name says it is verified content
        const fh = await open(tmp, "r");
        let size: number;
        try {
          await fh.sync();
          size = (await fh.stat()).size;
        } finally {
          await fh.close();
        }
        await rename(tmp, this.path(d));
        renamed = true;
        await fsyncDir(join(this.dir, d.algorithm));
        return size;
      };
      const [placed, linked] = await Promise.allSettled([place(), alongside?.()]);
      if (placed.status === "rejected") throw placed.reason;
      if (linked.status === "rejected") throw linked.reason;
      return placed.value;
    } finally {
      if (!renamed) await rm(tmp, { force: true });
    }
  }

  /** A fresh temp file path under the store. */
  tempPath(): string {
    return join(this.tmpDir, randomBytes(12).toString("hex"));
  }

  /**
   * Stream `source` to a temp file while hashing it with `d.algorithm`, then commit it as
   * `d` (with `alongside`, as `commitFile` does). `limit` caps the bytes accepted
   * (SIZE_INVALID beyond it).
   */
  async ingest(source: Readable, d: ParsedDigest, limit?: number, alongside?: () => Promise<void>): Promise<number> {
    const tmp = this.tempPath();
    const h = createHash(d.algorithm);
    try {
      await this.writeStream(tmp, "wx", source, { hash: h, ...(limit !== undefined ? { limit } : {}) });
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    }
    return this.commitFile(tmp, d, `${d.algorithm}:${h.digest("hex")}`, alongside);
  }

  /**
   * Write `source` to `path` opened with `flags` ("a" to append, "wx" for a new file),
   * updating `opts.hash` in the same pass and starting writeback as it goes; returns the
   * bytes written. On an error the file may hold part of the stream: the caller cuts it.
   */
  async writeStream(path: string, flags: "a" | "wx", source: Readable, opts: { hash?: Hash; limit?: number } = {}): Promise<number> {
    const fh = await open(path, flags, 0o644);
    const writer = new BlobFileWriter({
      fd: fh.fd,
      syncEvery: SYNC_EVERY,
      slots: this.syncSlots,
      limitError: (limit) => registryError("SIZE_INVALID", `content exceeds ${limit} bytes`),
      ...opts,
    });
    try {
      await pipeline(source, writer);
      return writer.written;
    } finally {
      await writer.settled();
      await fh.close();
    }
  }

  /** Store a buffer under its digest with `algorithm`; returns the digest. */
  async putBuffer(buf: Buffer, algorithm: DigestAlgorithm): Promise<ParsedDigest> {
    const d = parseDigest(`${algorithm}:${createHash(algorithm).update(buf).digest("hex")}`);
    if ((await this.size(d)) === buf.length) return d;
    const tmp = this.tempPath();
    await writeFile(tmp, buf, { flag: "wx", mode: 0o644 });
    await this.commitFile(tmp, d, d.digest);
    return d;
  }

  /** Remove a blob; true when it existed. */
  async delete(d: ParsedDigest): Promise<boolean> {
    try {
      await rm(this.path(d));
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return false;
      throw err;
    }
  }

  /** Every stored blob, sorted. */
  async list(): Promise<ParsedDigest[]> {
    const out: ParsedDigest[] = [];
    for (const a of ALGORITHMS) {
      for (const hex of (await readdir(join(this.dir, a))).sort()) {
        try {
          out.push(parseDigest(`${a}:${hex}`));
        } catch {
          // not a blob file (a stray name); gc leaves it alone
        }
      }
    }
    return out;
  }
}
