/**
 * `commit` through the docker CLI and berth: a committed image that runs with the changed
 * files, carries the `-c` changes, shows in `history`; the container is paused meanwhile.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { startDaemon } from "../daemon/daemon-helper.js";

const CHANGES = [
  "mkdir -p /data/sub",
  "echo hello > /data/sub/file.txt",
  "echo changed >> /etc/passwd",
  "rm /bin/vi",
  "rm -r /home",
  "mkdir /home && touch /home/new",
  // An opaque directory: the image's /usr/bin and /usr/sbin must not come back.
  "rm -rf /usr && mkdir /usr && touch /usr/only",
].join(" && ");

test("commit: the new image runs with the changes, -c/-m/-a applied, history, pause, bad input", async (t) => {
  const d = await startDaemon(t);
  const ctr = `commit-${process.pid}`;
  const run = await d.docker(["run", "-d", "--name", ctr, "-e", "KEEP=1", "busybox", "sh", "-c", `${CHANGES} && sleep 300`]);
  assert.equal(run.code, 0, run.stderr);
  for (let i = 0; i < 50 && (await d.docker(["diff", ctr])).stdout.includes("/home/new") === false; i++) await new Promise((r) => setTimeout(r, 100));

  // docker commit of the running container (paused while its layer is read).
  const since = Math.floor(Date.now() / 1000) - 1;
  const c = await d.docker(["commit", "-c", "ENV FOO=bar", "-c", 'CMD ["cat", "/data/sub/file.txt"]', "-c", "LABEL team=files",
    "-c", "WORKDIR /data", "-m", "first commit", "-a", "Tester <t@example.com>", ctr, `committed-${process.pid}:v1`]);
  assert.equal(c.code, 0, c.stderr);
  assert.match(c.stdout, /^sha256:[0-9a-f]{64}\n$/);
  const img = `committed-${process.pid}:v1`;
  assert.equal((await d.docker(["inspect", "-f", "{{.State.Running}} {{.State.Paused}}", ctr])).stdout, "true false\n");
  const ev = await d.docker(["events", "--since", String(since), "--until", String(Math.floor(Date.now() / 1000) + 1), "--filter", `container=${ctr}`, "--format", "{{.Action}}"]);
  assert.deepEqual(ev.stdout.split("\n").filter((a) => ["pause", "unpause", "commit"].includes(a)), ["pause", "unpause", "commit"]);
  const ran = await d.docker(["run", "--rm", img]);
  assert.equal(ran.code, 0, ran.stderr);
  assert.equal(ran.stdout, "hello\n");
  const env = await d.docker(["run", "--rm", img, "sh", "-c", "echo $FOO $KEEP; pwd; tail -1 /etc/passwd; ls /bin/vi 2>&1; ls /home; ls /usr"]);
  assert.equal(env.stdout, "bar 1\n/data\nchanged\nls: /bin/vi: No such file or directory\nnew\nonly\n");
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
