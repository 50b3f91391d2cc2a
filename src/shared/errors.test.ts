import { test } from "node:test";
import assert from "node:assert/strict";
import { BerthError, kindOf, notFound, internal } from "./errors.js";

test("kindOf() takes the first BerthError on the cause chain", () => {
  const inner = notFound("no such container: abc");
  const outer = new Error("start container", { cause: inner });
  assert.equal(kindOf(outer), "not-found");
  assert.equal(kindOf(internal("x", notFound("y"))), "internal");
});

test("kindOf() treats parse errors as invalid arguments and the rest as internal", () => {
  assert.equal(kindOf(new SyntaxError("bad json")), "invalid-argument");
  assert.equal(kindOf(new Error("boom")), "internal");
  assert.equal(kindOf("a string"), "internal");
  assert.equal(new BerthError("conflict", "m").kind, "conflict");
});
