import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseLogLine, replayLog, type ReplayEntry } from "./json-log-replay.js";
import { parseRfc3339Nano } from "./json-log.js";

/** A line as berth-shim writes it (JSON.stringify escapes what moby's encoder escapes, or less). */
function line(log: string, stream: "stdout" | "stderr", time: string): string {
  return `{"log":${JSON.stringify(log)},"stream":"${stream}","time":"${time}"}\n`;
}

async function replayAll(p: string, o: Parameters<typeof replayLog>[1]): Promise<{ got: Array<[string, string, string]>; offset: number }> {
  const got: Array<[string, string, string]> = [];
  let flushes = 0;
  const offset = await replayLog(p, o, {
    entry: (e: ReplayEntry) => got.push([e.stream, e.log.toString("utf8"), e.time]),
    flush: async () => { flushes++; },
  });
  assert.ok(flushes > 0 || got.length === 0, "flush is awaited while replaying");
  return { got, offset };
}

test("parseLogLine() cuts shim lines apart and falls back to JSON.parse for escapes and other shapes", () => {
  const cases: Array<[string, ["stdout" | "stderr", string, string] | undefined]> = [
    [line("hello\n", "stdout", "2026-11-25T12:00:00.1Z"), ["stdout", "hello\n", "2026-11-25T12:00:00.1Z"]],
    [line("no newline", "stderr", "2026-11-25T12:00:00Z"), ["stderr", "no newline", "2026-11-25T12:00:00Z"]],
    [line("tab\tquote\" back\\slash \u00e9 \u2028\n", "stdout", "2026-11-25T12:00:00.123456789Z"), ["stdout", "tab\tquote\" back\\slash \u00e9 \u2028\n", "2026-11-25T12:00:00.123456789Z"]],
    [line("fake \",\"stream\":\"stderr\n", "stdout", "2026-11-25T12:00:01Z"), ["stdout", "fake \",\"stream\":\"stderr\n", "2026-11-25T12:00:01Z"]],
    [line("", "stdout", "2026-11-25T12:00:02Z"), ["stdout", "", "2026-11-25T12:00:02Z"]],
    [`{"stream":"stdout","log":"reordered\\n","time":"2026-11-25T12:00:03Z"}\n`, ["stdout", "reordered\n", "2026-11-25T12:00:03Z"]],
    ["not json\n", undefined],
    [`{"log":"x","stream":"stdin","time":"t"}\n`, undefined],
  ];
  for (const [text, want] of cases) {
    const buf = Buffer.from(text);
    const e = parseLogLine(buf, 0, buf.length - 1);
    assert.deepEqual(e === undefined ? undefined : [e.stream, e.log.toString("utf8"), e.time], want, text);
  }
});

test("replayLog() replays every entry across chunk boundaries, with tail, since/until and stream filters", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "berth-replay-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const p = join(dir, "x-json.log");
  // 30000 lines of about 100 bytes: about 3 MB, so lines straddle the 1 MiB read chunks.
  const lines: string[] = [];
  const want: Array<[string, string, string]> = [];
  for (let i = 0; i < 30000; i++) {
    const stream = i % 7 === 0 ? "stderr" : "stdout";
    const log = i % 1000 === 5 ? `line ${i} with "quotes"\n` : `line ${i} ${"x".repeat(i % 40)}\n`;
    const time = `2026-11-25T12:00:${String(Math.floor(i / 1000)).padStart(2, "0")}.${String(i % 1000).padStart(3, "0")}000001Z`;
    lines.push(line(log, stream, time));
    want.push([stream, log, time]);
  }
  // A partial last line (the shim is still writing it) is not replayed.
  const partial = '{"log":"half';
  await writeFile(p, lines.join("") + partial);
  const size = Buffer.byteLength(lines.join(""));

  const all = await replayAll(p, { stdout: true, stderr: true });
  assert.equal(all.got.length, 30000);
  assert.deepEqual(all.got, want);
  assert.equal(all.offset, size, "the offset is where the incomplete line starts");

  const errOnly = await replayAll(p, { stdout: false, stderr: true });
  assert.deepEqual(errOnly.got, want.filter((w) => w[0] === "stderr"));

  const tail = await replayAll(p, { stdout: true, stderr: false, tail: 25 });
  assert.deepEqual(tail.got, want.filter((w) => w[0] === "stdout").slice(-25));
  const tail0 = await replayAll(p, { stdout: true, stderr: true, tail: 0 });
  assert.deepEqual(tail0.got, []);
  const tailMore = await replayAll(p, { stdout: true, stderr: true, tail: 99999 });
  assert.equal(tailMore.got.length, 30000);

  const since = parseRfc3339Nano("2026-11-25T12:00:10.500000001Z");
  const until = parseRfc3339Nano("2026-11-25T12:00:12Z");
  const window = await replayAll(p, { stdout: true, stderr: true, since, until });
  assert.deepEqual(window.got, want.filter((w) => {
    const n = parseRfc3339Nano(w[2]);
    return n >= since && n <= until;
  }));
  assert.ok(window.got.length > 1000);

  const missing = await replayAll(join(dir, "none.log"), { stdout: true, stderr: true });
  assert.deepEqual(missing, { got: [], offset: 0 });
});
