/**
 * `diff`, `export` and `commit` through the docker CLI and berth: the changes of the
 * writable layer as docker prints them, the exported rootfs, and a committed image that
 * runs with the changed files, carries the `-c` changes and shows in `history`.
 */
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

test("commit: the new image runs with the changes, -c/-m/-a applied, history, pause, bad input", async (t) => {
  const d = await startDaemon(t);
  const ctr = `commit-${process.pid}`;
  const run = await d.docker(["run", "-d", "--name", ctr, "-e", "KEEP=1", "busybox", "sh", "-c", `${CHANGES} && sleep 300`]);
  assert.equal(run.code, 0, run.stderr);
  for (let i = 0; i < 50 && (await d.docker(["diff", ctr])).stdout.includes("/home/new") === false; i++) await new Promise((r) => setTimeout(r, 100));

  // docker commit of the running container (paused while its layer is read).
  const c = await d.docker(["commit", "-c", "ENV FOO=bar", "-c", 'CMD ["cat", "/data/sub/file.txt"]', "-c", "LABEL team=files",
    "-c", "WORKDIR /data", "-m", "first commit", "-a", "Tester <t@example.com>", ctr, `committed-${process.pid}:v1`]);
  assert.equal(c.code, 0, c.stderr);
  assert.match(c.stdout, /^sha256:[0-9a-f]{64}\n$/);
  const img = `committed-${process.pid}:v1`;
  assert.equal((await d.docker(["inspect", "-f", "{{.State.Running}} {{.State.Paused}}", ctr])).stdout, "true false\n");
  const ran = await d.docker(["run", "--rm", img]);
  assert.equal(ran.code, 0, ran.stderr);
  assert.equal(ran.stdout, "hello\n");
  const env = await d.docker(["run", "--rm", img, "sh", "-c", "echo $FOO $KEEP; pwd; tail -1 /etc/passwd; ls /bin/vi 2>&1; ls /home"]);
  assert.equal(env.stdout, "bar 1\n/data\nchanged\nls: /bin/vi: No such file or directory\nnew\n");
  const insp = await d.docker(["inspect", "-f", "{{.Comment}}|{{.Author}}|{{.Config.Labels.team}}|{{len .RootFS.Layers}}", img]);
  assert.equal(insp.stdout, "first commit|Tester <t@example.com>|files|2\n");
  const hist = await d.docker(["history", "--no-trunc", "--format", "{{.CreatedBy}}|{{.Comment}}", img]);
  assert.equal(hist.stdout.split("\n")[0], `sh -c ${CHANGES} && sleep 300|first commit`);
  assert.equal(hist.stdout.trim().split("\n").length, 2);

  // berth commit of the stopped container, no tag: a dangling image that still runs.
  assert.equal((await d.docker(["stop", "-t", "0", ctr])).code, 0);
  const b = await d.berth(["commit", "-c", "ENTRYPOINT [\"ls\"]", ctr]);
  assert.equal(b.code, 0, b.stderr);
  const id = b.stdout.trim();
  assert.match(id, /^sha256:[0-9a-f]{64}$/);
  const ls = await d.docker(["run", "--rm", id, "/data/sub"]);
  assert.equal(ls.stdout, "file.txt\n", ls.stderr);
  const dangling = await d.docker(["images", "-q", "--filter", "dangling=true", "--no-trunc"]);
  assert.equal(dangling.stdout.trim(), id);
  // An image committed from a container of a committed image stacks a third layer.
  const second = await d.docker(["run", "--name", `${ctr}-2`, img, "sh", "-c", "echo more > /data/more.txt"]);
  assert.equal(second.code, 0, second.stderr);
  const c2 = await d.berth(["commit", "-m", "second", `${ctr}-2`, `committed-${process.pid}:v2`]);
  assert.equal(c2.code, 0, c2.stderr);
  const h2 = await d.berth(["history", "--format", "{{.Comment}}", `committed-${process.pid}:v2`]);
  assert.equal(h2.stdout, "second\nfirst commit\n\n");
  assert.equal((await d.docker(["run", "--rm", `committed-${process.pid}:v2`, "cat", "/data/more.txt", "/data/sub/file.txt"])).stdout, "more\nhello\n");

  // Bad input: clear errors, no image made.
  const before = (await d.docker(["images", "-aq"])).stdout;
  const badChange = await d.docker(["commit", "-c", "RUN echo no", ctr, "bad:1"]);
  assert.equal(badChange.code, 1);
  assert.match(badChange.stderr, /run is not a valid change command/);
  const badRef = await d.berth(["commit", ctr, "UPPER/Case"]);
  assert.equal(badRef.code, 1);
  assert.match(badRef.stderr, /invalid reference format/);
  const noCtr = await d.docker(["commit", "no-such-ctr", "x:1"]);
  assert.match(noCtr.stderr, /No such container: no-such-ctr/);
  assert.equal((await d.docker(["images", "-aq"])).stdout, before);
});
