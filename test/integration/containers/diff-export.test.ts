/** `diff` and `export` through the docker CLI and berth: the writable layer's changes as docker prints them, the exported rootfs. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { runCommand, startDaemon } from "../daemon/daemon-helper.js";

const CHANGES = [
  "mkdir -p /data/sub",
  "echo hello > /data/sub/file.txt",
  "echo changed >> /etc/passwd",
  "rm /bin/vi",
  "rm -r /home",
  "mkdir /home && touch /home/new",
].join(" && ");

test("diff and export: the writable layer's changes, the merged rootfs as a tar", async (t) => {
  const d = await startDaemon(t);
  const ctr = `diff-${process.pid}`;
  const run = await d.docker(["run", "--name", ctr, "busybox", "sh", "-c", CHANGES]);
  assert.equal(run.code, 0, run.stderr);
  // docker's order and letters: parents before children, C for a directory that holds a change.
  const expected = [
    "C /bin", "D /bin/vi", "A /data", "A /data/sub", "A /data/sub/file.txt", "C /etc", "C /etc/passwd", "C /home", "A /home/new", "",
  ].join("\n");
  const dd = await d.docker(["diff", ctr]);
  assert.equal(dd.code, 0, dd.stderr);
  assert.equal(dd.stdout, expected);
  const bd = await d.berth(["container", "diff", ctr]);
  assert.equal(bd.stdout, expected, bd.stderr);
  // A fresh container has no changes (the runtime's mount points are not changes).
  const fresh = await d.docker(["create", "busybox", "true"]);
  assert.equal((await d.docker(["diff", fresh.stdout.trim()])).stdout, "");
  assert.equal((await d.docker(["start", "-a", fresh.stdout.trim()])).code, 0);
  assert.equal((await d.berth(["diff", fresh.stdout.trim()])).stdout, "");

  // export: the merged filesystem, with the new file and without the deleted ones.
  const ex = await d.docker(["export", ctr]);
  assert.equal(ex.code, 0, ex.stderr);
  const names = (await runCommand("tar", ["tf", "-"], { input: ex.stdoutBuf })).stdout.split("\n");
  assert.ok(names.includes("data/sub/file.txt"));
  assert.ok(names.includes("bin/busybox"));
  assert.ok(names.includes("home/new"));
  assert.equal(names.includes("bin/vi"), false);
  assert.equal(names.some((n) => n.includes(".wh.")), false);
  const content = await runCommand("tar", ["xOf", "-", "data/sub/file.txt"], { input: ex.stdoutBuf });
  assert.equal(content.stdout, "hello\n");
  const bx = await d.berth(["export", ctr]);
  assert.deepEqual((await runCommand("tar", ["tf", "-"], { input: bx.stdoutBuf })).stdout.split("\n"), names);
  // Errors.
  const nope = await d.docker(["diff", "no-such-ctr"]);
  assert.match(nope.stderr, /No such container: no-such-ctr/);
  const nopeB = await d.berth(["export", "no-such-ctr"]);
  assert.equal(nopeB.stderr, "Error response from daemon: No such container: no-such-ctr\n");
});
