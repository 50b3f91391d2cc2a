import { test } from "node:test";
import assert from "node:assert/strict";
import { FrameDecoder } from "../../streams/stdcopy.js";
import { OutputCoalescer } from "./output-coalescer.js";

function sink(): { writes: Buffer[]; ended: boolean; write(c: Buffer): void; end(): void } {
  return {
    writes: [], ended: false,
    write(c) { this.writes.push(c); },
    end() { this.ended = true; },
  };
}

test("pieces of one turn go out as one write of Docker frames, in order, before the end", async () => {
  const out = sink();
  const c = new OutputCoalescer(out, false);
  c.data("stdout", Buffer.from("a1"));
  c.data("stderr", Buffer.from("b"));
  c.data("stdout", Buffer.from("a2"));
  assert.equal(out.writes.length, 0, "nothing written within the turn");
  await new Promise((r) => setImmediate(r));
  assert.equal(out.writes.length, 1);
  c.data("stdout", Buffer.from("last"));
  c.end();
  assert.equal(out.ended, true);
  const frames = new FrameDecoder().push(Buffer.concat(out.writes));
  assert.deepEqual(frames.map((f) => [f.stream, f.payload.toString()]), [[1, "a1"], [2, "b"], [1, "a2"], [1, "last"]]);
});

test("a terminal's output is raw; a big turn is written before it ends", () => {
  const out = sink();
  const c = new OutputCoalescer(out, true);
  c.data("stdout", Buffer.alloc(600_000, 1));
  c.data("stdout", Buffer.alloc(600_000, 2));
  assert.equal(Buffer.concat(out.writes).length, 1_200_000, "written once 1 MiB is pending");
  assert.equal(out.writes.length, 2, "big pieces are written as they are, not copied");
  c.data("stdout", Buffer.from("x"));
  c.end();
  c.data("stdout", Buffer.from("after the end"));
  assert.equal(Buffer.concat(out.writes).length, 1_200_001);
});
