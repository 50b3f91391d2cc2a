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

/** A source that yields one chunk per turn of the event loop, as a socket does. */
function paced(parts: Buffer[]): Readable {
  let i = 0;
  return new Readable({
    read() {
      setImmediate(() => this.push(i < parts.length ? parts[i++] : null));
    },
  });
}

async function waitFor(what: string, cond: () => boolean): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
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
  const w = new BlobFileWriter({ fd: 3, ops: f, syncEvery: 100, minWrite: 10, maxQueued: 20 });
  await pipeline(paced(chunks(100, 10)), w);
  // 1000 bytes, a sync after each 100 written: about ten, each issued at a multiple of 100
  assert.ok(f.syncedAt.length >= 8 && f.syncedAt.length <= 10, `syncs at ${f.syncedAt.join(",")}`);
  for (const at of f.syncedAt) assert.ok(at % 10 === 0 && at >= 100);
  assert.equal(w.syncs, f.syncedAt.length);
});

test("a sync still running holds back the end of the stream but not the writes", async () => {
  const f = new FakeFile();
  f.autoSync = false;
  const w = new BlobFileWriter({ fd: 3, ops: f, syncEvery: 50, minWrite: 10 });
  let finished = false;
  const done = pipeline(paced(chunks(30, 10)), w).then(() => {
    finished = true;
  });
  await waitFor("all bytes written", () => f.size === 300);
  await new Promise((r) => setTimeout(r, 20));
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
  const wa = new BlobFileWriter({ fd: 3, ops: a, syncEvery: 20, slots, minWrite: 10 });
  const wb = new BlobFileWriter({ fd: 4, ops: b, syncEvery: 20, slots, minWrite: 10 });
  const done = Promise.all([pipeline(paced(chunks(10, 10)), wa), pipeline(paced(chunks(10, 10)), wb)]);
  await waitFor("both written", () => a.size === 100 && b.size === 100);
  assert.equal(a.pendingSyncs.length + b.pendingSyncs.length, 1);
  assert.equal(slots.inUse, 1);
  a.releaseSyncs();
  b.releaseSyncs();
  await done;
  assert.equal(slots.inUse, 0);
});

test("small chunks are gathered into writes of at least minWrite bytes", async () => {
  const f = new FakeFile();
  const w = new BlobFileWriter({ fd: 3, ops: f, minWrite: 100, maxQueued: 400 });
  await pipeline(Readable.from(chunks(95, 10)), w);
  assert.equal(f.size, 950);
  // every write but the last (the rest at the end) carries at least 100 bytes
  assert.ok(f.data.slice(0, -1).every((b) => b.length >= 100), f.data.map((b) => b.length).join(","));
  assert.ok(w.writes <= 10, `${w.writes} writes`);
});

test("a full queue holds the source back until a write drains it", async () => {
  const f = new FakeFile();
  let answer: (() => void) | undefined;
  f.writev = (_fd, buffers, cb) => {
    const all = Buffer.concat(buffers);
    f.data.push(all);
    answer = () => cb(null, all.length);
  };
  const size = 1 << 14;
  const w = new BlobFileWriter({ fd: 3, ops: f, minWrite: size, maxQueued: 4 * size });
  let pulled = 0;
  const source = Readable.from(
    (function* () {
      for (let i = 0; i < 100; i++) {
        pulled++;
        yield Buffer.alloc(size, i);
      }
    })(),
  );
  const done = pipeline(source, w);
  await waitFor("the first write", () => answer !== undefined);
  await new Promise((r) => setTimeout(r, 30));
  // the first write has not answered: what was pulled is bounded by the queue (4 chunks)
  // and the streams' buffers (64 KiB in the writer, 16 objects in the source)
  assert.ok(pulled < 40, `${pulled} chunks pulled while the file took none`);
  while (f.size < 100 * size || answer !== undefined) {
    const a = answer;
    answer = undefined;
    if (a === undefined) {
      await new Promise((r) => setImmediate(r));
      continue;
    }
    a();
    await new Promise((r) => setImmediate(r));
  }
  await done;
  assert.equal(w.written, 100 * size);
});

test("a failed background sync fails the stream", async () => {
  const f = new FakeFile();
  f.syncError = Object.assign(new Error("EIO: i/o error, fdatasync"), { code: "EIO" });
  const w = new BlobFileWriter({ fd: 3, ops: f, syncEvery: 10, minWrite: 10 });
  await assert.rejects(pipeline(Readable.from(chunks(10, 10)), w), /EIO/);
});

test("more than limit bytes fails with limitError and the chunk over it is not written", async () => {
  const f = new FakeFile();
  const w = new BlobFileWriter({
    fd: 3,
    ops: f,
    limit: 25,
    minWrite: 10,
    limitError: (limit) => new Error(`too big: ${limit}`),
  });
  await assert.rejects(pipeline(Readable.from(chunks(5, 10)), w), /too big: 25/);
  await w.settled();
  assert.ok(f.size <= 20, `${f.size} bytes written`);
  assert.deepEqual(Buffer.concat(f.data), Buffer.concat(chunks(5, 10)).subarray(0, f.size));
});

test("settled waits for a write still in flight when the source fails", async () => {
  const f = new FakeFile();
  let answer: (() => void) | undefined;
  f.writev = (_fd, buffers, cb) => {
    answer = () => cb(null, Buffer.concat(buffers).length);
  };
  const w = new BlobFileWriter({ fd: 3, ops: f, minWrite: 1 });
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
