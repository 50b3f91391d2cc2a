import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readdir, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createNetnsFile } from "./netns-file.js";

test("createNetnsFile() makes the file and runs one command: unshare with lo up inside", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "berth-netns-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const path = join(dir, "netns", "c1");
  const calls: Array<readonly string[]> = [];
  await createNetnsFile(path, async (cmd, args) => {
    // The file exists when the command runs: unshare binds the namespace on it.
    await stat(path);
    calls.push([cmd, ...args]);
  });
  assert.deepEqual(calls, [["unshare", `--net=${path}`, "ip", "link", "set", "dev", "lo", "up"]]);
  assert.equal((await stat(join(dir, "netns"))).mode & 0o777, 0o700);
});

test("createNetnsFile() removes the file again and says which when the command fails", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "berth-netns-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const path = join(dir, "c2");
  await assert.rejects(
    createNetnsFile(path, async () => { throw Object.assign(new Error("unshare: x"), { stderr: "unshare: unshare failed: Operation not permitted" }); }),
    (err: Error) => err.message === `create network namespace "${path}": unshare: unshare failed: Operation not permitted`,
  );
  assert.deepEqual(await readdir(dir), []);
});
