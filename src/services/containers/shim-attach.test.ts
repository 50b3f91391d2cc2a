import { test } from "node:test";
import assert from "node:assert/strict";
import { encodeFrame, FRAME } from "../../runtime/shim/protocol.js";
import { ShimFrameParser } from "./shim-attach.js";

function parse(bytes: Buffer, cut: number[]): { out: Array<[number, string]>; frames: Array<[number, string]>; pieces: number } {
  const out: Array<[number, string]> = [];
  const frames: Array<[number, string]> = [];
  let pieces = 0;
  const p = new ShimFrameParser((s, b) => {
    pieces++;
    const last = out.at(-1);
    if (last !== undefined && last[0] === s) last[1] += b.toString();
    else out.push([s, b.toString()]);
  }, (t, b) => frames.push([t, b.toString()]));
  let at = 0;
  for (const c of [...cut, bytes.length]) {
    p.push(bytes.subarray(at, c));
    at = c;
  }
  return { out, frames, pieces };
}

test("shim frames split anywhere give the same output, replies and exit", () => {
  const bytes = Buffer.concat([
    encodeFrame(FRAME.reply, Buffer.from("{}")),
    encodeFrame(FRAME.stdout, Buffer.from("hello ")),
    encodeFrame(FRAME.stdout, Buffer.from("world\n")),
    encodeFrame(FRAME.stderr, Buffer.from("oops\n")),
    encodeFrame(FRAME.stdout, Buffer.alloc(0)),
    encodeFrame(FRAME.exit, Buffer.from('{"exitCode":3}')),
  ]);
  const whole = parse(bytes, []);
  assert.deepEqual(whole.out, [[1, "hello world\n"], [2, "oops\n"]]);
  assert.deepEqual(whole.frames, [[FRAME.reply, "{}"], [FRAME.exit, '{"exitCode":3}']]);
  for (let i = 1; i < bytes.length; i++) {
    for (const j of [i + 1, i + 3, bytes.length - 1]) {
      if (j <= i || j >= bytes.length) continue;
      const r = parse(bytes, [i, j]);
      assert.deepEqual(r.out, whole.out, `cut at ${i},${j}`);
      assert.deepEqual(r.frames, whole.frames, `cut at ${i},${j}`);
    }
  }
});

test("output payloads are handed on as slices of the input, not copies", () => {
  const payload = Buffer.alloc(100_000, 0x61);
  const bytes = encodeFrame(FRAME.stdout, payload);
  const seen: Buffer[] = [];
  const p = new ShimFrameParser((_s, b) => seen.push(b), () => undefined);
  p.push(bytes.subarray(0, 60_000));
  p.push(bytes.subarray(60_000));
  assert.equal(seen.length, 2);
  assert.equal(seen[0]!.buffer, bytes.buffer, "the first piece shares the input's memory");
  assert.equal(seen.reduce((n, b) => n + b.length, 0), 100_000);
});

test("an oversized frame is refused", () => {
  const head = Buffer.alloc(5);
  head[0] = FRAME.stdout;
  head.writeUInt32LE(0xffffffff, 1);
  const p = new ShimFrameParser(() => undefined, () => undefined);
  assert.throws(() => p.push(head), RangeError);
});
