/** `docker top CONTAINER [ps OPTIONS]`: the ps arguments reach the daemon as `ps_args`, as dockerd runs them. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { httpCall, startDaemon } from "./daemon-helper.js";

test("docker top runs ps with the given arguments on the container's processes only", async (t) => {
  const d = await startDaemon(t);
  const name = `top-${process.pid}`;
  assert.equal((await d.docker(["run", "-d", "--name", name, "busybox", "sleep", "1000"])).code, 0);
  const pid = (await d.docker(["inspect", "-f", "{{.State.Pid}}", name])).stdout.trim();

  const def = await d.docker(["top", name]);
  assert.equal(def.code, 0, def.stderr);
  const defLines = def.stdout.trimEnd().split("\n");
  assert.deepEqual(defLines[0]?.split(/\s+/), ["UID", "PID", "PPID", "C", "STIME", "TTY", "TIME", "CMD"]);
  assert.equal(defLines.length, 2, def.stdout);
  assert.match(defLines[1] ?? "", new RegExp(`^root\\s+${pid}\\s.*sleep 1000$`));

  const aux = await d.docker(["top", name, "aux"]);
  assert.equal(aux.code, 0, aux.stderr);
  const auxLines = aux.stdout.trimEnd().split("\n");
  assert.deepEqual(auxLines[0]?.split(/\s+/), ["USER", "PID", "%CPU", "%MEM", "VSZ", "RSS", "TTY", "STAT", "START", "TIME", "COMMAND"]);
  assert.equal(auxLines.length, 2, "only the container's process, not the host's");
  assert.match(auxLines[1] ?? "", new RegExp(`^root\\s+${pid}\\s.*sleep 1000$`));

  const cols = await d.docker(["top", name, "-o", "pid,comm"]);
  assert.equal(cols.code, 0, cols.stderr);
  assert.deepEqual(cols.stdout.trimEnd().split("\n").map((l) => l.trim().split(/\s+/)), [["PID", "COMMAND"], [pid, "sleep"]]);

  const api = await httpCall(d.socket, "GET", `/v1.50/containers/${name}/top?ps_args=${encodeURIComponent("-o pid,args")}`);
  assert.equal(api.status, 200);
  assert.deepEqual(JSON.parse(api.body), { Titles: ["PID", "COMMAND"], Processes: [[pid, "sleep 1000"]] });

  const bad = await d.docker(["top", name, "--bogus"]);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /Error response from daemon: ps: error: unknown gnu long option/);
  const renamed = await httpCall(d.socket, "GET", `/containers/${name}/top?ps_args=${encodeURIComponent("-o user=PID")}`);
  assert.equal(renamed.status, 400);
  assert.equal(JSON.parse(renamed.body).message, `specifying "user=PID" is not allowed`);

  const berth = await d.berth(["top", name, "aux"]);
  assert.equal(berth.code, 0, berth.stderr);
  assert.deepEqual(berth.stdout.split("\n")[0]?.split(/\s+/), auxLines[0]?.split(/\s+/));
  assert.match(berth.stdout, /sleep 1000\n$/);

  assert.equal((await d.docker(["rm", "-f", name])).code, 0);
  const stopped = `top-stopped-${process.pid}`;
  assert.equal((await d.docker(["create", "--name", stopped, "busybox", "true"])).code, 0);
  const notRunning = await d.docker(["top", stopped]);
  assert.equal(notRunning.code, 1);
  assert.match(notRunning.stderr, /is not running/);
});
