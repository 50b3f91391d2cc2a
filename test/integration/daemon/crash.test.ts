import { test } from "node:test";
import assert from "node:assert/strict";
import { readdir, readFile } from "node:fs/promises";
import { request } from "node:http";
import { join } from "node:path";
import { httpCall, spawnDaemon, startDaemon } from "./daemon-helper.js";

test("kill -9 during a load leaves nothing the next start does not clean up", async (t) => {
  const d = await startDaemon(t);
  const archive = join(d.dir, "bb.tar");
  assert.equal((await d.berth(["save", "-o", archive, "busybox"])).code, 0);
  assert.equal((await d.berth(["rmi", "busybox"])).code, 0);
  const data = await readFile(archive);
  // Send half of the archive, then kill the daemon while it is spooling.
  const req = request({ socketPath: d.socket, method: "POST", path: "/v1.50/images/load", headers: { "Content-Length": String(data.length) } });
  req.on("error", () => undefined);
  req.write(data.subarray(0, Math.floor(data.length / 2)));
  let spooling = false;
  for (let i = 0; i < 800 && !spooling; i++) {
    await new Promise((r) => setTimeout(r, 25));
    spooling = (await readdir(join(d.dataRoot, "tmp"))).some((n) => n.startsWith("load-"));
  }
  assert.ok(spooling, "the load is spooling");
  if (d.process.pid !== undefined) process.kill(d.process.pid, "SIGKILL");
  await new Promise((r) => d.process.once("exit", r));
  req.destroy();

  const again = spawnDaemon(d.dir, d.dataRoot, d.socket);
  t.after(() => { if (again.exitCode === null && again.pid !== undefined) process.kill(again.pid, "SIGKILL"); });
  let up = false;
  for (let i = 0; i < 1200 && !up; i++) {
    await new Promise((r) => setTimeout(r, 50));
    up = await httpCall(d.socket, "GET", "/_ping").then((r) => r.status === 200, () => false);
  }
  assert.ok(up, "the restarted daemon serves (the stale lock of the killed one is taken over)");
  // Held until the start (with its clean-up of the data root) is over.
  assert.equal((await httpCall(d.socket, "GET", "/version")).status, 200);
  assert.deepEqual(await readdir(join(d.dataRoot, "tmp")), []);
  assert.deepEqual(await readdir(join(d.dataRoot, "content", "ingest")), []);
  // The killed load was never acknowledged: the next load works and yields the same image.
  const load = await httpCall(d.socket, "POST", "/images/load", data);
  assert.equal(load.status, 200);
  assert.match(load.body, /Loaded image: busybox:latest/);
  const exit = new Promise((r) => again.once("exit", r));
  if (again.pid !== undefined) process.kill(again.pid, "SIGTERM");
  await exit;
});
