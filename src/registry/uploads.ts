/**
 * Blob upload sessions, kept on disk under `<root>/uploads/<uuid>/` (`data` and
 * `info.json`) so that an upload survives a server restart: its offset is the size of
 * `data`. Chunks of one session are serialised; a chunk that fails or does not match its
 * `Content-Range` is cut off again, so the offset only ever moves by whole chunks.
 */
import { createHash, randomUUID, type Hash } from "node:crypto";
import { mkdirSync } from "node:fs";
import { link, mkdir, readdir, rm, stat, truncate, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Readable } from "node:stream";
import { readJson, writeJsonAtomic } from "../store/records/index.js";
import type { BlobStore } from "./blob-store.js";
import { registryError } from "./errors.js";
import type { ParsedDigest } from "./names.js";

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** What is stored about a session. */
export interface UploadInfo {
  id: string;
  repo: string;
  startedAt: string;
}

/** A session's state as the API reports it. */
export interface UploadStatus extends UploadInfo {
  /** Bytes received so far. */
  size: number;
}

/** Where a chunk must go: `start` is checked against the current offset (416 otherwise). */
export interface ChunkRange {
  start: number;
  /** Inclusive last byte. */
  end: number;
}

interface HashState {
  hash: Hash;
  size: number;
}

/** Upload sessions. */
export class UploadStore {
  readonly dir: string;
  private readonly blobs: BlobStore;
  /** sha256 of each session's data so far, while it is known to match the file. */
  private readonly hashes = new Map<string, HashState>();
  private readonly locks = new Map<string, Promise<unknown>>();

  constructor(root: string, blobs: BlobStore) {
    this.dir = join(root, "uploads");
    this.blobs = blobs;
  }

  /** Create the uploads directory. */
  init(): void {
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
  }

  /** Start a session for `repo`. */
  async create(repo: string): Promise<UploadStatus> {
    const id = randomUUID();
    const d = join(this.dir, id);
    await mkdir(d, { mode: 0o700 });
    const info: UploadInfo = { id, repo, startedAt: new Date().toISOString() };
    await writeFile(join(d, "data"), "", { flag: "wx", mode: 0o644 });
    await writeJsonAtomic(join(d, "info.json"), info);
    this.hashes.set(id, { hash: createHash("sha256"), size: 0 });
    return { ...info, size: 0 };
  }

  /** The session `id` of `repo`; BLOB_UPLOAD_UNKNOWN when there is none. */
  async get(repo: string, id: string): Promise<UploadStatus> {
    const unknown = () => registryError("BLOB_UPLOAD_UNKNOWN", "blob upload unknown to registry", { detail: { uuid: id } });
    if (!UUID_RE.test(id)) throw unknown();
    const info = await readJson<UploadInfo>(join(this.dir, id, "info.json")).catch(() => undefined);
    if (info === undefined || info.repo !== repo) throw unknown();
    let size: number;
    try {
      size = (await stat(join(this.dir, id, "data"))).size;
    } catch {
      throw unknown();
    }
    return { ...info, size };
  }

  /**
   * Append `source` to the session. With `range`, its start must equal the current
   * offset (BLOB_UPLOAD_INVALID with 416) and exactly end-start+1 bytes must arrive
   * (SIZE_INVALID). Returns the new status.
   */
  async append(repo: string, id: string, source: Readable, range?: ChunkRange): Promise<UploadStatus> {
    return this.locked(id, async () => {
      const st = await this.get(repo, id);
      if (range !== undefined && range.start !== st.size) {
        source.resume();
        throw registryError("BLOB_UPLOAD_INVALID", `chunk starts at ${range.start} but the upload is at ${st.size}`, {
          status: 416,
          detail: { offset: st.size },
          headers: rangeHeaders(st.size),
        });
      }
      const state = this.hashes.get(id);
      const hashing = state !== undefined && state.size === st.size ? state : undefined;
      this.hashes.delete(id);
      let n = 0;
      const path = join(this.dir, id, "data");
      try {
        n = await this.blobs.writeStream(path, "a", source, hashing !== undefined ? { hash: hashing.hash } : {});
        if (range !== undefined && n !== range.end - range.start + 1) {
          throw registryError("SIZE_INVALID", `chunk has ${n} bytes, Content-Range says ${range.end - range.start + 1}`);
        }
      } catch (err) {
        await truncate(path, st.size);
        throw err;
      }
      if (hashing !== undefined) this.hashes.set(id, { hash: hashing.hash, size: st.size + n });
      return { ...st, size: st.size + n };
    });
  }

  /**
   * Finish the session: verify its data against `digest` and commit it as a blob, running
   * `alongside` (the repository link) while the blob is synced. The session is removed on
   * success and kept on a digest mismatch.
   */
  async finish(repo: string, id: string, digest: ParsedDigest, alongside?: () => Promise<void>): Promise<number> {
    return this.locked(id, async () => {
      const st = await this.get(repo, id);
      const state = this.hashes.get(id);
      const known =
        digest.algorithm === "sha256" && state !== undefined && state.size === st.size
          ? `sha256:${state.hash.copy().digest("hex")}`
          : undefined;
      // commitFile consumes its input, so verify a hard link and keep `data` for a retry
      const tmp = this.blobs.tempPath();
      await link(join(this.dir, id, "data"), tmp);
      const size = await this.blobs.commitFile(tmp, digest, known, alongside);
      this.hashes.delete(id);
      await rm(join(this.dir, id), { recursive: true, force: true });
      return size;
    });
  }

  /** Cancel the session; BLOB_UPLOAD_UNKNOWN when there is none. */
  async cancel(repo: string, id: string): Promise<void> {
    await this.locked(id, async () => {
      await this.get(repo, id);
      this.hashes.delete(id);
      await rm(join(this.dir, id), { recursive: true, force: true });
    });
  }

  /** Remove sessions started before `before`; returns their ids. */
  async purge(before: Date): Promise<string[]> {
    const removed: string[] = [];
    for (const id of await readdir(this.dir).catch(() => [] as string[])) {
      if (!UUID_RE.test(id)) continue;
      const info = await readJson<UploadInfo>(join(this.dir, id, "info.json")).catch(() => undefined);
      const started = info ? Date.parse(info.startedAt) : 0;
      if (!(started >= before.getTime())) {
        await rm(join(this.dir, id), { recursive: true, force: true });
        removed.push(id);
      }
    }
    return removed;
  }

  private async locked<T>(id: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.locks.get(id) ?? Promise.resolve();
    const run = prev.then(fn, fn);
    const tail = run.catch(() => undefined);
    this.locks.set(id, tail);
    try {
      return await run;
    } finally {
      if (this.locks.get(id) === tail) this.locks.delete(id);
    }
  }
}

/** The `Range` header the spec gives for an upload at `size` bytes ("0-<last byte>"). */
export function uploadRange(size: number): string {
  return `0-${Math.max(size - 1, 0)}`;
}

function rangeHeaders(size: number): Record<string, string> {
  return { Range: uploadRange(size) };
}
