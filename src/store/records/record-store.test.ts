import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readdir, rm, writeFile, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { RecordStore } from "./record-store.js";
import { writeFileAtomic, TEMP_PREFIX } from "./atomic-file.js";

async function tempDir(t: { after: (fn: () => Promise<void>) => void }): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), "berth-records-"));
  t.after(() => rm(d, { recursive: true, force: true }));
  return d;
}

test("RecordStore put/get/list/delete round-trips JSON records", async (t) => {
  const d = await tempDir(t);
  const s = await RecordStore.open<{ n: number }>(join(d, "r"));
  await s.put("a", { n: 1 });
  await s.put("b", { n: 2 });
  await s.put("a", { n: 3 });
  assert.deepEqual(await s.get("a"), { n: 3 });
  assert.deepEqual(await s.list(), [["a", { n: 3 }], ["b", { n: 2 }]]);
  assert.equal(await s.delete("a"), true);
  assert.equal(await s.delete("a"), false);
  assert.equal(await s.get("a"), undefined);
  assert.deepEqual(await readdir(join(d, "r")), ["b.json"]);
});

test("RecordStore rejects ids that could escape its directory", async (t) => {
  const d = await tempDir(t);
  const s = await RecordStore.open<number>(d);
  await assert.rejects(s.put("../x", 1), RangeError);
  await assert.rejects(s.get("a/b"), RangeError);
});

test("RecordStore.open removes temp files a crash left behind", async (t) => {
  const d = await tempDir(t);
  await writeFile(join(d, `${TEMP_PREFIX}a.json-123`), "{partial");
  await writeFile(join(d, "keep.json"), "1");
  const s = await RecordStore.open<number>(d);
  assert.deepEqual(await readdir(d), ["keep.json"]);
  assert.deepEqual(await s.ids(), ["keep"]);
});

test("writeFileAtomic replaces content and leaves no temp file", async (t) => {
  const d = await tempDir(t);
  const f = join(d, "f");
  await writeFileAtomic(f, "one");
  await writeFileAtomic(f, "two");
  assert.equal(await readFile(f, "utf8"), "two");
  assert.deepEqual(await readdir(d), ["f"]);
});

test("writeFileAtomic leaves the old content when the target cannot be replaced", async (t) => {
  const d = await tempDir(t);
  await assert.rejects(writeFileAtomic(join(d, "missing-dir", "f"), "x"));
  assert.deepEqual(await readdir(d), []);
});
