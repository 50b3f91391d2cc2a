/** pause/unpause through berth and the docker CLI: the freezer really stops the processes. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { httpCall, startDaemon, type TestDaemon } from "../daemon/daemon-helper.js";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// A counter the container bumps every 50 ms, read from the host through the rootfs mount.
const COUNTER = ["sh", "-c", "i=0; while true; do i=$((i+1)); echo $i > /tmp/n; sleep 0.05; done"];

async function counter(d: TestDaemon, id: string): Promise<number> {
  const text = await readFile(join(d.dataRoot, "containers", id, "rootfs", "tmp", "n"), "utf8").catch(() => "");
  return Number(text.trim() || "0");
}

async function runCounter(d: TestDaemon, name: string, cli: "berth" | "docker"): Promise<string> {
  const r = await d[cli](["run", "-d", "--name", name, "busybox", ...COUNTER]);
  assert.equal(r.code, 0, r.stderr);
  const id = r.stdout.trim();
  for (let i = 0; i < 100 && (await counter(d, id)) < 2; i++) await sleep(50);
  return id;
}

test("pause freezes, unpause resumes; state, ps, events and errors as docker's", async (t) => {
  const d = await startDaemon(t);
  const since = Math.floor(Date.now() / 1000) - 1;
  const name = `pz${process.pid}`;
  const id = await runCounter(d, name, "berth");
  const p = await d.berth(["pause", name]);
  assert.equal(p.code, 0, p.stderr);
  assert.equal(p.stdout, `${name}\n`);
  const frozen = await counter(d, id);
  await sleep(400);
  assert.equal(await counter(d, id), frozen, "the counter does not advance while paused");
  const st = await d.docker(["inspect", "-f", "{{.State.Status}} {{.State.Paused}} {{.State.Running}}", name]);
  assert.equal(st.stdout, "paused true true\n", st.stderr);
  const ps = await d.docker(["ps", "--filter", `name=${name}`, "--format", "{{.Status}}"]);
  assert.match(ps.stdout, /^Up .* \(Paused\)\n$/);
  const psPaused = await d.berth(["ps", "-q", "--filter", "status=paused"]);
  assert.equal(psPaused.stdout, `${id.slice(0, 12)}\n`);

  const again = await httpCall(d.socket, "POST", `/containers/${name}/pause`);
  assert.equal(again.status, 409);
  assert.match(again.body, new RegExp(`Container ${id} is already paused`));
  const exec = await d.docker(["exec", name, "true"]);
  assert.notEqual(exec.code, 0);
  assert.match(exec.stderr, /is paused, unpause the container before exec/);
  const rm = await d.docker(["rm", name]);
  assert.notEqual(rm.code, 0);
  assert.match(rm.stderr, /container is paused/);

  const u = await d.docker(["unpause", name]);
  assert.equal(u.code, 0, u.stderr);
  await sleep(300);
  assert.ok((await counter(d, id)) > frozen, "the counter advances after unpause");
  assert.equal((await d.berth(["inspect", "-f", "{{.State.Status}}", name])).stdout, "running\n");
  const notPaused = await d.berth(["unpause", name]);
  assert.equal(notPaused.code, 1);
  assert.match(notPaused.stderr, new RegExp(`Container ${id} is not paused`));
  const status = await httpCall(d.socket, "POST", `/containers/${name}/unpause`);
  assert.equal(status.status, 409);

  const events = await d.docker(["events", "--since", String(since), "--until", String(Math.floor(Date.now() / 1000) + 1),
    "--filter", `container=${name}`, "--filter", "event=pause", "--filter", "event=unpause", "--format", "{{.Action}}"]);
  assert.equal(events.stdout, "pause\nunpause\n", events.stderr);

  const created = await d.berth(["create", "--name", `${name}c`, "busybox", "true"]);
  assert.equal(created.code, 0, created.stderr);
  const stopped = await httpCall(d.socket, "POST", `/containers/${name}c/pause`);
  assert.equal(stopped.status, 409);
  assert.match(stopped.body, /is not running/);
  const missing = await d.docker(["pause", "no-such-container"]);
  assert.notEqual(missing.code, 0);
  assert.match(missing.stderr, /No such container: no-such-container/);
});

test("stop, kill and rm -f of a paused container work (it is thawed first)", async (t) => {
  const d = await startDaemon(t);
  const a = `pa${process.pid}`;
  const b = `pb${process.pid}`;
  const c = `pc${process.pid}`;
  await Promise.all([runCounter(d, a, "docker"), runCounter(d, b, "berth"), runCounter(d, c, "berth")]);
  for (const n of [a, b, c]) assert.equal((await d.docker(["pause", n])).code, 0);
  const started = Date.now();
  const stop = await d.docker(["stop", "-t", "1", a]);
  assert.equal(stop.code, 0, stop.stderr);
  assert.ok(Date.now() - started < 8000);
  assert.match((await d.docker(["inspect", "-f", "{{.State.Status}} {{.State.Paused}}", a])).stdout, /^exited false\n$/);
  const kill = await d.berth(["kill", b]);
  assert.equal(kill.code, 0, kill.stderr);
  const waited = await d.berth(["wait", b]);
  assert.equal(waited.stdout, "137\n");
  const rm = await d.berth(["rm", "-f", c]);
  assert.equal(rm.code, 0, rm.stderr);
  assert.equal((await d.berth(["ps", "-aq", "--filter", `name=${c}`])).stdout, "");
});
