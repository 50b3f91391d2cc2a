import { test } from "node:test";
import assert from "node:assert/strict";
import { isValidName, isValidTag, parseDigest } from "./names.js";
import { parseContentRange, parseRangeHeader } from "./ranges.js";
import { RegistryError } from "./errors.js";

test("isValidName follows the spec's regex and length limit", () => {
  for (const ok of ["a", "library/busybox", "a.b_c__d-e---f/g", "x/y/z", "a0/1b"]) assert.equal(isValidName(ok), true, ok);
  for (const bad of ["", "A", "a/", "/a", "a//b", "..", "a/../b", "a/.b", "a_", "a___b", "-a", "a%2fb", "_catalog", "a".repeat(256)]) {
    assert.equal(isValidName(bad), false, bad);
  }
});

test("isValidTag follows the spec's regex", () => {
  for (const ok of ["latest", "v1.0", "_x", "A-b.c_d", "a".repeat(128)]) assert.equal(isValidTag(ok), true, ok);
  for (const bad of ["", ".", "..", "-x", "a/b", "a:b", "a".repeat(129)]) assert.equal(isValidTag(bad), false, bad);
});

test("parseDigest accepts sha256 and sha512 and rejects the rest as DIGEST_INVALID", () => {
  assert.deepEqual(parseDigest(`sha256:${"a".repeat(64)}`), { algorithm: "sha256", hex: "a".repeat(64), digest: `sha256:${"a".repeat(64)}` });
  assert.equal(parseDigest(`sha512:${"0".repeat(128)}`).algorithm, "sha512");
  for (const bad of [`sha256:${"a".repeat(63)}`, `sha512:${"a".repeat(64)}`, `sha384:${"a".repeat(96)}`, "sha256", ":abc", `SHA256:${"a".repeat(64)}`]) {
    assert.throws(() => parseDigest(bad), (e: unknown) => e instanceof RegistryError && e.code === "DIGEST_INVALID" && e.status === 400, bad);
  }
});

test("parseRangeHeader: single ranges, suffixes, clipping, unsatisfiable, ignored forms", () => {
  assert.deepEqual(parseRangeHeader("bytes=0-0", 5), { start: 0, end: 0 });
  assert.deepEqual(parseRangeHeader("bytes=2-", 5), { start: 2, end: 4 });
  assert.deepEqual(parseRangeHeader("bytes=-2", 5), { start: 3, end: 4 });
  assert.deepEqual(parseRangeHeader("bytes=-10", 5), { start: 0, end: 4 });
  assert.deepEqual(parseRangeHeader("bytes=3-99", 5), { start: 3, end: 4 });
  assert.equal(parseRangeHeader("bytes=5-", 5), "unsatisfiable");
  assert.equal(parseRangeHeader("bytes=-0", 5), "unsatisfiable");
  assert.equal(parseRangeHeader("bytes=0-", 0), "unsatisfiable");
  assert.equal(parseRangeHeader(undefined, 5), undefined);
  assert.equal(parseRangeHeader("bytes=3-1", 5), undefined);
  assert.equal(parseRangeHeader("items=0-1", 5), undefined);
  assert.equal(parseRangeHeader("bytes=0-1,3-4", 5), undefined);
});

test("parseContentRange: the spec's form, tolerated prefixes, errors", () => {
  assert.deepEqual(parseContentRange("0-99"), { start: 0, end: 99 });
  assert.deepEqual(parseContentRange("bytes 100-199"), { start: 100, end: 199 });
  assert.equal(parseContentRange(undefined), undefined);
  assert.throws(() => parseContentRange("a-b"), (e: unknown) => e instanceof RegistryError && e.code === "BLOB_UPLOAD_INVALID");
  assert.throws(() => parseContentRange("9-3"), (e: unknown) => e instanceof RegistryError && e.code === "BLOB_UPLOAD_INVALID" && e.status === 416);
});
