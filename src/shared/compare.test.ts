import { test } from "node:test";
import assert from "node:assert/strict";
import { compareStrings } from "./compare.js";

test("compareStrings orders by code unit as Go's sort.Strings: upper case before lower", () => {
  assert.deepEqual(["b", "B", "a", "A", "a1", "_x"].sort(compareStrings), ["A", "B", "_x", "a", "a1", "b"]);
  assert.equal(compareStrings("x", "x"), 0);
});
