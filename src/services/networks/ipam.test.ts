import { test } from "node:test";
import assert from "node:assert/strict";
import { kindOf } from "../../shared/errors.js";
import { allocateAddress, checkUserSubnet, chooseSubnet, DEFAULT_ADDRESS_POOLS, macFromIp, POOL_OVERLAP } from "./ipam.js";
import { formatCidr, parseCidr } from "./ipv4.js";

test("chooseSubnet() takes 172.17.0.0/16 first, skips overlaps, then 192.168.0.0/16 in /20s", () => {
  assert.equal(formatCidr(chooseSubnet(DEFAULT_ADDRESS_POOLS, [])), "172.17.0.0/16");
  const taken = [parseCidr("172.17.3.0/24"), parseCidr("192.0.2.0/24")];
  assert.equal(formatCidr(chooseSubnet(DEFAULT_ADDRESS_POOLS, taken)), "172.18.0.0/16");
  const all172 = [parseCidr("172.16.0.0/12"), parseCidr("192.168.0.0/20")];
  assert.equal(formatCidr(chooseSubnet(DEFAULT_ADDRESS_POOLS, all172)), "192.168.16.0/20");
  assert.throws(() => chooseSubnet(DEFAULT_ADDRESS_POOLS, [parseCidr("0.0.0.0/0")]), /non-overlapping IPv4 address pool/);
});

test("chooseSubnet() uses configured pools in order", () => {
  const pools = [{ base: "10.10.0.0/16", size: 24 }];
  assert.equal(formatCidr(chooseSubnet(pools, [parseCidr("10.10.0.0/23")])), "10.10.2.0/24");
});

test("checkUserSubnet() refuses an overlap with Docker's text as a conflict", () => {
  const err = (() => {
    try {
      checkUserSubnet(parseCidr("10.0.0.0/16"), [parseCidr("10.0.5.0/24")]);
    } catch (e) {
      return e;
    }
    return undefined;
  })();
  assert.ok(err instanceof Error);
  assert.equal(err.message, POOL_OVERLAP);
  assert.equal(kindOf(err), "conflict");
  assert.doesNotThrow(() => checkUserSubnet(parseCidr("10.1.0.0/16"), [parseCidr("10.0.5.0/24")]));
});

test("allocateAddress() hands out the lowest free address, skipping the gateway and used ones", () => {
  const pool = { subnet: "10.0.0.0/24", gateway: "10.0.0.1", userSubnet: true };
  assert.equal(allocateAddress(pool, new Set()), "10.0.0.2");
  assert.equal(allocateAddress(pool, new Set(["10.0.0.2", "10.0.0.3"])), "10.0.0.4");
  assert.equal(allocateAddress(pool, new Set(["10.0.0.3"])), "10.0.0.2", "a released address is reused");
  assert.equal(allocateAddress({ ...pool, gateway: "10.0.0.2" }, new Set()), "10.0.0.1");
});

test("allocateAddress() stays inside the ip-range and reports exhaustion", () => {
  const pool = { subnet: "10.0.0.0/24", gateway: "10.0.0.1", ipRange: "10.0.0.128/30", userSubnet: true };
  const used = new Set<string>();
  const got = [0, 1, 2, 3].map(() => {
    const ip = allocateAddress(pool, used);
    used.add(ip);
    return ip;
  });
  assert.deepEqual(got, ["10.0.0.128", "10.0.0.129", "10.0.0.130", "10.0.0.131"]);
  assert.throws(() => allocateAddress(pool, used), /no available IPv4 addresses/);
  const tiny = { subnet: "10.0.0.0/30", gateway: "10.0.0.1", userSubnet: true };
  assert.equal(allocateAddress(tiny, new Set()), "10.0.0.2");
  assert.throws(() => allocateAddress(tiny, new Set(["10.0.0.2"])), /no available/);
});

test("allocateAddress() checks a requested address", () => {
  const pool = { subnet: "10.0.0.0/24", gateway: "10.0.0.1", userSubnet: true };
  assert.equal(allocateAddress(pool, new Set(), "10.0.0.50"), "10.0.0.50");
  assert.throws(() => allocateAddress(pool, new Set(), "10.0.1.5"), /no configured subnet or ip-range contain the IP address 10\.0\.1\.5/);
  assert.throws(() => allocateAddress(pool, new Set(), "10.0.0.255"), /no configured subnet/, "broadcast");
  assert.throws(() => allocateAddress(pool, new Set(), "10.0.0.0"), /no configured subnet/, "network address");
  assert.throws(() => allocateAddress(pool, new Set(["10.0.0.9"]), "10.0.0.9"), /Address already in use/);
  assert.throws(() => allocateAddress(pool, new Set(), "10.0.0.1"), /Address already in use/);
  assert.throws(() => allocateAddress(pool, new Set(), "10.0.0.x"), /invalid IPv4 address/);
  assert.throws(() => allocateAddress({ ...pool, userSubnet: false }, new Set(), "10.0.0.9"), /only when connecting to networks with user configured subnets/);
});

test("macFromIp() is Docker's 02:42 derivation", () => {
  assert.equal(macFromIp("172.17.0.2"), "02:42:ac:11:00:02");
  assert.equal(macFromIp("10.255.0.16"), "02:42:0a:ff:00:10");
});
