import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { openSync, closeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { jsonLogger } from "./json-logger.js";

async function capture(t: import("node:test").TestContext, level: string, use: (l: ReturnType<typeof jsonLogger>) => void): Promise<Array<Record<string, unknown>>> {
  const dir = await mkdtemp(join(tmpdir(), "berth-log-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const file = join(dir, "log");
  const fd = openSync(file, "w");
  try {
    use(jsonLogger({ level, fd, base: { pid: 42 } }));
  } finally {
    closeSync(fd);
  }
  return (await readFile(file, "utf8")).split("\n").filter((l) => l !== "").map((l) => JSON.parse(l) as Record<string, unknown>);
}

test("lines are pino's JSON: numeric level, time, base and child bindings, fields, msg", async (t) => {
  const before = Date.now();
  const lines = await capture(t, "info", (l) => {
    l.info({ hosts: ["unix:///x"], n: 1 }, "API listen");
    l.child({ service: "containers" }).warn("plain message");
    l.debug({ hidden: true }, "below the level");
    l.error({ err: Object.assign(new Error("boom"), { code: "EIO" }) }, "request failed");
  });
  assert.equal(lines.length, 3);
  assert.deepEqual({ ...lines[0], time: 0 }, { level: 30, time: 0, pid: 42, hosts: ["unix:///x"], n: 1, msg: "API listen" });
  assert.ok((lines[0]?.time as number) >= before);
  assert.deepEqual({ ...lines[1], time: 0 }, { level: 40, time: 0, pid: 42, service: "containers", msg: "plain message" });
  const err = lines[2]?.err as Record<string, unknown>;
  assert.equal(lines[2]?.level, 50);
  assert.equal(err.type, "Error");
  assert.equal(err.message, "boom");
  assert.equal(err.code, "EIO");
  assert.match(String(err.stack), /^Error: boom\n/);
});

test("the level filters, and isLevelEnabled tells", async (t) => {
  let enabled: boolean[] = [];
  const lines = await capture(t, "trace", (l) => {
    l.trace("t");
    l.debug("d");
    enabled = [l.isLevelEnabled("trace"), l.child({ a: 1 }).isLevelEnabled("debug")];
  });
  assert.deepEqual(lines.map((l) => [l.level, l.msg]), [[10, "t"], [20, "d"]]);
  assert.deepEqual(enabled, [true, true]);
  const none = await capture(t, "error", (l) => {
    l.warn("w");
    enabled = [l.isLevelEnabled("warn")];
  });
  assert.deepEqual(none, []);
  assert.deepEqual(enabled, [false]);
});
