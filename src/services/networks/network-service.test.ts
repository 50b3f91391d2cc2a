import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FakeNetKernel } from "../../kernel/net/fake-net-kernel.js";
import { kindOf } from "../../shared/errors.js";
import { EventBus } from "../events/event-bus.js";
import { NetworkService, type NetworkServiceOptions } from "./network-service.js";
import type { NetworkRecord } from "./network-record.js";

const CID = (c: string): string => c.repeat(64);

async function setup(t: { after(fn: () => Promise<void>): void }, over: Partial<NetworkServiceOptions> = {}) {
  const dir = await mkdtemp(join(tmpdir(), "berth-netsvc-"));
  const kernel = new FakeNetKernel();
  kernel.routeList = ["192.0.2.0/24"];
  kernel.addressList.push({ ifname: "eth0", local: "192.0.2.2", prefixlen: 24 });
  const events = new EventBus();
  const opts: NetworkServiceOptions = { recordsDir: join(dir, "networks"), kernel, events, dns: false, resolvConfPath: join(dir, "none"), ...over };
  const svc = await NetworkService.open(opts);
  t.after(async () => {
    await svc.close();
    await rm(dir, { recursive: true, force: true });
  });
  return { dir, kernel, svc, opts, events };
}

async function rejectsKind(p: Promise<unknown>, kind: string, re: RegExp): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    assert.equal(kindOf(err), kind);
    assert.match((err as Error).message, re);
    return true;
  });
}

test("open() creates bridge (berth0, 172.17.0.0/16), host and none, the bridge, the table and ip_forward", async (t) => {
  const { kernel, svc } = await setup(t);
  const names = svc.list().map((n) => [n.Name, n.Driver]);
  assert.deepEqual(names.sort(), [["bridge", "bridge"], ["host", "host"], ["none", "null"]]);
  const bridge = svc.inspect("bridge");
  assert.deepEqual(bridge.IPAM.Config, [{ Subnet: "172.17.0.0/16", Gateway: "172.17.0.1" }]);
  assert.equal(bridge.Options["com.docker.network.bridge.name"], "berth0");
  assert.equal(bridge.Options["com.docker.network.bridge.default_bridge"], "true");
  assert.equal(bridge.Scope, "local");
  assert.match(bridge.Created, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$/);
  const ip = kernel.callsOf("ip");
  assert.deepEqual(ip[0]?.batch[0], ["link", "add", "name", "berth0", "type", "bridge"]);
  assert.match(ip[0]?.batch[1]?.[5] ?? "", /^berth:[0-9a-f]{8}:net:[0-9a-f]{64}$/);
  assert.deepEqual(ip[0]?.batch[2], ["addr", "add", "172.17.0.1/16", "dev", "berth0"]);
  const nft = kernel.callsOf("nft");
  assert.equal(nft.length, 1);
  assert.match(nft[0]?.script ?? "", /^add table ip berth\ndelete table ip berth\ntable ip berth \{/);
  assert.match(nft[0]?.script ?? "", /ip saddr 172\.17\.0\.0\/16 oifname != "berth0" masquerade/);
  assert.deepEqual(kernel.callsOf("sysctl").map((c) => [c.key, c.value]), [
    ["net/ipv4/conf/berth0/forwarding", "1"],
    ["net/ipv4/conf/berth0/route_localnet", "1"],
    ["net/ipv4/ip_forward", "1"],
  ]);
});

test("open() picks the next free pool when 172.17.0.0/16 is taken by a host route, and honours ipForward false", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "berth-netsvc-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const kernel = new FakeNetKernel();
  kernel.routeList = ["172.17.0.0/16", "172.18.4.0/24"];
  const svc = await NetworkService.open({ recordsDir: dir, kernel, dns: false, ipForward: false, defaultBridge: { name: "bz0" } });
  t.after(() => svc.close());
  assert.equal(svc.inspect("bridge").IPAM.Config[0]?.Subnet, "172.19.0.0/16");
  assert.equal(kernel.callsOf("sysctl").some((c) => c.key === "net/ipv4/ip_forward"), false);
});

test("create() makes a user network from the pool with Docker's shape and an event", async (t) => {
  const { kernel, svc, events } = await setup(t);
  kernel.calls.length = 0;
  const { Id, Warning } = await svc.create({ Name: "app", Labels: { tier: "web" } });
  assert.equal(Warning, "");
  assert.match(Id, /^[0-9a-f]{64}$/);
  const n = svc.inspect("app");
  assert.deepEqual(
    { ...n, Created: "", Id: "" },
    {
      Name: "app",
      Id: "",
      Created: "",
      Scope: "local",
      Driver: "bridge",
      EnableIPv4: true,
      EnableIPv6: false,
      IPAM: { Driver: "default", Options: {}, Config: [{ Subnet: "172.18.0.0/16", Gateway: "172.18.0.1" }] },
      Internal: false,
      Attachable: false,
      Ingress: false,
      ConfigFrom: { Network: "" },
      ConfigOnly: false,
      Containers: {},
      Options: {},
      Labels: { tier: "web" },
    },
  );
  const br = `br-${Id.slice(0, 12)}`;
  assert.deepEqual(kernel.callsOf("ip")[0]?.batch.map((l) => l.slice(0, 4)), [
    ["link", "add", "name", br],
    ["link", "set", "dev", br],
    ["addr", "add", "172.18.0.1/16", "dev"],
    ["link", "set", "dev", br],
  ]);
  assert.match(kernel.callsOf("nft")[0]?.script ?? "", new RegExp(`"${br}" : jump from-${Id.slice(0, 12)}`));
  assert.deepEqual(events.past({}).map((e) => [e.message.Type, e.message.Action, e.message.Actor.Attributes["name"]]).at(-1), ["network", "create", "app"]);
});

test("create() with subnet, gateway, ip-range, internal, bridge name and MTU", async (t) => {
  const { kernel, svc } = await setup(t);
  kernel.calls.length = 0;
  await svc.create({
    Name: "custom",
    Internal: true,
    IPAM: { Config: [{ Subnet: "10.20.0.0/24", Gateway: "10.20.0.254", IPRange: "10.20.0.128/25" }] },
    Options: { "com.docker.network.bridge.name": "bcustom", "com.docker.network.driver.mtu": "1400" },
  });
  const n = svc.inspect("custom");
  assert.deepEqual(n.IPAM.Config, [{ Subnet: "10.20.0.0/24", Gateway: "10.20.0.254", IPRange: "10.20.0.128/25" }]);
  assert.equal(n.Internal, true);
  assert.deepEqual(kernel.callsOf("ip")[0]?.batch[0], ["link", "add", "name", "bcustom", "mtu", "1400", "type", "bridge"]);
  const script = kernel.callsOf("nft")[0]?.script ?? "";
  assert.doesNotMatch(script, /10\.20\.0\.0\/24 oifname/, "no masquerade for an internal network");
  assert.match(script, /"bcustom" : jump in-/);
  // route_localnet is only for networks that publish ports to the host.
  assert.equal(kernel.callsOf("sysctl").some((c) => c.key.includes("bcustom")), false);
});

test("create() refuses bad input with Docker's texts and changes nothing", async (t) => {
  const { kernel, svc } = await setup(t);
  await svc.create({ Name: "taken", IPAM: { Config: [{ Subnet: "10.30.0.0/16" }] } });
  kernel.linkList.push({ ifname: "dockerx", ifindex: 9, mtu: 1500 });
  kernel.calls.length = 0;
  await rejectsKind(svc.create({ Name: "taken" }), "conflict", /^network with name taken already exists$/);
  await rejectsKind(svc.create({ Name: "o1", IPAM: { Config: [{ Subnet: "10.30.5.0/24" }] } }), "conflict", /^Pool overlaps with other one on this address space$/);
  await rejectsKind(svc.create({ Name: "o2", IPAM: { Config: [{ Subnet: "192.0.2.128/25" }] } }), "conflict", /^Pool overlaps with other one on this address space$/);
  await rejectsKind(svc.create({ Name: "o3", IPAM: { Config: [{ Subnet: "172.16.0.0/12" }] } }), "conflict", /Pool overlaps/);
  await rejectsKind(svc.create({ Name: "bad name!" }), "invalid-argument", /invalid name \(bad name!\)/);
  await rejectsKind(svc.create({ Name: "" }), "invalid-argument", /network name is required/);
  await rejectsKind(svc.create({ Name: "bridge" }), "permission-denied", /pre-defined network and cannot be created/);
  await rejectsKind(svc.create({ Name: "g", IPAM: { Config: [{ Subnet: "10.40.0.0/24", Gateway: "10.41.0.1" }] } }), "invalid-argument", /not in subnet/);
  await rejectsKind(svc.create({ Name: "g2", IPAM: { Config: [{ Gateway: "10.41.0.1" }] } }), "invalid-argument", /every ip-range or gateway must have a corresponding subnet/);
  await rejectsKind(svc.create({ Name: "r", IPAM: { Config: [{ Subnet: "10.40.0.0/24", IPRange: "10.40.1.0/25" }] } }), "invalid-argument", /invalid ip-range/);
  await rejectsKind(svc.create({ Name: "s", IPAM: { Config: [{ Subnet: "10.40.0.1/24" }] } }), "invalid-argument", /it should be 10\.40\.0\.0\/24/);
  await rejectsKind(svc.create({ Name: "s2", IPAM: { Config: [{ Subnet: "10.40.0.0/40" }] } }), "invalid-argument", /invalid CIDR/);
  await rejectsKind(svc.create({ Name: "m", Options: { "com.docker.network.driver.mtu": "abc" } }), "invalid-argument", /not an MTU/);
  await rejectsKind(svc.create({ Name: "m2", Options: { "com.docker.network.driver.mtu": "20" } }), "invalid-argument", /not an MTU/);
  await rejectsKind(svc.create({ Name: "q", Options: { "com.docker.network.bridge.enable_ip_masquerade": "maybe" } }), "invalid-argument", /not a boolean/);
  await rejectsKind(svc.create({ Name: "b1", Options: { "com.docker.network.bridge.name": "way-too-long-bridge-name" } }), "invalid-argument", /not a valid interface name/);
  await rejectsKind(svc.create({ Name: "b2", Options: { "com.docker.network.bridge.name": "dockerx" } }), "conflict", /already used by another interface/);
  await rejectsKind(svc.create({ Name: "b3", Options: { "com.docker.network.bridge.name": "berth0" } }), "conflict", /already used by network bridge/);
  await rejectsKind(svc.create({ Name: "d", Driver: "overlay" }), "not-found", /plugin "overlay" not found/);
  await rejectsKind(svc.create({ Name: "h", Driver: "host" }), "permission-denied", /only one instance of "host"/);
  await rejectsKind(svc.create({ Name: "v6", EnableIPv6: true }), "not-implemented", /IPv6/);
  await rejectsKind(svc.create({ Name: "l", Labels: { a: 1 as unknown as string } }), "invalid-argument", /value of "a" is not a string/);
  assert.deepEqual(kernel.calls, [], "no kernel change for refused requests");
});

test("create() with ICC off drops traffic within the bridge; a malformed ICC value is refused", async (t) => {
  const { kernel, svc } = await setup(t);
  kernel.calls.length = 0;
  await rejectsKind(svc.create({ Name: "i0", Options: { "com.docker.network.bridge.enable_icc": "nah" } }), "invalid-argument", /enable_icc: "nah" is not a boolean/);
  const { Id } = await svc.create({ Name: "i1", Options: { "com.docker.network.bridge.enable_icc": "false" } });
  assert.match(kernel.callsOf("nft")[0]?.script ?? "", new RegExp(`chain from-${Id.slice(0, 12)} \\{\\n    oifname "br-${Id.slice(0, 12)}" drop`));
  assert.equal(svc.inspect("i1").Options["com.docker.network.bridge.enable_icc"], "false");
});

test("create() rolls back the record and the bridge when the kernel fails", async (t) => {
  const { kernel, svc, opts } = await setup(t);
  kernel.failNext("nft", "Error: Could not process rule");
  await rejectsKind(svc.create({ Name: "broken" }), "internal", /create network "broken": .*Could not process rule/);
  assert.throws(() => svc.inspect("broken"), /network broken not found/);
  assert.equal((await readdir(opts.recordsDir)).filter((f) => f.endsWith(".json")).length, 3);
  assert.ok(kernel.callsOf("ip").some((c) => c.batch[0]?.[0] === "link" && c.batch[0]?.[1] === "del"));
});

test("open() skips an invalid record on disk and serves the others", async (t) => {
  const { svc, opts } = await setup(t);
  const { Id } = await svc.create({ Name: "fine", IPAM: { Config: [{ Subnet: "10.18.0.0/24" }] } });
  await svc.close();
  const { writeFile } = await import("node:fs/promises");
  await writeFile(join(opts.recordsDir, `${"b".repeat(64)}.json`), JSON.stringify({ id: "b".repeat(64), name: "broken", driver: "bridge", bridge: "x; reboot" }));
  const errors: string[] = [];
  const log = { trace() {}, debug() {}, info() {}, warn() {}, error: (o: object | string) => void errors.push(JSON.stringify(o)), child() { return log; } };
  const again = await NetworkService.open({ ...opts, kernel: new FakeNetKernel(), log });
  t.after(() => again.close());
  assert.equal(again.inspect("fine").Id, Id);
  assert.throws(() => again.inspect("broken"), /not found/);
  assert.equal(errors.length, 1);
  assert.match(errors[0] ?? "", /network record/);
});

test("list() filters by name, id, label, driver, type and dangling", async (t) => {
  const { svc } = await setup(t);
  const a = await svc.create({ Name: "front", Labels: { tier: "web", env: "prod" } });
  await svc.create({ Name: "back", Labels: { tier: "db" } });
  await svc.connect("back", { containerId: CID("1"), name: "db1", netns: { pid: 10 } });
  const names = (f: Record<string, string[]>) => svc.list(f).map((n) => n.Name).sort();
  assert.deepEqual(names({ name: ["fro"] }), ["front"]);
  assert.deepEqual(names({ id: [a.Id.slice(0, 10)] }), ["front"]);
  assert.deepEqual(names({ label: ["tier"] }), ["back", "front"]);
  assert.deepEqual(names({ label: ["tier=web", "env=prod"] }), ["front"]);
  assert.deepEqual(names({ driver: ["null"] }), ["none"]);
  assert.deepEqual(names({ type: ["builtin"] }), ["bridge", "host", "none"]);
  assert.deepEqual(names({ type: ["custom"] }), ["back", "front"]);
  assert.deepEqual(names({ dangling: ["true"] }), ["front"]);
  assert.deepEqual(names({ dangling: ["false"] }), ["back", "bridge", "host", "none"]);
  assert.deepEqual(svc.list({ name: ["back"] })[0]?.Containers, {}, "list shows no containers");
  assert.throws(() => svc.list({ color: ["x"] }), /invalid filter 'color'/);
  assert.throws(() => svc.list({ type: ["odd"] }), /invalid filter: 'type'='odd'/);
  assert.equal(svc.inspect(a.Id.slice(0, 6)).Name, "front", "unique id prefix");
  assert.throws(() => svc.inspect("nope"), /^Error: network nope not found$|network nope not found/);
});

test("connect() allocates addresses lowest-first, derives MACs, names eth0/eth1 and records the endpoint", async (t) => {
  const { kernel, svc } = await setup(t);
  await svc.create({ Name: "n1", IPAM: { Config: [{ Subnet: "10.1.0.0/24" }] } });
  await svc.create({ Name: "n2", IPAM: { Config: [{ Subnet: "10.2.0.0/24" }] } });
  kernel.calls.length = 0;
  const e1 = await svc.connect("n1", { containerId: CID("a"), name: "one", aliases: ["db"], netns: { pid: 100 } });
  assert.deepEqual({ ...e1, endpointId: "", networkId: "" }, {
    networkId: "",
    endpointId: "",
    ifname: "eth0",
    ipAddress: "10.1.0.2",
    prefixLen: 24,
    gateway: "10.1.0.1",
    macAddress: "02:42:0a:01:00:02",
    aliases: ["db"],
    ports: [],
  });
  const veth = `veth${e1.endpointId.slice(0, 7)}`;
  assert.deepEqual(kernel.calls.map((c) => (c.op === "ip" ? [c.netns ?? "host", c.batch.map((l) => l.join(" "))] : c.op)), [
    ["host", [
      `link add name ${veth} type veth peer name eth0 address 02:42:0a:01:00:02 netns /proc/100/ns/net`,
      `link set dev ${veth} alias ${kernel.callsOf("ip")[0]?.batch[1]?.[5] ?? ""}`,
      `link set dev ${veth} master br-${svc.inspect("n1").Id.slice(0, 12)} up`,
      `link set dev ${veth} type bridge_slave hairpin on`,
    ]],
    ["/proc/100/ns/net", ["link set dev lo up", "addr add 10.1.0.2/24 dev eth0", "link set dev eth0 up", "route add default via 10.1.0.1 dev eth0"]],
  ]);
  assert.match(kernel.callsOf("ip")[0]?.batch[1]?.[5] ?? "", new RegExp(`:ep:${e1.endpointId}$`));
  const e2 = await svc.connect("n1", { containerId: CID("b"), name: "two", macAddress: "02:AA:BB:CC:DD:EE", netns: { pid: 101 } });
  assert.equal(e2.ipAddress, "10.1.0.3");
  assert.equal(e2.macAddress, "02:aa:bb:cc:dd:ee");
  const e3 = await svc.connect("n2", { containerId: CID("a"), name: "one", netns: { pid: 100 } });
  assert.equal(e3.ifname, "eth1");
  assert.ok(!kernel.callsOf("ip").at(-1)?.batch.some((l) => l[0] === "route"), "only the first network gets the default route");
  assert.deepEqual(svc.inspect("n1").Containers[CID("a")], { Name: "one", EndpointID: e1.endpointId, MacAddress: "02:42:0a:01:00:02", IPv4Address: "10.1.0.2/24", IPv6Address: "" });
  assert.deepEqual(svc.endpointsOf(CID("a")).map((e) => e.endpoint.ifname).sort(), ["eth0", "eth1"]);
});

test("concurrent connects are serialised and get distinct addresses", async (t) => {
  const { svc } = await setup(t);
  await svc.create({ Name: "busy", IPAM: { Config: [{ Subnet: "10.11.0.0/24" }] } });
  const eps = await Promise.all(["1", "2", "3", "4", "5"].map((c) => svc.connect("busy", { containerId: CID(c), name: `c${c}`, netns: { pid: 1 } })));
  assert.deepEqual(eps.map((e) => e.ipAddress).sort(), ["10.11.0.2", "10.11.0.3", "10.11.0.4", "10.11.0.5", "10.11.0.6"]);
});

test("the default route goes via the first non-internal network, whatever the order", async (t) => {
  const { kernel, svc } = await setup(t);
  await svc.create({ Name: "inner", Internal: true, IPAM: { Config: [{ Subnet: "10.15.0.0/24" }] } });
  await svc.create({ Name: "outer", IPAM: { Config: [{ Subnet: "10.16.0.0/24" }] } });
  await svc.create({ Name: "third", IPAM: { Config: [{ Subnet: "10.17.0.0/24" }] } });
  const routes = () => kernel.callsOf("ip").filter((c) => c.netns !== undefined).at(-1)?.batch.filter((l) => l[0] === "route") ?? [];
  await svc.connect("inner", { containerId: CID("a"), name: "a", netns: { pid: 1 } });
  assert.deepEqual(routes(), []);
  await svc.connect("outer", { containerId: CID("a"), name: "a", netns: { pid: 1 } });
  assert.deepEqual(routes(), [["route", "add", "default", "via", "10.16.0.1", "dev", "eth1"]]);
  await svc.connect("third", { containerId: CID("a"), name: "a", netns: { pid: 1 } });
  assert.deepEqual(routes(), []);
});

test("connect() refuses bad requests before touching the kernel", async (t) => {
  const { kernel, svc } = await setup(t);
  await svc.create({ Name: "u", IPAM: { Config: [{ Subnet: "10.3.0.0/24" }] } });
  await svc.connect("u", { containerId: CID("a"), name: "a", netns: { pid: 1 } });
  kernel.calls.length = 0;
  await rejectsKind(svc.connect("u", { containerId: CID("a"), name: "a", netns: { pid: 1 } }), "conflict", /endpoint with name a already exists in network u/);
  await rejectsKind(svc.connect("u", { containerId: CID("b"), name: "b", ipv4Address: "10.4.0.9", netns: { pid: 1 } }), "invalid-argument", /no configured subnet or ip-range contain the IP address 10\.4\.0\.9/);
  await rejectsKind(svc.connect("u", { containerId: CID("b"), name: "b", ipv4Address: "10.3.0.2", netns: { pid: 1 } }), "conflict", /Address already in use/);
  await rejectsKind(svc.connect("u", { containerId: CID("b"), name: "b", macAddress: "zz:zz", netns: { pid: 1 } }), "invalid-argument", /invalid MAC address/);
  await rejectsKind(svc.connect("bridge", { containerId: CID("b"), name: "b", ipv4Address: "172.17.0.9", netns: { pid: 1 } }), "invalid-argument", /user configured subnets/);
  await rejectsKind(svc.connect("bridge", { containerId: CID("b"), name: "b", aliases: ["x"], netns: { pid: 1 } }), "invalid-argument", /network-scoped alias/);
  await rejectsKind(svc.connect("u", { containerId: "not-hex", name: "b", netns: { pid: 1 } }), "invalid-argument", /invalid container id/);
  await rejectsKind(svc.connect("u", { containerId: CID("b"), name: "bad name", netns: { pid: 1 } }), "invalid-argument", /invalid container name/);
  await rejectsKind(svc.connect("u", { containerId: CID("b"), name: "b", aliases: ["ok", "not ok"], netns: { pid: 1 } }), "invalid-argument", /invalid network alias "not ok"/);
  assert.deepEqual(kernel.calls, []);
  const e = await svc.connect("u", { containerId: CID("b"), name: "b", ipv4Address: "10.3.0.77", netns: { pid: 1 } });
  assert.equal(e.ipAddress, "10.3.0.77");
});

test("a failed join leaves no endpoint and no allocation", async (t) => {
  const { kernel, svc } = await setup(t);
  await svc.create({ Name: "u", IPAM: { Config: [{ Subnet: "10.3.0.0/24" }] } });
  kernel.failNext("ip", "RTNETLINK answers: File exists");
  await assert.rejects(svc.connect("u", { containerId: CID("a"), name: "a", netns: { pid: 1 } }), /File exists/);
  assert.deepEqual(svc.inspect("u").Containers, {});
  assert.equal((await svc.connect("u", { containerId: CID("a"), name: "a", netns: { pid: 1 } })).ipAddress, "10.3.0.2");
});

test("allocations survive a restart; disconnect releases the address", async (t) => {
  const { svc, opts } = await setup(t);
  await svc.create({ Name: "p", IPAM: { Config: [{ Subnet: "10.6.0.0/24" }] } });
  const a = await svc.connect("p", { containerId: CID("a"), name: "a", netns: { pid: 1 } });
  await svc.connect("p", { containerId: CID("b"), name: "b", netns: { pid: 2 } });
  await svc.close();
  const kernel2 = new FakeNetKernel();
  const again = await NetworkService.open({ ...opts, kernel: kernel2 });
  t.after(() => again.close());
  assert.equal(Object.keys(again.inspect("p").Containers).length, 2);
  assert.equal(again.inspect("p").Id, svc.inspect("p").Id);
  assert.equal((await again.connect("p", { containerId: CID("c"), name: "c", netns: { pid: 3 } })).ipAddress, "10.6.0.4");
  await again.disconnect("p", CID("a"));
  assert.deepEqual(kernel2.callsOf("ip").at(-1)?.batch, [["link", "del", "dev", `veth${a.endpointId.slice(0, 7)}`]]);
  assert.equal((await again.connect("p", { containerId: CID("d"), name: "d", netns: { pid: 4 } })).ipAddress, "10.6.0.2", "the released address is handed out again");
  await rejectsKind(again.disconnect("p", CID("a")), "not-found", /is not connected to network p/);
  const rec = JSON.parse(await readFile(join(opts.recordsDir, `${again.inspect("p").Id}.json`), "utf8")) as NetworkRecord;
  assert.deepEqual(Object.values(rec.endpoints).map((e) => e.ip).sort(), ["10.6.0.2", "10.6.0.3", "10.6.0.4"]);
});

test("releaseContainer() leaves every network, tolerating veths already gone", async (t) => {
  const { kernel, svc } = await setup(t);
  await svc.create({ Name: "r1", IPAM: { Config: [{ Subnet: "10.14.0.0/24" }] } });
  const a = await svc.connect("r1", { containerId: CID("a"), name: "a", netns: { pid: 1 } });
  await svc.connect("bridge", { containerId: CID("a"), name: "a", netns: { pid: 1 }, ports: [{ hostIp: "", hostPort: 8090, containerPort: 80, proto: "tcp" }] });
  await svc.connect("none", { containerId: CID("b"), name: "b", netns: { pid: 2 } });
  kernel.failNext("ip", `Cannot find device "veth${a.endpointId.slice(0, 7)}"`);
  assert.deepEqual((await svc.releaseContainer(CID("a"))).sort(), ["bridge", "r1"]);
  assert.deepEqual(svc.endpointsOf(CID("a")), []);
  assert.equal(kernel.reserved.size, 0);
  assert.equal(svc.endpointsOf(CID("b")).length, 1);
  assert.deepEqual(await svc.releaseContainer(CID("c")), []);
});

test("remove() is refused while endpoints exist and for predefined networks; prune removes unused user networks", async (t) => {
  const { kernel, svc } = await setup(t);
  const used = await svc.create({ Name: "used", Labels: { keep: "no" } });
  await svc.create({ Name: "idle1", Labels: { keep: "no" } });
  await svc.create({ Name: "idle2", Labels: { keep: "yes" } });
  await svc.connect("used", { containerId: CID("a"), name: "web", netns: { pid: 1 } });
  await rejectsKind(svc.remove("used"), "conflict", /error while removing network: network used has active endpoints \(name:"web" id:"aaaaaaaaaaaa"\)/);
  await rejectsKind(svc.remove("bridge"), "permission-denied", /bridge is a pre-defined network and cannot be removed/);
  await rejectsKind(svc.remove("none"), "permission-denied", /pre-defined/);
  assert.deepEqual(await svc.prune({ label: ["keep=no"] }), { NetworksDeleted: ["idle1"] });
  assert.throws(() => svc.prune({ color: ["x"] }), /invalid filter 'color'/);
  kernel.calls.length = 0;
  await svc.disconnect("used", CID("a"));
  await svc.remove(used.Id);
  assert.deepEqual(kernel.callsOf("ip").at(-1)?.batch, [["link", "del", "dev", `br-${used.Id.slice(0, 12)}`]]);
  assert.doesNotMatch(kernel.callsOf("nft").at(-1)?.script ?? "", new RegExp(used.Id.slice(0, 12)));
  assert.deepEqual(await svc.prune(), { NetworksDeleted: ["idle2"] });
  assert.deepEqual(svc.list().map((n) => n.Name).sort(), ["bridge", "host", "none"]);
});

test("publish() reserves every port first, adds DNAT elements, and unpublish() frees them", async (t) => {
  const { kernel, svc } = await setup(t, { randomInt: () => 40000 });
  const ep = await svc.connect("bridge", { containerId: CID("a"), name: "web", netns: { pid: 1 } });
  kernel.busyPorts.add("0.0.0.0:40000/tcp");
  kernel.calls.length = 0;
  const got = await svc.publish(ep.endpointId, [
    { hostIp: "", hostPort: 8080, containerPort: 80, proto: "tcp" },
    { hostIp: "127.0.0.1", hostPort: 0, containerPort: 443, proto: "tcp" },
    { hostIp: "0.0.0.0", hostPort: 5353, containerPort: 53, proto: "udp" },
  ]);
  assert.deepEqual(got, [
    { hostIp: "0.0.0.0", hostPort: 8080, containerPort: 80, proto: "tcp" },
    { hostIp: "127.0.0.1", hostPort: 40001, containerPort: 443, proto: "tcp" },
    { hostIp: "0.0.0.0", hostPort: 5353, containerPort: 53, proto: "udp" },
  ]);
  assert.deepEqual(kernel.calls.map((c) => c.op), ["reserve", "reserve", "reserve", "nft"]);
  assert.equal(
    kernel.callsOf("nft")[0]?.script,
    "add element ip berth dnat_any { tcp . 8080 : 172.17.0.2 . 80 }\nadd element ip berth dnat_addr { 127.0.0.1 . tcp . 40001 : 172.17.0.2 . 443 }\nadd element ip berth dnat_any { udp . 5353 : 172.17.0.2 . 53 }\n",
  );
  kernel.calls.length = 0;
  await svc.unpublish(ep.endpointId);
  assert.deepEqual(kernel.calls.map((c) => c.op), ["nft", "release", "release", "release"]);
  assert.match(kernel.callsOf("nft")[0]?.script ?? "", /^delete element ip berth dnat_any \{ tcp \. 8080 \}\n/);
  assert.equal(kernel.reserved.size, 0);
});

test("publish() with a port in use fails with Docker's text before any rule changes", async (t) => {
  const { kernel, svc } = await setup(t);
  const ep = await svc.connect("bridge", { containerId: CID("a"), name: "web", netns: { pid: 1 } });
  kernel.busyPorts.add("0.0.0.0:9090/tcp");
  kernel.calls.length = 0;
  await rejectsKind(
    svc.publish(ep.endpointId, [
      { hostIp: "0.0.0.0", hostPort: 9091, containerPort: 81, proto: "tcp" },
      { hostIp: "0.0.0.0", hostPort: 9090, containerPort: 80, proto: "tcp" },
    ]),
    "conflict",
    /Bind for 0\.0\.0\.0:9090 failed: port is already allocated/,
  );
  assert.deepEqual(kernel.calls.map((c) => c.op), ["reserve", "release"], "the first reservation is undone, no nft call");
  await rejectsKind(svc.publish(ep.endpointId, [{ hostIp: "0.0.0.0", hostPort: 70000, containerPort: 80, proto: "tcp" }]), "invalid-argument", /invalid hostPort/);
  await rejectsKind(svc.publish(ep.endpointId, [{ hostIp: "::", hostPort: 80, containerPort: 80, proto: "tcp" }]), "invalid-argument", /invalid host IP/);
  await rejectsKind(svc.publish(ep.endpointId, [{ hostIp: "", hostPort: 80, containerPort: 80, proto: "sctp" as "tcp" }]), "invalid-argument", /invalid proto/);
  await rejectsKind(svc.publish("f".repeat(64), []), "not-found", /endpoint/);
  kernel.foreignAddresses.add("10.99.0.1");
  await rejectsKind(svc.publish(ep.endpointId, [{ hostIp: "10.99.0.1", hostPort: 80, containerPort: 80, proto: "tcp" }]), "invalid-argument", /listen tcp4 10\.99\.0\.1:80: bind: cannot assign requested address/);
});

test("connect() with ports reserves them before any kernel change and adds DNAT alongside the join", async (t) => {
  const { kernel, svc } = await setup(t, { randomInt: () => 50000 });
  kernel.busyPorts.add("0.0.0.0:8443/tcp");
  kernel.calls.length = 0;
  await rejectsKind(
    svc.connect("bridge", { containerId: CID("a"), name: "web", netns: { pid: 1 }, ports: [{ hostIp: "", hostPort: 8443, containerPort: 443, proto: "tcp" }] }),
    "conflict",
    /Bind for 0\.0\.0\.0:8443 failed: port is already allocated/,
  );
  assert.equal(kernel.calls.length, 0, "nothing was changed");
  assert.deepEqual(svc.inspect("bridge").Containers, {});
  const ep = await svc.connect("bridge", { containerId: CID("a"), name: "web", netns: { pid: 1 }, ports: [{ hostIp: "", hostPort: 0, containerPort: 80, proto: "tcp" }] });
  assert.deepEqual(ep.ports, [{ hostIp: "0.0.0.0", hostPort: 50000, containerPort: 80, proto: "tcp" }]);
  assert.deepEqual(kernel.calls.map((c) => c.op).sort(), ["ip", "ip", "nft", "reserve"]);
  assert.equal(kernel.callsOf("nft")[0]?.script, "add element ip berth dnat_any { tcp . 50000 : 172.17.0.2 . 80 }\n");
  assert.deepEqual(svc.endpointsOf(CID("a"))[0]?.endpoint.ports, ep.ports);
});

test("connect() with ports undoes the DNAT elements and the reservation when the join fails", async (t) => {
  const { kernel, svc } = await setup(t);
  kernel.calls.length = 0;
  kernel.failNext("ip", "RTNETLINK answers: Invalid argument");
  await assert.rejects(svc.connect("bridge", { containerId: CID("a"), name: "web", netns: { pid: 1 }, ports: [{ hostIp: "", hostPort: 8088, containerPort: 80, proto: "tcp" }] }), /Invalid argument/);
  assert.equal(kernel.callsOf("nft").at(-1)?.script, "delete element ip berth dnat_any { tcp . 8088 }\n");
  assert.equal(kernel.reserved.size, 0);
  assert.deepEqual(svc.inspect("bridge").Containers, {});
});

test("disconnect() unpublishes the endpoint's ports", async (t) => {
  const { kernel, svc } = await setup(t);
  const ep = await svc.connect("bridge", { containerId: CID("a"), name: "web", netns: { pid: 1 } });
  await svc.publish(ep.endpointId, [{ hostIp: "", hostPort: 8081, containerPort: 80, proto: "tcp" }]);
  await svc.disconnect("bridge", CID("a"));
  assert.equal(kernel.reserved.size, 0);
  assert.match(kernel.callsOf("nft").at(-1)?.script ?? "", /delete element ip berth dnat_any \{ tcp \. 8081 \}/);
});

test("open() reconciles: stale berth links of this data root are deleted, missing bridges recreated, ports re-reserved", async (t) => {
  const { svc, opts } = await setup(t);
  const n = await svc.create({ Name: "r", IPAM: { Config: [{ Subnet: "10.7.0.0/24" }] } });
  const ep = await svc.connect("r", { containerId: CID("a"), name: "a", netns: { pid: 1 } });
  await svc.publish(ep.endpointId, [{ hostIp: "", hostPort: 7000, containerPort: 80, proto: "tcp" }]);
  await svc.close();
  const owner = /^berth:([0-9a-f]{8}):/.exec((opts.kernel as FakeNetKernel).callsOf("ip")[0]?.batch[1]?.[5] ?? "")?.[1];
  assert.ok(owner !== undefined);
  const kernel = new FakeNetKernel();
  const bridgeRec = svc.get("bridge");
  kernel.linkList = [
    { ifname: "berth0", ifindex: 2, mtu: 1500, alias: `berth:${owner}:net:${bridgeRec.id}` },
    { ifname: "vethdead001", ifindex: 3, mtu: 1500, alias: `berth:${owner}:ep:${"9".repeat(64)}`, master: "berth0" },
    { ifname: "brgone", ifindex: 4, mtu: 1500, alias: `berth:${owner}:net:${"8".repeat(64)}` },
    { ifname: "vethother", ifindex: 5, mtu: 1500, alias: `berth:ffffffff:ep:${"9".repeat(64)}` },
    { ifname: "docker0", ifindex: 6, mtu: 1500 },
    { ifname: `veth${ep.endpointId.slice(0, 7)}`, ifindex: 7, mtu: 1500, alias: `berth:${owner}:ep:${ep.endpointId}` },
  ];
  const again = await NetworkService.open({ ...opts, kernel });
  t.after(() => again.close());
  const ipCalls = kernel.callsOf("ip").map((c) => c.batch.map((l) => l.join(" ")));
  assert.deepEqual(ipCalls.slice(0, 2), [["link del dev vethdead001"], ["link del dev brgone"]]);
  assert.equal(ipCalls.length, 4, "only the missing user bridge is recreated");
  assert.equal(ipCalls[2]?.[0], `link add name br-${n.Id.slice(0, 12)} type bridge`);
  assert.deepEqual(ipCalls[3], [`link set dev veth${ep.endpointId.slice(0, 7)} master br-${n.Id.slice(0, 12)} up`], "the surviving veth goes back on the bridge");
  assert.match(kernel.callsOf("nft")[0]?.script ?? "", /tcp \. 7000 : 10\.7\.0\.2 \. 80/);
  assert.deepEqual(kernel.callsOf("reserve").map((c) => c.port), [7000]);
});

test("the DNS lookup of a network answers names, aliases, short ids and name.network", async (t) => {
  const { svc } = await setup(t);
  const n = await svc.create({ Name: "dnsnet", IPAM: { Config: [{ Subnet: "10.8.0.0/24" }] } });
  await svc.connect("dnsnet", { containerId: CID("a"), name: "web", aliases: ["www", "front"], netns: { pid: 1 } });
  await svc.connect("dnsnet", { containerId: CID("b"), name: "web2", aliases: ["front"], netns: { pid: 2 } });
  assert.deepEqual(svc.lookupName(n.Id, "web"), ["10.8.0.2"]);
  assert.deepEqual(svc.lookupName(n.Id, "WWW."), ["10.8.0.2"]);
  assert.deepEqual(svc.lookupName(n.Id, "front"), ["10.8.0.2", "10.8.0.3"]);
  assert.deepEqual(svc.lookupName(n.Id, "b".repeat(12)), ["10.8.0.3"]);
  assert.deepEqual(svc.lookupName(n.Id, "web2.dnsnet"), ["10.8.0.3"]);
  assert.equal(svc.lookupAddress(n.Id, "10.8.0.3"), "web2.dnsnet");
  assert.equal(svc.lookupAddress(n.Id, "10.8.0.9"), undefined);
  assert.equal(svc.lookupName(n.Id, "nobody"), undefined);
  await svc.disconnect("dnsnet", CID("a"));
  assert.equal(svc.lookupName(n.Id, "web"), undefined, "names go with their containers");
});

test("a container resolves names on every user network it is attached to, others only on their own", async (t) => {
  const { svc } = await setup(t);
  const front = await svc.create({ Name: "front", IPAM: { Config: [{ Subnet: "10.12.0.0/24" }] } });
  await svc.create({ Name: "back", IPAM: { Config: [{ Subnet: "10.13.0.0/24" }] } });
  const app = await svc.connect("front", { containerId: CID("a"), name: "app", netns: { pid: 1 } });
  await svc.connect("back", { containerId: CID("a"), name: "app", netns: { pid: 1 } });
  await svc.connect("back", { containerId: CID("d"), name: "db", netns: { pid: 2 } });
  const web = await svc.connect("front", { containerId: CID("f"), name: "web", netns: { pid: 3 } });
  assert.deepEqual(svc.lookupFrom(front.Id, "db", app.ipAddress), ["10.13.0.3"]);
  assert.equal(svc.reverseFrom(front.Id, "10.13.0.3", app.ipAddress), "db.back");
  assert.equal(svc.lookupFrom(front.Id, "db", web.ipAddress), undefined, "web is not on back");
  assert.deepEqual(svc.lookupFrom(front.Id, "app", web.ipAddress), ["10.12.0.2"], "the address on the shared network");
});

test("resolvConf() points user networks at their gateway and copies the host for the default bridge", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "berth-netsvc-rc-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const { writeFile } = await import("node:fs/promises");
  await writeFile(join(dir, "resolv.conf"), "nameserver 192.0.2.53\nsearch corp.test\n");
  const kernel = new FakeNetKernel();
  const svc = await NetworkService.open({ recordsDir: join(dir, "n"), kernel, dns: { port: 0, upstreams: [] }, resolvConfPath: join(dir, "resolv.conf") });
  t.after(() => svc.close());
  await svc.create({ Name: "user", IPAM: { Config: [{ Subnet: "10.9.0.0/24" }] } });
  assert.match(svc.resolvConf("user"), /\nnameserver 10\.9\.0\.1\nsearch corp\.test\noptions ndots:0\n/);
  assert.match(svc.resolvConf("user"), /# ExtServers: \[192\.0\.2\.53\]/);
  assert.match(svc.resolvConf("bridge"), /\nnameserver 192\.0\.2\.53\nsearch corp\.test\n\n/);
});

test("teardown() removes endpoints, bridges, the table and the records", async (t) => {
  const { kernel, svc, opts } = await setup(t, { nftTable: "bt_unit" });
  await svc.create({ Name: "x" });
  await svc.connect("x", { containerId: CID("a"), name: "a", netns: { pid: 1 } });
  kernel.calls.length = 0;
  await svc.teardown();
  const ip = kernel.callsOf("ip").map((c) => c.batch[0]?.join(" "));
  assert.ok(ip.includes("link del dev berth0"));
  assert.equal(ip.filter((l) => l?.startsWith("link del dev veth")).length, 1);
  assert.equal(kernel.callsOf("nft").at(-1)?.script, "add table ip bt_unit\ndelete table ip bt_unit\n");
  assert.deepEqual((await readdir(opts.recordsDir)).filter((f) => f.endsWith(".json")), []);
});

test("open() without a free pool starts without the default bridge instead of failing", async (t) => {
  const { svc } = await setup(t, { addressPools: [{ base: "192.0.2.0/24", size: 24 }] });
  assert.deepEqual(svc.list().map((n) => n.Name).sort(), ["host", "none"]);
  await rejectsKind(svc.create({ Name: "auto" }), "failed-precondition", /could not find an available, non-overlapping IPv4 address pool/);
  assert.equal((await svc.create({ Name: "given", IPAM: { Config: [{ Subnet: "10.9.0.0/24" }] } })).Warning, "");
});

test("open() removes the links and table of an owner whose records vanished and whose process died", async (t) => {
  const { spawnSync } = await import("node:child_process");
  const { mkdir, writeFile, readdir: rd } = await import("node:fs/promises");
  const dir = await mkdtemp(join(tmpdir(), "berth-lease-"));
  t.after(async () => rm(dir, { recursive: true, force: true }));
  const leases = join(dir, "leases");
  await mkdir(leases);
  const dead = spawnSync("true").pid ?? 1;
  await writeFile(join(leases, "0badc0de.json"), JSON.stringify({ recordsDir: join(dir, "gone"), table: "berth_0badc0de", pid: dead }));
  await mkdir(join(dir, "kept"));
  await writeFile(join(leases, "0000beef.json"), JSON.stringify({ recordsDir: join(dir, "kept"), table: "berth_0000beef", pid: dead }));
  const kernel = Object.assign(new FakeNetKernel(), {
      linkList: [
        { ifname: "berth-0badc0de", ifindex: 5, mtu: 1500, alias: `berth:0badc0de:net:${"a".repeat(64)}` },
        { ifname: "vethdead", ifindex: 6, mtu: 1500, alias: `berth:0badc0de:ep:${"b".repeat(64)}` },
        { ifname: "berth-0000beef", ifindex: 7, mtu: 1500, alias: `berth:0000beef:net:${"c".repeat(64)}` },
      ],
  });
  await setup(t, { leasesDir: leases, kernel });
  const ip = kernel.callsOf("ip").map((c) => c.batch[0]?.join(" "));
  assert.deepEqual(ip.slice(0, 2), ["link del dev vethdead", "link del dev berth-0badc0de"]);
  assert.ok(!ip.some((c) => c?.includes("0000beef")), "an owner whose records exist is left alone");
  assert.ok(kernel.callsOf("nft").some((c) => c.script === "add table ip berth_0badc0de\ndelete table ip berth_0badc0de\n"));
  const left = (await rd(leases)).sort();
  assert.equal(left.length, 2);
  assert.ok(left.includes("0000beef.json") && !left.includes("0badc0de.json"));
});
