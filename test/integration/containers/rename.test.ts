/** rename through berth and the docker CLI: ps shows the new name, the old one is free, errors as docker's. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { httpCall, startDaemon } from "../daemon/daemon-helper.js";

test("rename: ps and inspect show the new name, event rename, conflicts and bad names refused", async (t) => {
  const d = await startDaemon(t);
  const since = Math.floor(Date.now() / 1000) - 1;
  const a = `ra${process.pid}`;
  const b = `rb${process.pid}`;
  const run = await d.berth(["run", "-d", "--name", a, "busybox", "sleep", "1000"]);
  assert.equal(run.code, 0, run.stderr);
  const id = run.stdout.trim();
  const r1 = await d.berth(["rename", a, b]);
  assert.equal(r1.code, 0, r1.stderr);
  assert.equal(r1.stdout, "");
  assert.equal((await d.docker(["ps", "--format", "{{.Names}}"])).stdout, `${b}\n`);
  assert.equal((await d.berth(["inspect", "-f", "{{.Name}}", id])).stdout, `/${b}\n`);
  assert.equal((await d.docker(["inspect", a])).code, 1, "the old name is gone");
  // The old name is free again; a running container can be renamed by the docker CLI too.
  assert.equal((await d.docker(["create", "--name", a, "busybox", "true"])).code, 0);
  const c = `rc${process.pid}`;
  const r2 = await d.docker(["rename", b, c]);
  assert.equal(r2.code, 0, r2.stderr);
  assert.equal((await d.berth(["ps", "-a", "--format", "{{.Names}}", "--filter", `id=${id}`])).stdout, `${c}\n`);

  const taken = await d.docker(["rename", c, a]);
  assert.notEqual(taken.code, 0);
  assert.match(taken.stderr, new RegExp(`Conflict. The container name "/${a}" is already in use by container`));
  const takenApi = await httpCall(d.socket, "POST", `/containers/${c}/rename?name=${a}`);
  assert.equal(takenApi.status, 409);
  const bad = await d.berth(["rename", c, "bad name!"]);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /Invalid container name \(bad name!\), only \[a-zA-Z0-9\]\[a-zA-Z0-9_.-\] are allowed/);
  const same = await httpCall(d.socket, "POST", `/containers/${c}/rename?name=${c}`);
  assert.equal(same.status, 400);
  assert.match(same.body, /Renaming a container with the same name as its current name/);
  const empty = await httpCall(d.socket, "POST", `/containers/${c}/rename?name=`);
  assert.equal(empty.status, 400);
  assert.match(empty.body, /Neither old nor new names may be empty/);
  const missing = await httpCall(d.socket, "POST", "/containers/nope-nope/rename?name=whatever");
  assert.equal(missing.status, 404);
  assert.equal((await d.berth(["inspect", "-f", "{{.Name}}", id])).stdout, `/${c}\n`, "failed renames change nothing");

  const events = await d.docker(["events", "--since", String(since), "--until", String(Math.floor(Date.now() / 1000) + 1),
    "--filter", "event=rename", "--format", "{{.Actor.Attributes.oldName}} {{.Actor.Attributes.name}}"]);
  assert.equal(events.stdout, `/${a} ${b}\n/${b} ${c}\n`, events.stderr);
});
