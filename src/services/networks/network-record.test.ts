import { test } from "node:test";
import assert from "node:assert/strict";
import { rfc3339Nano, toInspect, validateRecord, type NetworkRecord } from "./network-record.js";

function good(): NetworkRecord {
  return {
    id: "a".repeat(64),
    name: "web-net",
    created: "2026-11-25T12:00:00.123456789Z",
    driver: "bridge",
    internal: false,
    attachable: false,
    builtin: false,
    ipamDriver: "default",
    ipamOptions: {},
    subnets: [{ subnet: "10.1.0.0/24", gateway: "10.1.0.1", userSubnet: true }],
    options: { "com.docker.network.bridge.name": "br-web" },
    labels: { a: "b" },
    bridge: "br-web",
    masquerade: true,
    endpoints: {
      ["e".repeat(64)]: {
        id: "e".repeat(64),
        containerId: "c".repeat(64),
        name: "web",
        aliases: ["www"],
        ip: "10.1.0.2",
        mac: "02:42:0a:01:00:02",
        ifname: "eth0",
        hostVeth: "vetheeeeeee",
        ports: [{ hostIp: "0.0.0.0", hostPort: 8080, containerPort: 80, proto: "tcp" }],
      },
    },
  };
}

test("validateRecord() accepts a well-formed record", () => {
  assert.deepEqual(validateRecord(JSON.parse(JSON.stringify(good()))), good());
  const host: Record<string, unknown> = { ...good(), driver: "host", subnets: [], endpoints: {} };
  delete host["bridge"];
  assert.equal(validateRecord(host).driver, "host");
});

test("validateRecord() names the record and the field that is wrong", () => {
  const ep = "e".repeat(64);
  const cases: Array<[string, (r: Record<string, any>) => void, RegExp]> = [
    ["id", (r) => (r.id = "xyz"), /: id is malformed/],
    ["driver", (r) => (r.driver = "overlay"), /driver is unknown: "overlay"/],
    ["internal", (r) => (r.internal = "yes"), /internal is not a boolean/],
    ["labels", (r) => (r.labels = { a: 1 }), /labels\.a is not a string/],
    ["bridge name", (r) => (r.bridge = "a bridge; rm -rf"), /bridge is malformed/],
    ["no bridge", (r) => delete r.bridge, /bridge is missing/],
    ["mtu", (r) => (r.mtu = 10), /mtu is not an MTU/],
    ["subnets", (r) => (r.subnets = []), /subnets must hold one IPv4 pool/],
    ["subnet", (r) => (r.subnets[0].subnet = "10.1.0.0"), /subnet is malformed/],
    ["endpoint key", (r) => (r.endpoints[ep].id = "f".repeat(64)), /does not match its key/],
    ["endpoint ip", (r) => (r.endpoints[ep].ip = "10.1.0"), /ip is malformed/],
    ["veth", (r) => (r.endpoints[ep].hostVeth = "x".repeat(16)), /hostVeth is malformed/],
    ["aliases", (r) => (r.endpoints[ep].aliases = [1]), /aliases is not a list of strings/],
    ["proto", (r) => (r.endpoints[ep].ports[0].proto = "sctp"), /ports\[0\]\.proto is not tcp or udp/],
    ["port", (r) => (r.endpoints[ep].ports[0].hostPort = 0), /ports\[0\]\.hostPort is not a port/],
  ];
  for (const [what, mutate, re] of cases) {
    const r = JSON.parse(JSON.stringify(good()));
    mutate(r);
    assert.throws(() => validateRecord(r), (e: unknown) => e instanceof RangeError && re.test(e.message) && e.message.startsWith(`network record "`), what);
  }
  assert.throws(() => validateRecord(null), RangeError);
  assert.throws(() => validateRecord([]), RangeError);
});

test("toInspect() shows endpoints with their prefix length and rfc3339Nano() keeps nine digits", () => {
  const n = toInspect(good());
  assert.deepEqual(n.Containers["c".repeat(64)], { Name: "web", EndpointID: "e".repeat(64), MacAddress: "02:42:0a:01:00:02", IPv4Address: "10.1.0.2/24", IPv6Address: "" });
  assert.deepEqual(n.IPAM.Config, [{ Subnet: "10.1.0.0/24", Gateway: "10.1.0.1" }]);
  assert.equal(rfc3339Nano(Date.UTC(2026, 0, 2, 3, 4, 5, 678), 123456), "2026-01-02T03:04:05.678123456Z");
});
