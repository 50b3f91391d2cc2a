import { test } from "node:test";
import assert from "node:assert/strict";
import { appendFile, mkdtemp, rename, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { followLog } from "./json-log.js";
import { replayLogFiles } from "./log-files.js";

const entry = (n: number) => `${JSON.stringify({ log: `line-${n}\n`, stream: n % 2 === 0 ? "stdout" : "stderr", time: `2026-11-25T12:00:${String(n).padStart(2, "0")}.000000001Z` })}\n`;

test("rotated files are replayed oldest first; tail counts across them; no file for none", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "berth-logfiles-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const path = join(dir, "c-json.log");
  await writeFile(`${path}.2`, [1, 2, 3].map(entry).join(""));
  await writeFile(`${path}.1`, [4, 5, 6].map(entry).join(""));
  await writeFile(path, [7, 8].map(entry).join("") + '{"log":"part');
  const read = async (o: { tail?: number; stdout?: boolean }) => {
    const got: string[] = [];
    const { offset } = await replayLogFiles(path, { stdout: o.stdout ?? true, stderr: true, tail: o.tail }, { entry: (e) => got.push(e.log.toString().trim()) });
    return { got, offset };
  };
  const all = await read({});
  assert.deepEqual(all.got, ["line-1", "line-2", "line-3", "line-4", "line-5", "line-6", "line-7", "line-8"]);
  assert.equal(all.offset, entry(7).length + entry(8).length, "the offset is in the current file, before the unfinished line");
  assert.deepEqual((await read({ tail: 4 })).got, ["line-5", "line-6", "line-7", "line-8"]);
  assert.deepEqual((await read({ tail: 1 })).got, ["line-8"]);
  assert.deepEqual((await read({ tail: 0 })).got, []);
  assert.deepEqual((await read({ tail: 3, stdout: false })).got, ["line-3", "line-5", "line-7"]);
  assert.deepEqual((await read({ tail: 100 })).got.length, 8);
  assert.deepEqual(await replayLogFiles("", { stdout: true, stderr: true }, { entry: () => assert.fail("no entries") }), { offset: 0, ino: 0 });
});

test("follow goes on in the replayed file when it was rotated away meanwhile, then in the new one", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "berth-logfollow-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const path = join(dir, "c-json.log");
  await writeFile(path, [2, 4].map(entry).join(""));
  const pos = await replayLogFiles(path, { stdout: true, stderr: true }, { entry: () => undefined });
  // The shim writes one more line, rotates, and starts a new file.
  await appendFile(path, entry(6));
  await rename(path, `${path}.1`);
  await writeFile(path, entry(8));
  const got: string[] = [];
  await followLog(path, pos, { stdout: true, stderr: true }, (e) => { got.push(e.log.toString().trim()); }, () => true, new AbortController().signal);
  assert.deepEqual(got, ["line-6", "line-8"]);
});
