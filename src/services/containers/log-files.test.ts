import { test } from "node:test";
import assert from "node:assert/strict";
import { appendFile, mkdtemp, rename, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
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

test("follow of a file deleted past max-file goes on in the oldest file left, not the current one", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "berth-logdel-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const path = join(dir, "c-json.log");
  await writeFile(path, entry(2));
  const pos = await replayLogFiles(path, { stdout: true, stderr: true }, { entry: () => undefined });
  const got: string[] = [];
  let finished = false;
  const following = followLog(path, pos, { stdout: true, stderr: true }, (e) => { got.push(e.log.toString().trim()); }, () => finished, new AbortController().signal);
  await sleep(20);
  // Two rotations with max-file=2 while the follower waits at the end of its file: the file
  // it holds is deleted.
  await appendFile(path, entry(4));
  await rename(path, `${path}.1`);
  await writeFile(path, entry(6));
  await rename(`${path}.1`, `${path}.2`);
  await rename(path, `${path}.1`);
  await rm(`${path}.2`);
  await writeFile(path, entry(8));
  finished = true;
  await following;
  assert.deepEqual(got, ["line-4", "line-6", "line-8"]);
});

test("a replay during rotations sees every file once: no file skipped, none read twice", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "berth-lograce-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const path = join(dir, "c-json.log");
  // A writer that rotates as the shim does (oldest rename first, then log → log.1), one
  // entry per file, a few ms apart, never deleting: every replay must be 1..k, no gap, no repeat.
  let n = 0;
  await writeFile(path, entry(++n));
  const writer = (async () => {
    for (let files = 0; files < 60; files++) {
      for (let i = files; i >= 1; i--) await rename(`${path}.${i}`, `${path}.${i + 1}`);
      await rename(path, `${path}.1`);
      await appendFile(path, entry(++n));
      await sleep(5);
    }
  })();
  let done = false;
  void writer.finally(() => { done = true; });
  let rounds = 0;
  while (!done) {
    const got: number[] = [];
    await replayLogFiles(path, { stdout: true, stderr: true }, { entry: (e) => { got.push(Number(/line-(\d+)/.exec(e.log.toString())?.[1])); } });
    assert.deepEqual(got, got.map((_, i) => i + 1), `replay ${rounds}: ${got.join(",")}`);
    rounds++;
  }
  await writer;
  assert.ok(rounds >= 3, `replays raced the rotations ${rounds} times`);
});
