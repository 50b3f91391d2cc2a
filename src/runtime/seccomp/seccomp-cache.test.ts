import { test } from "node:test";
import assert from "node:assert/strict";
import { SeccompCache } from "./seccomp-cache.js";
import type { SeccompProfile } from "./types.js";

const profile = (errnoRet: number): SeccompProfile => ({
  defaultAction: "SCMP_ACT_ERRNO",
  syscalls: [{ names: ["read"], action: "SCMP_ACT_ERRNO", errnoRet, args: [{ index: 0, value: 1n << 40n, op: "SCMP_CMP_EQ" }] }],
});

test("SeccompCache.compile() returns the same compiled filter for the same content", () => {
  const cache = new SeccompCache();
  const a = cache.compile(profile(5), "x64");
  assert.equal(cache.compile(profile(5), "x64"), a, "equal content, another object: a hit");
  assert.notEqual(cache.compile(profile(6), "x64"), a, "different errno: a miss");
  assert.notEqual(cache.compile(profile(5), "arm64"), a, "different arch: a miss");
  assert.notEqual(cache.compile(profile(5), "x64", { badArchAction: "SCMP_ACT_KILL_PROCESS" }), a, "different options: a miss");
  assert.equal(cache.size, 4);
});

test("SeccompCache.compile() evicts the least recently used filter beyond its capacity", () => {
  const cache = new SeccompCache(2);
  const one = cache.compile(profile(1), "x64");
  const two = cache.compile(profile(2), "x64");
  assert.equal(cache.compile(profile(1), "x64"), one, "touch 1 so 2 is the oldest");
  cache.compile(profile(3), "x64");
  assert.equal(cache.size, 2);
  assert.equal(cache.compile(profile(1), "x64"), one, "1 kept");
  assert.notEqual(cache.compile(profile(2), "x64"), two, "2 was evicted and compiled again");
});

test("SeccompCache.compile() does not cache errors", () => {
  const cache = new SeccompCache();
  const bad = { defaultAction: "SCMP_ACT_NOPE" } as unknown as SeccompProfile;
  assert.throws(() => cache.compile(bad, "x64"), /defaultAction must be one of/);
  assert.equal(cache.size, 0);
});
