/**
 * The content store: blobs addressed by digest under `<root>/blobs/sha256/<hex>`.
 * Ingest streams into `<root>/ingest/` while hashing, verifies the expected digest and
 * size, then renames into place, so a blob on disk is always complete and verified.
 * Resumable ingests (downloads) keep their bytes in `<root>/ingest/sha256-<hex>` across
 * failures and restarts, for a day, so an interrupted pull continues where it stopped.
 */
import { createHash } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { mkdir, open as openFile, readdir, readFile, rename, rm, stat, truncate } from "node:fs/promises";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { pipeline } from "node:stream/promises";
import { Readable, Transform } from "node:stream";
import { invalidArgument, notFound } from "../../shared/errors.js";
import { fsyncDir } from "../records/atomic-file.js";

/** A content descriptor: digest ("sha256:<hex>") and size in bytes. */
export interface Descriptor {
  digest: string;
  size: number;
}

/** What the caller expects an ingested blob to be; a mismatch fails the ingest. */
export interface Expected {
  digest?: string;
  size?: number;
}

const DIGEST_RE = /^sha256:[a-f0-9]{64}$/;
const PARTIAL_RE = /^sha256-[a-f0-9]{64}$/;

/** Partial downloads older than this are dropped at open (containerd's pull lease lasts as long). */
export const PARTIAL_MAX_AGE_MS = 24 * 60 * 60 * 1000;

/**
 * A resumable ingest of one blob, held exclusively by its caller until `close`. Bytes
 * written survive a failed `write` (and a crash), so the next holder can continue.
 */
export interface ResumableIngest {
  /** Bytes kept from an earlier, interrupted ingest of this blob (0 when none). */
  readonly offset: number;
  /**
   * Write the blob from byte `from` (0 starts over, `offset` continues), then verify the
   * whole blob and commit it. A digest or size mismatch removes the kept bytes.
   */
  write(source: Readable | AsyncIterable<Uint8Array>, from: number): Promise<Descriptor>;
  /** Let the next ingest of this digest proceed. */
  close(): void;
}

/** True when `d` is a well-formed sha256 digest. */
export function isDigest(d: string): boolean {
  return DIGEST_RE.test(d);
}

/** Throw an invalid-argument error unless `d` is a well-formed sha256 digest. */
export function assertDigest(d: string): void {
  if (!DIGEST_RE.test(d)) throw invalidArgument(`invalid digest "${d}"`);
}

/** fsync a file's data before it is renamed into place. */
async function fsyncFile(path: string): Promise<void> {
  const fh = await openFile(path, "r");
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** sha256 digest string of a buffer. */
export function digestOf(data: Uint8Array | string): string {
  return `sha256:${createHash("sha256").update(data).digest("hex")}`;
}

/** Content-addressed blob storage (containerd's Provider + Ingester). */
export class ContentStore {
  readonly root: string;
  private readonly blobs: string;
  private readonly ingestDir: string;
  /** Per digest, the release of the resumable ingest holding it. */
  private readonly holds = new Map<string, Promise<void>>();

  private constructor(root: string) {
    this.root = root;
    this.blobs = join(root, "blobs", "sha256");
    this.ingestDir = join(root, "ingest");
  }

  /**
   * Open the store at `root`, creating it and removing unfinished ingests, except
   * resumable ones younger than `PARTIAL_MAX_AGE_MS`.
   */
  static async open(root: string, now = Date.now()): Promise<ContentStore> {
    const s = new ContentStore(root);
    await mkdir(s.blobs, { recursive: true, mode: 0o700 });
    await mkdir(s.ingestDir, { recursive: true, mode: 0o700 });
    for (const name of await readdir(s.ingestDir)) {
      const p = join(s.ingestDir, name);
      const keep = PARTIAL_RE.test(name) && (await stat(p).then((st) => st.isFile() && now - st.mtimeMs < PARTIAL_MAX_AGE_MS, () => false));
      if (!keep) await rm(p, { recursive: true, force: true });
    }
    return s;
  }

  /** Path of the blob `digest` (it may not exist). */
  path(digest: string): string {
    assertDigest(digest);
    return join(this.blobs, digest.slice("sha256:".length));
  }

  /**
   * Stream `source` into the store. Fails (leaving nothing) when the content does not
   * match `expected`. Returns the blob's descriptor; ingesting existing content is a no-op.
   */
  async ingest(source: Readable | AsyncIterable<Uint8Array>, expected: Expected = {}): Promise<Descriptor> {
    if (expected.digest !== undefined) assertDigest(expected.digest);
    const tmp = join(this.ingestDir, randomBytes(8).toString("hex"));
    const hash = createHash("sha256");
    let size = 0;
    const meter = new Transform({
      transform(chunk: Buffer, _enc, cb) {
        hash.update(chunk);
        size += chunk.length;
        if (expected.size !== undefined && size > expected.size) {
          cb(invalidArgument(`ingest blob: size exceeds expected ${expected.size} bytes`));
          return;
        }
        cb(null, chunk);
      },
    });
    try {
      // 1 MiB lets chunks gather into one writev while a write is in flight (the default
      // 16 KiB costs one write per network chunk).
      const out = createWriteStream(tmp, { flags: "wx", mode: 0o644, highWaterMark: 1 << 20 });
      await pipeline(source, meter, out);
      await fsyncFile(tmp);
      const digest = `sha256:${hash.digest("hex")}`;
      if (expected.size !== undefined && size !== expected.size) {
        throw invalidArgument(`ingest blob: size ${size} does not match expected ${expected.size}`);
      }
      if (expected.digest !== undefined && digest !== expected.digest) {
        throw invalidArgument(`ingest blob: digest ${digest} does not match expected ${expected.digest}`);
      }
      await rename(tmp, this.path(digest));
      await fsyncDir(this.blobs);
      return { digest, size };
    } finally {
      await rm(tmp, { force: true });
    }
  }

  /**
   * Hold the resumable ingest of `expected.digest`, waiting while another caller holds
   * it. The caller should check `has` afterwards: the previous holder may have finished.
   */
  async resumable(expected: { digest: string; size: number }): Promise<ResumableIngest> {
    assertDigest(expected.digest);
    const prev = this.holds.get(expected.digest);
    let release!: () => void;
    const mine = new Promise<void>((r) => { release = r; });
    const chained = (prev ?? Promise.resolve()).then(() => mine);
    this.holds.set(expected.digest, chained);
    await prev;
    const file = join(this.ingestDir, `sha256-${expected.digest.slice("sha256:".length)}`);
    const offset = await stat(file).then((st) => st.size, () => 0);
    let closed = false;
    return {
      offset,
      write: (source, from) => this.writePartial(file, expected, offset, source, from),
      close: () => {
        if (closed) return;
        closed = true;
        if (this.holds.get(expected.digest) === chained) this.holds.delete(expected.digest);
        release();
      },
    };
  }

  private async writePartial(file: string, expected: { digest: string; size: number }, offset: number, source: Readable | AsyncIterable<Uint8Array>, from: number): Promise<Descriptor> {
    if (from !== 0 && from !== offset) throw invalidArgument(`ingest blob ${expected.digest}: cannot continue at ${from}, ${offset} bytes are kept`);
    const hash = createHash("sha256");
    let size = from;
    if (from > 0) {
      await truncate(file, from);
      for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
    }
    let overrun = false;
    const meter = new Transform({
      transform(chunk: Buffer, _enc, cb) {
        hash.update(chunk);
        size += chunk.length;
        if (size > expected.size) {
          overrun = true;
          cb(invalidArgument(`ingest blob: size exceeds expected ${expected.size} bytes`));
          return;
        }
        cb(null, chunk);
      },
    });
    try {
      await pipeline(source, meter, createWriteStream(file, { flags: from === 0 ? "w" : "a", mode: 0o644, highWaterMark: 1 << 20 }));
    } catch (err) {
      // Bytes that arrived stay for the next attempt, unless the source sent too many.
      if (overrun) await rm(file, { force: true });
      throw err;
    }
    const digest = `sha256:${hash.digest("hex")}`;
    if (size !== expected.size || digest !== expected.digest) {
      await rm(file, { force: true });
      throw invalidArgument(size !== expected.size
        ? `ingest blob: size ${size} does not match expected ${expected.size}`
        : `ingest blob: digest ${digest} does not match expected ${expected.digest}`);
    }
    await fsyncFile(file);
    await rename(file, this.path(digest));
    await fsyncDir(this.blobs);
    return { digest, size };
  }

  /**
   * Adopt a file this process owns (e.g. a spooled archive entry on the same filesystem):
   * hash it, verify it against `expected`, then rename it into place; no copy. The file
   * is consumed either way.
   */
  async adoptFile(file: string, expected: Expected = {}): Promise<Descriptor> {
    if (expected.digest !== undefined) assertDigest(expected.digest);
    try {
      const hash = createHash("sha256");
      let size = 0;
      for await (const chunk of createReadStream(file)) {
        hash.update(chunk as Buffer);
        size += (chunk as Buffer).length;
      }
      const digest = `sha256:${hash.digest("hex")}`;
      if (expected.size !== undefined && size !== expected.size) {
        throw invalidArgument(`ingest blob: size ${size} does not match expected ${expected.size}`);
      }
      if (expected.digest !== undefined && digest !== expected.digest) {
        throw invalidArgument(`ingest blob: digest ${digest} does not match expected ${expected.digest}`);
      }
      if (!(await this.has(digest))) {
        await fsyncFile(file);
        await rename(file, this.path(digest));
        await fsyncDir(this.blobs);
      }
      return { digest, size };
    } finally {
      await rm(file, { force: true });
    }
  }

  /** Store a buffer (for small JSON blobs: configs, manifests). */
  async put(data: Uint8Array | string): Promise<Descriptor> {
    const buf = typeof data === "string" ? Buffer.from(data) : Buffer.from(data);
    return this.ingest(Readable.from([buf]), { digest: digestOf(buf), size: buf.length });
  }

  /** The descriptor of `digest`, or `undefined` when absent. */
  async info(digest: string): Promise<Descriptor | undefined> {
    try {
      const st = await stat(this.path(digest));
      return { digest, size: st.size };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw err;
    }
  }

  /** True when the blob exists. */
  async has(digest: string): Promise<boolean> {
    return (await this.info(digest)) !== undefined;
  }

  /** A read stream of the blob; not-found when absent. */
  async open(digest: string): Promise<Readable> {
    if (!(await this.has(digest))) throw notFound(`content ${digest}: not found`);
    // 1 MiB reads: layers are read whole, and fewer, larger chunks cost less per byte.
    return createReadStream(this.path(digest), { highWaterMark: 1 << 20 });
  }

  /** The whole blob in memory (for small JSON blobs). */
  async readBuffer(digest: string): Promise<Buffer> {
    try {
      return await readFile(this.path(digest));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") throw notFound(`content ${digest}: not found`);
      throw err;
    }
  }

  /** Remove a blob; true when it existed. */
  async delete(digest: string): Promise<boolean> {
    const existed = await this.has(digest);
    await rm(this.path(digest), { force: true });
    return existed;
  }

  /** The digests of all blobs. */
  async list(): Promise<string[]> {
    const names = await readdir(this.blobs);
    return names.filter((n) => /^[a-f0-9]{64}$/.test(n)).map((n) => `sha256:${n}`).sort();
  }
}
