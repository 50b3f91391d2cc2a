import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { JsonLogWriter, parseRfc3339Nano, readLog, rfc3339Nano } from "./json-log.js";
import { DetachScanner, parseDetachKeys } from "./detach-keys.js";
import { mergeImageConfig } from "./container-service.js";

test("JsonLogWriter writes Docker json-file lines split at newlines; readLog filters and tails", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "berth-log-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const p = join(dir, "x-json.log");
  const w = new JsonLogWriter(p);
  w.write("stdout", Buffer.from("a\nb"));
  w.write("stderr", Buffer.from("e\n"));
  w.write("stdout", Buffer.from("c\n"));
  w.write("stdout", Buffer.from("tail-no-newline"));
  await w.close();
  const lines = (await readFile(p, "utf8")).trim().split("\n").map((l) => JSON.parse(l) as { log: string; stream: string; time: string });
  assert.deepEqual(lines.map((l) => [l.stream, l.log]), [["stdout", "a\n"], ["stderr", "e\n"], ["stdout", "bc\n"], ["stdout", "tail-no-newline"]]);
  assert.match(lines[0]?.time ?? "", /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
  const all = await readLog(p, { stdout: true, stderr: true });
  assert.equal(all.entries.length, 4);
  const out = await readLog(p, { stdout: true, stderr: false, tail: 2 });
  assert.deepEqual(out.entries.map((e) => e.log.toString()), ["bc\n", "tail-no-newline"]);
  const later = await readLog(p, { stdout: true, stderr: true, since: (all.entries[2]?.nano ?? 0n) });
  assert.equal(later.entries.length, 2);
});

test("rfc3339Nano() round-trips through parseRfc3339Nano()", () => {
  const n = 1795610442011754768n;
  assert.equal(rfc3339Nano(n), "2026-11-25T12:40:42.011754768Z");
  assert.equal(parseRfc3339Nano(rfc3339Nano(n)), n);
});

test("DetachScanner swallows Ctrl-P Ctrl-Q and passes lone Ctrl-P through", () => {
  const s = new DetachScanner(parseDetachKeys("ctrl-p,ctrl-q"));
  assert.deepEqual(s.feed(Buffer.from([0x61, 0x10, 0x62])), { forward: Buffer.from([0x61, 0x10, 0x62]), detached: false });
  assert.deepEqual(s.feed(Buffer.from([0x63, 0x10])), { forward: Buffer.from([0x63]), detached: false });
  assert.deepEqual(s.feed(Buffer.from([0x11])), { forward: Buffer.alloc(0), detached: true });
  assert.throws(() => parseDetachKeys("ctrl-1x"), /Invalid detach keys/);
});

test("mergeImageConfig() follows Docker's Entrypoint/Cmd/Env rules", () => {
  const img = { Cmd: ["sh"], Entrypoint: ["/init"], Env: ["PATH=/bin", "A=1"], WorkingDir: "/w", User: "u" };
  const a = mergeImageConfig({ Image: "x" }, img);
  assert.deepEqual([a.Entrypoint, a.Cmd, a.WorkingDir, a.User], [["/init"], ["sh"], "/w", "u"]);
  const b = mergeImageConfig({ Image: "x", Cmd: ["ls"], Env: ["A=2"] }, img);
  assert.deepEqual([b.Entrypoint, b.Cmd, b.Env], [["/init"], ["ls"], ["PATH=/bin", "A=2"]]);
  const c = mergeImageConfig({ Image: "x", Entrypoint: ["echo"] }, img);
  assert.deepEqual([c.Entrypoint, c.Cmd], [["echo"], null]);
  const d = mergeImageConfig({ Image: "x", Entrypoint: [""], Cmd: ["id"] }, img);
  assert.deepEqual([d.Entrypoint, d.Cmd], [null, ["id"]]);
});
