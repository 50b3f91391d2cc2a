/**
 * The sink of an upload body: a Writable over an open file descriptor that hashes each
 * chunk in the same pass, writes everything that gathered while the previous write was in
 * flight with one `writev`, and starts an `fdatasync` in the background every `syncEvery`
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
  /** Bytes buffered before the source is paused (they are written together). @default 1 MiB */
  highWaterMark?: number;
  /** @default nodeFileOps */
  ops?: FileOps;
}

/** See the module comment. */
export class BlobFileWriter extends Writable {
  /** Bytes accepted (hashed and handed to a write). */
  bytes = 0;
  /** Bytes on the file. */
  written = 0;
  /** Background syncs started. */
  syncs = 0;

  private readonly fd: number;
  private readonly hash: Hash | undefined;
  private readonly limit: number | undefined;
  private readonly limitError: (limit: number) => Error;
  private readonly syncEvery: number;
  private readonly slots: SyncSlots | undefined;
  private readonly ops: FileOps;
  private unsynced = 0;
  private syncing = false;
  private syncError: Error | undefined;
  private busy = 0;
  private idle: (() => void)[] = [];

  constructor(opts: BlobFileWriterOptions) {
    super({ highWaterMark: opts.highWaterMark ?? 1 << 20 });
    this.fd = opts.fd;
    this.hash = opts.hash;
    this.limit = opts.limit;
    this.limitError = opts.limitError ?? ((limit) => new Error(`write blob: content exceeds ${limit} bytes`));
    this.syncEvery = opts.syncEvery ?? 0;
    this.slots = opts.slots;
    this.ops = opts.ops ?? nodeFileOps;
  }

  /** Resolves once no write or sync of this writer is in flight. */
  settled(): Promise<void> {
    if (this.busy === 0) return Promise.resolve();
    return new Promise((resolve) => this.idle.push(resolve));
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    this.writeAll([chunk], cb);
  }

  override _writev(chunks: { chunk: Buffer }[], cb: (err?: Error | null) => void): void {
    this.writeAll(
      chunks.map((c) => c.chunk),
      cb,
    );
  }

  override _final(cb: (err?: Error | null) => void): void {
    void this.settled().then(() => cb(this.syncError ?? null));
  }

  private writeAll(buffers: Buffer[], cb: (err?: Error | null) => void): void {
    if (this.syncError !== undefined) {
      cb(this.syncError);
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
    this.opStarted();
    const step = (bufs: Buffer[], left: number): void => {
      this.ops.writev(this.fd, bufs, (err, written) => {
        if (err === null && written > 0 && written < left) {
          this.written += written;
          step(rest(bufs, written), left - written);
          return;
        }
        this.opDone();
        if (err !== null || written !== left) {
          cb(err ?? new Error(`write blob: wrote ${written} of ${left} bytes`));
          return;
        }
        this.written += written;
        this.unsynced += written;
        this.maybeSync();
        cb(null);
      });
    };
    step(buffers, n);
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
      if (err !== null) this.syncError ??= err;
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
