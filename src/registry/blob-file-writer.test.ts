import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { BlobFileWriter, SyncSlots, type FileOps } from "./blob-file-writer.js";

/** A file in memory; writes and syncs answer when the test says (or at once with `auto`). */
class FakeFile implements FileOps {
  data: Buffer[] = [];
  /** Bytes on "disk" when each sync was issued. */
  syncedAt: number[] = [];
  pendingSyncs: ((err: NodeJS.ErrnoException | null) => void)[] = [];
  /** At most this many bytes per writev call (a short write beyond it). */
  maxWrite = Infinity;
  syncError: NodeJS.ErrnoException | null = null;
  autoSync = true;

  get size(): number {
    return this.data.reduce((n, b) => n + b.length, 0);
  }

  writev(_fd: number, buffers: Buffer[], cb: (err: NodeJS.ErrnoException | null, written: number) => void): void {
    const all = Buffer.concat(buffers);
    const n = Math.min(all.length, this.maxWrite);
    this.data.push(Buffer.from(all.subarray(0, n)));
    setImmediate(() => cb(null, n));
  }

  fdatasync(_fd: number, cb: (err: NodeJS.ErrnoException | null) => void): void {
    this.syncedAt.push(this.size);
    if (this.autoSync) setImmediate(() => cb(this.syncError));
    else this.pendingSyncs.push(cb);
  }

  releaseSyncs(): void {
    for (const cb of this.pendingSyncs.splice(0)) cb(this.syncError);
  }
}

function chunks(n: number, size: number): Buffer[] {
  return Array.from({ length: n }, (_, i) => Buffer.alloc(size, i));
}

test("writes every chunk in order, hashes it in the same pass and finishes short writes", async () => {
  const f = new FakeFile();
  f.maxWrite = 7;
  const parts = chunks(20, 10);
  const h = createHash("sha256");
  const w = new BlobFileWriter({ fd: 3, ops: f, hash: h });
  await pipeline(Readable.from(parts), w);
  const all = Buffer.concat(parts);
  assert.deepEqual(Buffer.concat(f.data), all);
  assert.equal(w.written, 200);
  assert.equal(w.bytes, 200);
  assert.equal(h.digest("hex"), createHash("sha256").update(all).digest("hex"));
  assert.equal(f.syncedAt.length, 0, "no sync without syncEvery");
});

test("starts a background sync every syncEvery bytes, one at a time per file", async () => {
  const f = new FakeFile();
  const w = new BlobFileWriter({ fd: 3, ops: f, syncEvery: 100, highWaterMark: 10 });
  await pipeline(Readable.from(chunks(100, 10)), w);
  // 1000 bytes, a sync after each 100 written: about ten, each issued at a multiple of 100
  assert.ok(f.syncedAt.length >= 8 && f.syncedAt.length <= 10, `syncs at ${f.syncedAt.join(",")}`);
  for (const at of f.syncedAt) assert.ok(at % 10 === 0 && at >= 100);
  assert.equal(w.syncs, f.syncedAt.length);
});

test("a sync still running holds back the end of the stream but not the writes", async () => {
  const f = new FakeFile();
  f.autoSync = false;
  const w = new BlobFileWriter({ fd: 3, ops: f, syncEvery: 50, highWaterMark: 10 });
  let finished = false;
  const done = pipeline(Readable.from(chunks(30, 10)), w).then(() => {
    finished = true;
  });
  await new Promise((r) => setTimeout(r, 50));
  // every byte was written while the first sync had not answered, and no second sync started
  assert.equal(f.size, 300);
  assert.equal(f.pendingSyncs.length, 1);
  assert.equal(finished, false);
  f.releaseSyncs();
  await done;
  assert.equal(finished, true);
});

test("shared slots cap the syncs in flight across writers", async () => {
  const slots = new SyncSlots(1);
  const a = new FakeFile();
  const b = new FakeFile();
  a.autoSync = false;
  b.autoSync = false;
  const wa = new BlobFileWriter({ fd: 3, ops: a, syncEvery: 20, slots, highWaterMark: 10 });
  const wb = new BlobFileWriter({ fd: 4, ops: b, syncEvery: 20, slots, highWaterMark: 10 });
  const done = Promise.all([pipeline(Readable.from(chunks(10, 10)), wa), pipeline(Readable.from(chunks(10, 10)), wb)]);
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(a.pendingSyncs.length + b.pendingSyncs.length, 1);
  assert.equal(slots.inUse, 1);
  a.releaseSyncs();
  b.releaseSyncs();
  await done;
  assert.equal(slots.inUse, 0);
});

test("a failed background sync fails the stream", async () => {
  const f = new FakeFile();
  f.syncError = Object.assign(new Error("EIO: i/o error, fdatasync"), { code: "EIO" });
  const w = new BlobFileWriter({ fd: 3, ops: f, syncEvery: 10, highWaterMark: 10 });
  await assert.rejects(pipeline(Readable.from(chunks(10, 10)), w), /EIO/);
});

test("more than limit bytes fails with limitError and the chunk over it is not written", async () => {
  const f = new FakeFile();
  const w = new BlobFileWriter({
    fd: 3,
    ops: f,
    limit: 25,
    highWaterMark: 10,
    limitError: (limit) => new Error(`too big: ${limit}`),
  });
  await assert.rejects(pipeline(Readable.from(chunks(5, 10)), w), /too big: 25/);
  assert.equal(f.size, 20);
  await w.settled();
});

test("settled waits for a write still in flight when the source fails", async () => {
  const f = new FakeFile();
  let answer: (() => void) | undefined;
  f.writev = (_fd, buffers, cb) => {
    answer = () => cb(null, Buffer.concat(buffers).length);
  };
  const w = new BlobFileWriter({ fd: 3, ops: f });
  const source = new Readable({ read() {} });
  const done = pipeline(source, w);
  source.push(Buffer.alloc(10));
  await new Promise((r) => setImmediate(r));
  source.destroy(new Error("client went away"));
  await assert.rejects(done, /client went away/);
  let settled = false;
  const s = w.settled().then(() => {
    settled = true;
  });
  await new Promise((r) => setImmediate(r));
  assert.equal(settled, false, "a write is still using the descriptor");
  assert.ok(answer);
  answer();
  await s;
  assert.equal(settled, true);
});
