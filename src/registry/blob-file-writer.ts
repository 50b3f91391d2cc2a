/**
 * The sink of an upload body: a Writable over an open file descriptor that hashes each
 * chunk in the same pass, gathers chunks into large `writev`s, and starts an `fdatasync` in the background every `syncEvery`
 * bytes. The kernel otherwise keeps a whole upload dirty in the page cache (on a machine
 * with plenty of memory, up to gigabytes) and the fsync that makes the blob durable
 * before it is acknowledged would write all of it after the last byte arrived; syncing
 * as the data streams overlaps that writeback with the upload, so the final fsync has at
 * most about `syncEvery` bytes left. Node has no `sync_file_range`, hence `fdatasync`.
 *
 * The writer never opens or closes the descriptor: its owner closes it after `settled()`,
 * which also waits for a write or sync still in flight after an error.
 */
import type { Hash } from "node:crypto";
import { fdatasync, writev } from "node:fs";
import { Writable } from "node:stream";

/** The two file calls the writer makes; a fake one in tests. */
export interface FileOps {
  /** Write `buffers` at the descriptor's current position; `written` may be short. */
  writev(fd: number, buffers: Buffer[], cb: (err: NodeJS.ErrnoException | null, written: number) => void): void;
  fdatasync(fd: number, cb: (err: NodeJS.ErrnoException | null) => void): void;
}

/** node:fs. */
export const nodeFileOps: FileOps = {
  writev: (fd, buffers, cb) => writev(fd, buffers, cb),
  fdatasync: (fd, cb) => fdatasync(fd, cb),
};

/**
 * How many background syncs may run at once across all writers: each one holds a libuv
 * pool thread (four by default) for its duration, and writes queue behind them.
 */
export class SyncSlots {
  private used = 0;

  /** @param max at least 1 */
  constructor(readonly max: number) {}

  /** Take a slot; false when all are in use (the caller skips this sync). */
  tryAcquire(): boolean {
    if (this.used >= this.max) return false;
    this.used++;
    return true;
  }

  /** Give a slot back. */
  release(): void {
    this.used = Math.max(0, this.used - 1);
  }

  /** Slots in use. */
  get inUse(): number {
    return this.used;
  }
}

/** Options of `BlobFileWriter`. */
export interface BlobFileWriterOptions {
  /** An open descriptor, written at its current position (opened with "a" or "wx"). */
  fd: number;
  /** Updated with every accepted byte, in order. */
  hash?: Hash;
  /** More bytes than this fail the stream with `limitError()`, nothing of the chunk written. */
  limit?: number;
  limitError?: (limit: number) => Error;
  /** Start a background `fdatasync` after this many bytes written since the last one; 0: never. @default 0 */
  syncEvery?: number;
  /** Shared limit on background syncs; without it every writer may sync. */
  slots?: SyncSlots;
  /** Queued bytes that start a write (fewer wait for more, or for the end). @default 512 KiB */
  minWrite?: number;
  /** Queued bytes that hold the stream back until a write drains them. @default 2 MiB */
  maxQueued?: number;
  /** @default nodeFileOps */
  ops?: FileOps;
}

/** See the module comment. */
export class BlobFileWriter extends Writable {
  /** Bytes accepted (hashed and queued for a write). */
  bytes = 0;
  /** Bytes on the file. */
  written = 0;
  /** Writes issued. */
  writes = 0;
  /** Background syncs started. */
  syncs = 0;

  private readonly fd: number;
  private readonly hash: Hash | undefined;
  private readonly limit: number | undefined;
  private readonly limitError: (limit: number) => Error;
  private readonly syncEvery: number;
  private readonly slots: SyncSlots | undefined;
  private readonly ops: FileOps;
  private readonly minWrite: number;
  private readonly maxQueued: number;
  private queue: Buffer[] = [];
  private queued = 0;
  private writing = false;
  private ending = false;
  /** The callback of the chunk that filled the queue: answered once it drains. */
  private blocked: ((err?: Error | null) => void) | undefined;
  private failed: Error | undefined;
  private unsynced = 0;
  private syncing = false;
  private busy = 0;
  private idle: (() => void)[] = [];

  constructor(opts: BlobFileWriterOptions) {
    super({ highWaterMark: 1 << 16 });
    this.fd = opts.fd;
    this.hash = opts.hash;
    this.limit = opts.limit;
    this.limitError = opts.limitError ?? ((limit) => new Error(`write blob: content exceeds ${limit} bytes`));
    this.syncEvery = opts.syncEvery ?? 0;
    this.slots = opts.slots;
    this.ops = opts.ops ?? nodeFileOps;
    this.minWrite = opts.minWrite ?? 1 << 19;
    this.maxQueued = Math.max(opts.maxQueued ?? 1 << 21, this.minWrite);
  }

  /** Resolves once no write or sync of this writer is in flight. */
  settled(): Promise<void> {
    if (this.busy === 0) return Promise.resolve();
    return new Promise((resolve) => this.idle.push(resolve));
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    this.accept([chunk], cb);
  }

  override _writev(chunks: { chunk: Buffer }[], cb: (err?: Error | null) => void): void {
    this.accept(
      chunks.map((c) => c.chunk),
      cb,
    );
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    // nothing more is written once the stream is over; settled() still waits for a write in flight
    this.fail(err ?? new Error("write blob: stream destroyed"));
    this.blocked = undefined;
    cb(err);
  }

  override _final(cb: (err?: Error | null) => void): void {
    this.ending = true;
    this.pump();
    void this.settled().then(() => cb(this.failed ?? null));
  }

  /**
   * Hash and queue `buffers`. Chunks off a socket are 64 KiB or less: written as they
   * come, each would be its own write and its own trip through the libuv pool, so they
   * are gathered into writes of at least `minWrite` bytes, and the stream is held back
   * only once `maxQueued` bytes wait.
   */
  private accept(buffers: Buffer[], cb: (err?: Error | null) => void): void {
    if (this.failed !== undefined) {
      cb(this.failed);
      return;
    }
    let n = 0;
    for (const b of buffers) n += b.length;
    if (this.limit !== undefined && this.bytes + n > this.limit) {
      cb(this.limitError(this.limit));
      return;
    }
    this.bytes += n;
    if (this.hash !== undefined) for (const b of buffers) this.hash.update(b);
    for (const b of buffers) this.queue.push(b);
    this.queued += n;
    this.pump();
    if (this.queued >= this.maxQueued) this.blocked = cb;
    else cb(null);
  }

  /** Start a write of everything queued, unless one is in flight or too little waits. */
  private pump(): void {
    if (this.writing || this.failed !== undefined || this.queued === 0) return;
    if (!this.ending && this.queued < this.minWrite) return;
    const bufs = this.queue;
    const n = this.queued;
    this.queue = [];
    this.queued = 0;
    this.writing = true;
    this.opStarted();
    const step = (part: Buffer[], left: number): void => {
      this.writes++;
      this.ops.writev(this.fd, part, (err, written) => {
        if (err === null && written > 0 && written < left) {
          this.written += written;
          this.unsynced += written;
          step(rest(part, written), left - written);
          return;
        }
        this.writing = false;
        if (err !== null || written !== left) {
          this.fail(err ?? new Error(`write blob: wrote ${written} of ${left} bytes`));
        } else {
          this.written += written;
          this.unsynced += written;
          this.maybeSync();
          this.pump();
        }
        const cb = this.blocked;
        if (cb !== undefined && (this.failed !== undefined || this.queued < this.maxQueued)) {
          this.blocked = undefined;
          cb(this.failed ?? null);
        }
        this.opDone();
      });
    };
    step(bufs, n);
  }

  private fail(err: Error): void {
    this.failed ??= err;
    this.queue = [];
    this.queued = 0;
  }

  private maybeSync(): void {
    if (this.syncEvery <= 0 || this.syncing || this.unsynced < this.syncEvery) return;
    if (this.slots !== undefined && !this.slots.tryAcquire()) return;
    this.syncing = true;
    this.unsynced = 0;
    this.syncs++;
    this.opStarted();
    this.ops.fdatasync(this.fd, (err) => {
      this.slots?.release();
      this.syncing = false;
      if (err !== null) {
        this.fail(err);
        const cb = this.blocked;
        this.blocked = undefined;
        cb?.(err);
      }
      this.opDone();
    });
  }

  private opStarted(): void {
    this.busy++;
  }

  private opDone(): void {
    this.busy--;
    if (this.busy === 0) for (const resolve of this.idle.splice(0)) resolve();
  }
}

/** `bufs` without its first `skip` bytes. */
function rest(bufs: Buffer[], skip: number): Buffer[] {
  const out: Buffer[] = [];
  for (const b of bufs) {
    if (skip >= b.length) {
      skip -= b.length;
      continue;
    }
    out.push(skip > 0 ? b.subarray(skip) : b);
    skip = 0;
  }
  return out;
}
