import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { StateStore, checkId, writeFileAtomic, type ContainerRecord } from "./state.js";
import { kindOf } from "../shared/errors.js";

function temp(t: { after: (fn: () => void) => void }): string {
  const d = mkdtempSync(join(tmpdir(), "berth-state-"));
  t.after(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

const rec = (id: string): ContainerRecord => ({
  id, bundle: "/b", rootfs: "/b/rootfs", pid: 42, startTime: "123", status: "created", cgroupsPath: `/x/${id}`,
  created: "2026-01-01T00:00:00.000Z", owner: "0",
});

test("checkId() accepts runc-style ids and rejects paths", () => {
  for (const ok of ["a", "abc-123", "A_b.c+d", "0"]) checkId(ok);
  for (const bad of ["", "../x", "a/b", ".hidden", "-x", "a b"]) {
    assert.throws(() => checkId(bad), (e: unknown) => kindOf(e) === "invalid-argument", bad);
  }
});

test("writeFileAtomic() replaces the file and leaves no temp file", (t) => {
  const d = temp(t);
  const p = join(d, "state.json");
  writeFileAtomic(p, "one");
  writeFileAtomic(p, "two", { durable: false });
  assert.equal(readFileSync(p, "utf8"), "two");
  assert.deepEqual(readdirSync(d), ["state.json"]);
});

test("StateStore reserves an id once, reads, lists and removes records", (t) => {
  const store = new StateStore(join(temp(t), "root"));
  store.reserve("c1");
  assert.throws(() => store.reserve("c1"), (e: unknown) => kindOf(e) === "already-exists");
  store.write(rec("c1"));
  store.reserve("c2");
  store.write(rec("c2"));
  store.reserve("c3"); // no state.json yet: not listed
  assert.deepEqual(store.read("c1"), rec("c1"));
  assert.deepEqual(store.ids(), ["c1", "c2"]);
  assert.equal(store.fifo("c1"), join(store.root, "c1", "exec.fifo"));
  store.remove("c1");
  assert.throws(() => store.read("c1"), (e: unknown) => kindOf(e) === "not-found" && /container "c1" does not exist/.test((e as Error).message));
});

test("StateStore reads a torn placeholder as a container that never got created", (t) => {
  const store = new StateStore(join(temp(t), "root"));
  store.reserve("c1");
  writeFileSync(join(store.dir("c1"), "state.json"), "");
  const r = store.read("c1");
  assert.equal(r.status, "creating");
  assert.equal(r.pid, 0);
});
