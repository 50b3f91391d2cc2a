import { test } from "node:test";
import assert from "node:assert/strict";
import { contains, formatCidr, formatIp, overlaps, parseCidr, parseIp, splitPrefix, within } from "./ipv4.js";

test("parseIp() and formatIp() round-trip and refuse malformed addresses", () => {
  assert.equal(formatIp(parseIp("172.17.0.1")), "172.17.0.1");
  assert.equal(parseIp("255.255.255.255"), 0xffffffff);
  for (const bad of ["1.2.3", "1.2.3.256", "01.2.3.4", "a.b.c.d", "1.2.3.4.5", ""]) {
    assert.throws(() => parseIp(bad), RangeError, bad);
  }
});

test("parseCidr() clears host bits unless strict, and refuses bad lengths", () => {
  assert.equal(formatCidr(parseCidr("10.1.2.3/16")), "10.1.0.0/16");
  assert.throws(() => parseCidr("10.1.2.3/16", true), /it should be 10\.1\.0\.0\/16/);
  assert.throws(() => parseCidr("10.0.0.0/33"), RangeError);
  assert.throws(() => parseCidr("10.0.0.0"), RangeError);
  assert.equal(formatCidr(parseCidr("0.0.0.0/0")), "0.0.0.0/0");
});

test("overlaps(), contains() and within() compare prefixes", () => {
  const a = parseCidr("172.17.0.0/16");
  assert.equal(overlaps(a, parseCidr("172.17.5.0/24")), true);
  assert.equal(overlaps(a, parseCidr("172.18.0.0/16")), false);
  assert.equal(overlaps(parseCidr("172.16.0.0/12"), a), true);
  assert.equal(contains(a, parseIp("172.17.255.255")), true);
  assert.equal(contains(a, parseIp("172.18.0.0")), false);
  assert.equal(within(a, parseCidr("172.17.1.0/24")), true);
  assert.equal(within(parseCidr("172.17.1.0/24"), a), false);
});

test("splitPrefix() yields consecutive subnets and refuses a larger size", () => {
  const parts = [...splitPrefix(parseCidr("192.168.0.0/16"), 20)].map(formatCidr);
  assert.equal(parts.length, 16);
  assert.equal(parts[0], "192.168.0.0/20");
  assert.equal(parts[1], "192.168.16.0/20");
  assert.equal(parts[15], "192.168.240.0/20");
  assert.throws(() => [...splitPrefix(parseCidr("10.0.0.0/24"), 16)], RangeError);
});
