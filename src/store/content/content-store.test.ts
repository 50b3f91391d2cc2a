import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readdir, rm, mkdir, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { ContentStore, digestOf } from "./content-store.js";

async function store(t: { after: (fn: () => Promise<void>) => void }): Promise<{ s: ContentStore; root: string }> {
  const d = await mkdtemp(join(tmpdir(), "berth-content-"));
  t.after(() => rm(d, { recursive: true, force: true }));
  const root = join(d, "content");
  return { s: await ContentStore.open(root), root };
}

test("ContentStore.ingest stores a verified blob under its digest", async (t) => {
  const { s } = await store(t);
  const data = Buffer.from("hello world");
  const desc = await s.ingest(Readable.from([data.subarray(0, 5), data.subarray(5)]), { digest: digestOf(data), size: data.length });
  assert.deepEqual(desc, { digest: digestOf(data), size: 11 });
  assert.equal((await s.readBuffer(desc.digest)).toString(), "hello world");
  assert.deepEqual(await s.list(), [desc.digest]);
  assert.deepEqual(await s.info(desc.digest), desc);
});

test("ContentStore.ingest with a wrong digest fails and leaves nothing", async (t) => {
  const { s, root } = await store(t);
  await assert.rejects(
    s.ingest(Readable.from([Buffer.from("abc")]), { digest: digestOf("abd") }),
    /does not match expected/,
  );
  assert.deepEqual(await s.list(), []);
  assert.deepEqual(await readdir(join(root, "ingest")), []);
});

test("ContentStore.ingest with a wrong size fails and leaves nothing", async (t) => {
  const { s, root } = await store(t);
  await assert.rejects(s.ingest(Readable.from([Buffer.from("abcdef")]), { size: 3 }), /size exceeds/);
  await assert.rejects(s.ingest(Readable.from([Buffer.from("ab")]), { size: 3 }), /does not match expected 3/);
  assert.deepEqual(await s.list(), []);
  assert.deepEqual(await readdir(join(root, "ingest")), []);
});

test("ContentStore.ingest of a failing source leaves nothing", async (t) => {
  const { s, root } = await store(t);
  async function* broken(): AsyncGenerator<Buffer> {
    yield Buffer.from("partial");
    throw new Error("connection reset");
  }
  await assert.rejects(s.ingest(broken()), /connection reset/);
  assert.deepEqual(await s.list(), []);
  assert.deepEqual(await readdir(join(root, "ingest")), []);
});

test("ContentStore.open removes unfinished ingests", async (t) => {
  const d = await mkdtemp(join(tmpdir(), "berth-content-"));
  t.after(() => rm(d, { recursive: true, force: true }));
  await mkdir(join(d, "ingest"), { recursive: true });
  await writeFile(join(d, "ingest", "leftover"), "x");
  await ContentStore.open(d);
  assert.deepEqual(await readdir(join(d, "ingest")), []);
});

test("ContentStore.delete and missing blobs", async (t) => {
  const { s } = await store(t);
  const { digest } = await s.put("x");
  assert.equal(await s.delete(digest), true);
  assert.equal(await s.delete(digest), false);
  await assert.rejects(s.readBuffer(digest), (e: Error & { kind?: string }) => e.kind === "not-found");
  assert.throws(() => s.path("sha256:../../etc"), /invalid digest/);
});

test("ContentStore.adoptFile() renames a verified file into place and refuses a mismatch", async (t) => {
  const { s, root } = await store(t);
  const f = join(root, "..", "spooled");
  await writeFile(f, "payload");
  const desc = await s.adoptFile(f, { digest: digestOf("payload"), size: 7 });
  assert.equal((await s.readBuffer(desc.digest)).toString(), "payload");
  await assert.rejects(readdir(f));
  const g = join(root, "..", "bad");
  await writeFile(g, "other");
  await assert.rejects(s.adoptFile(g, { digest: digestOf("payload") }), /does not match expected/);
  assert.deepEqual(await s.list(), [desc.digest]);
  await assert.rejects(readdir(g));
});
