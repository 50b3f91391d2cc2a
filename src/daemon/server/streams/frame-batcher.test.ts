import { test } from "node:test";
import assert from "node:assert/strict";
import { PassThrough } from "node:stream";
import { FrameBatcher } from "./frame-batcher.js";
import { FrameDecoder } from "./stdcopy.js";

test("FrameBatcher frames entries into few large writes and merges runs of one stream into one frame", async () => {
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on("data", (c: Buffer) => chunks.push(c));
  const b = new FrameBatcher(out, false);
  const sent: Array<[number, string]> = [];
  for (let i = 0; i < 5000; i++) {
    const s = i % 3 === 0 ? "stderr" : "stdout";
    const payload = `entry ${i} ${"y".repeat(i % 200)}\n`;
    b.add(s, Buffer.from(payload), i % 2 === 0 ? "T " : undefined);
    sent.push([s === "stderr" ? 2 : 1, `${i % 2 === 0 ? "T " : ""}${payload}`]);
  }
  b.add("stdout", Buffer.alloc(600 * 1024, 0x41));
  sent.push([1, "A".repeat(600 * 1024)]);
  await b.flush();
  b.end();
  await new Promise((r) => out.on("end", r));
  assert.ok(chunks.length < 20, `${chunks.length} writes for 5001 entries`);
  const dec = new FrameDecoder();
  const frames = chunks.flatMap((c) => dec.push(c)).map((f) => [f.stream, f.payload.toString()] as [number, string]);
  // Consecutive entries of one stream share a frame; the demultiplexed bytes are the same.
  const merge = (xs: Array<[number, string]>) => xs.reduce<Array<[number, string]>>((acc, [st, p]) => {
    const last = acc.at(-1);
    if (last !== undefined && last[0] === st) last[1] += p;
    else acc.push([st, p]);
    return acc;
  }, []);
  assert.deepEqual(merge(frames), merge(sent));
  assert.ok(frames.length < sent.length * 0.7, `${frames.length} frames for ${sent.length} entries`);

  const raw = new PassThrough();
  const rawChunks: Buffer[] = [];
  raw.on("data", (c: Buffer) => rawChunks.push(c));
  const r = new FrameBatcher(raw, true);
  r.add("stdout", Buffer.from("a\n"), "2026 ");
  r.add("stdout", Buffer.from("b\n"));
  r.end();
  await new Promise((res) => raw.on("end", res));
  assert.equal(Buffer.concat(rawChunks).toString(), "2026 a\nb\n");
});
