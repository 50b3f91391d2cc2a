import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdirSync, readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { Runtime } from "../../../src/runtime/runtime.js";
import { makeBundle, uniqueId } from "../../helpers/bundle.js";
import { kindOf } from "../../../src/shared/errors.js";

async function waitStopped(rt: Runtime, id: string): Promise<void> {
  for (let i = 0; i < 1500; i++) {
    if ((await rt.state(id)).status === "stopped") return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`container ${id} did not stop`);
}

test("one Runtime drives many containers concurrently from one process", async (t) => {
  const b = makeBundle((s) => (s.process.args = ["sh", "-c", "echo $(hostname) > /out/$(cat /proc/sys/kernel/random/uuid)"]));
  const out = join(b.dir, "out");
  const spec = JSON.parse(readFileSync(join(b.dir, "config.json"), "utf8"));
  mkdirSync(out);
  spec.mounts.push({ destination: "/out", type: "bind", source: out, options: ["rbind"] });
  b.writeSpec(spec);
  const rt = new Runtime({ root: b.root });
  const ids = Array.from({ length: 6 }, () => uniqueId("lib"));
  t.after(async () => {
    for (const id of ids) await rt.delete(id, { force: true }).catch(() => {});
    b.cleanup();
  });
  const created = await Promise.all(ids.map((id) => rt.create(id, b.dir, { stdio: ["ignore", "ignore", "inherit"] })));
  for (const st of created) assert.equal(st.status, "created");
  assert.deepEqual((await rt.list()).map((c) => c.status), ids.map(() => "created"));
  await Promise.all(ids.map((id) => rt.start(id)));
  await Promise.all(ids.map((id) => waitStopped(rt, id)));
  assert.equal(readdirSync(out).length, ids.length);
  await Promise.all(ids.map((id) => rt.delete(id)));
  assert.deepEqual(await rt.list(), []);
  for (const id of ids) assert.equal(existsSync(`/sys/fs/cgroup/pids/berth-runtime/${id}`), false);
});

test("library errors carry kinds: not-found, already-exists, failed-precondition, invalid-argument", async (t) => {
  const b = makeBundle((s) => (s.process.args = ["sleep", "600"]));
  const rt = new Runtime({ root: b.root });
  const id = uniqueId("kinds");
  t.after(async () => {
    await rt.delete(id, { force: true }).catch(() => {});
    b.cleanup();
  });
  await assert.rejects(rt.state("nope"), (e: unknown) => kindOf(e) === "not-found");
  await rt.create(id, b.dir, { stdio: ["ignore", "ignore", "ignore"] });
  await assert.rejects(rt.create(id, b.dir), (e: unknown) => kindOf(e) === "already-exists");
  await assert.rejects(rt.delete(id), (e: unknown) => kindOf(e) === "failed-precondition");
  await assert.rejects(rt.resume(id), (e: unknown) => kindOf(e) === "failed-precondition");
  await assert.rejects(rt.kill(id, "SIGNOPE"), (e: unknown) => kindOf(e) === "invalid-argument");
  await rt.start(id);
  const h = await rt.exec(id, { args: ["sh", "-c", "exit 9"], cwd: "/", user: { uid: 0, gid: 0 }, env: ["PATH=/bin"] }, { stdio: ["ignore", "ignore", "ignore"] });
  assert.equal(await h.exited, 9);
  const stats = await rt.stats(id);
  assert.ok(stats.pids.current >= 1);
});
