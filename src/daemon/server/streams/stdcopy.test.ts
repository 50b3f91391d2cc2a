import { test } from "node:test";
import assert from "node:assert/strict";
import { frame, FrameDecoder } from "./stdcopy.js";

test("frame() writes Docker's 8-byte header and FrameDecoder reads it back across chunk splits", () => {
  const f = Buffer.concat([frame("stdout", Buffer.from("hi\n")), frame("stderr", Buffer.from("oops"))]);
  assert.deepEqual([...f.subarray(0, 8)], [1, 0, 0, 0, 0, 0, 0, 3]);
  const d = new FrameDecoder();
  const got = [...d.push(f.subarray(0, 5)), ...d.push(f.subarray(5, 13)), ...d.push(f.subarray(13))];
  assert.deepEqual(got.map((x) => [x.stream, x.payload.toString()]), [[1, "hi\n"], [2, "oops"]]);
  assert.equal(d.pending, 0);
  assert.throws(() => new FrameDecoder().push(Buffer.from([9, 0, 0, 0, 0, 0, 0, 0])), RangeError);
});
