import { test } from "node:test";
import assert from "node:assert/strict";
import { FakeNetKernel } from "../../../kernel/net/fake-net-kernel.js";
import { KernelError } from "../../../shared/errors.js";
import type { EndpointRecord, NetworkRecord } from "../network-record.js";
import { BridgeDriver } from "./bridge-driver.js";

function net(over: Partial<NetworkRecord> = {}): NetworkRecord {
  return {
    id: "ab".repeat(32),
    name: "n1",
    created: "2026-01-01T00:00:00.000000000Z",
    driver: "bridge",
    internal: false,
    attachable: false,
    builtin: false,
    ipamDriver: "default",
    ipamOptions: {},
    subnets: [{ subnet: "10.5.0.0/24", gateway: "10.5.0.1", userSubnet: true }],
    options: {},
    labels: {},
    bridge: "br-n1",
    masquerade: true,
    endpoints: {},
    ...over,
  };
}

const EP: EndpointRecord = {
  id: "cd".repeat(32),
  containerId: "ef".repeat(32),
  name: "c1",
  aliases: [],
  ip: "10.5.0.2",
  mac: "02:42:0a:05:00:02",
  ifname: "eth0",
  hostVeth: "vethcdcdcdc",
  ports: [],
};

test("BridgeDriver.createNetwork() runs one batch: bridge, mark, gateway address, up; then per-bridge forwarding and route_localnet", async () => {
  const k = new FakeNetKernel();
  await new BridgeDriver(k).createNetwork(net({ mtu: 1400 }));
  assert.deepEqual(k.calls, [
    {
      op: "ip",
      batch: [
        ["link", "add", "name", "br-n1", "mtu", "1400", "type", "bridge"],
        ["link", "set", "dev", "br-n1", "alias", `berth-net:${"ab".repeat(32)}`],
        ["addr", "add", "10.5.0.1/24", "dev", "br-n1"],
        ["link", "set", "dev", "br-n1", "up"],
      ],
    },
    { op: "sysctl", key: "net/ipv4/conf/br-n1/forwarding", value: "1" },
    { op: "sysctl", key: "net/ipv4/conf/br-n1/route_localnet", value: "1" },
  ]);
});

test("BridgeDriver.createNetwork() leaves forwarding and route_localnet alone on an internal network", async () => {
  const k = new FakeNetKernel();
  await new BridgeDriver(k).createNetwork(net({ internal: true }));
  assert.equal(k.callsOf("sysctl").length, 0);
});

test("BridgeDriver.join() runs a host batch and a batch inside the namespace", async () => {
  const k = new FakeNetKernel();
  await new BridgeDriver(k, { marks: { net: (id) => `N${id}`, ep: (id) => `E${id.slice(0, 4)}` } }).join(net(), EP, { netns: { pid: 4242 }, defaultRoute: true });
  assert.deepEqual(k.calls, [
    {
      op: "ip",
      batch: [
        ["link", "add", "name", "vethcdcdcdc", "type", "veth", "peer", "name", "eth0", "address", "02:42:0a:05:00:02", "netns", "/proc/4242/ns/net"],
        ["link", "set", "dev", "vethcdcdcdc", "alias", "Ecdcd"],
        ["link", "set", "dev", "vethcdcdcdc", "master", "br-n1", "up"],
        ["link", "set", "dev", "vethcdcdcdc", "type", "bridge_slave", "hairpin", "on"],
      ],
    },
    {
      op: "ip",
      netns: "/proc/4242/ns/net",
      batch: [
        ["link", "set", "dev", "lo", "up"],
        ["addr", "add", "10.5.0.2/24", "dev", "eth0"],
        ["link", "set", "dev", "eth0", "up"],
        ["route", "add", "default", "via", "10.5.0.1", "dev", "eth0"],
      ],
    },
  ]);
});

test("BridgeDriver.join() sets the MTU on both ends and skips the default route when asked or internal", async () => {
  const k = new FakeNetKernel();
  const d = new BridgeDriver(k);
  await d.join(net({ mtu: 9000 }), EP, { netns: { path: "/run/netns/x" }, defaultRoute: false });
  assert.deepEqual(k.calls[0]?.op === "ip" && k.calls[0].batch[0], ["link", "add", "name", "vethcdcdcdc", "mtu", "9000", "type", "veth", "peer", "name", "eth0", "mtu", "9000", "address", "02:42:0a:05:00:02", "netns", "/run/netns/x"]);
  const inNs = k.callsOf("ip")[1];
  assert.ok(inNs !== undefined && !inNs.batch.some((l) => l[0] === "route"));
  const k2 = new FakeNetKernel();
  await new BridgeDriver(k2).join(net({ internal: true }), EP, { netns: { pid: 1 }, defaultRoute: true });
  assert.ok(!k2.callsOf("ip")[1]?.batch.some((l) => l[0] === "route"));
});

test("BridgeDriver.join() deletes the veth when the namespace side fails", async () => {
  const k = new FakeNetKernel();
  const d = new BridgeDriver(k);
  const orig = k.ip.bind(k);
  let n = 0;
  k.ip = async (batch, ns) => {
    if (++n === 2) throw new KernelError("ip -batch", 0, "EIO", undefined, "RTNETLINK answers: Network is unreachable");
    return orig(batch, ns);
  };
  await assert.rejects(d.join(net(), EP, { netns: { pid: 7 }, defaultRoute: true }), /Network is unreachable/);
  assert.deepEqual(k.callsOf("ip").at(-1)?.batch, [["link", "del", "dev", "vethcdcdcdc"]]);
});

test("BridgeDriver.leave() and deleteNetwork() treat a missing link as done", async () => {
  const k = new FakeNetKernel();
  const d = new BridgeDriver(k);
  k.failNext("ip", 'Cannot find device "vethcdcdcdc"');
  await d.leave(net(), EP);
  k.failNext("ip", 'Cannot find device "br-n1"');
  await d.deleteNetwork(net());
  k.failNext("ip", "Operation not permitted");
  await assert.rejects(d.leave(net(), EP), /Operation not permitted/);
});

test("BridgeDriver.join() leaves lo alone in a namespace made with it up", async () => {
  const k = new FakeNetKernel();
  await new BridgeDriver(k).join(net(), EP, { netns: { path: "/run/netns/x" }, defaultRoute: true, loopbackUp: true });
  assert.deepEqual(k.callsOf("ip")[1]?.batch, [
    ["addr", "add", "10.5.0.2/24", "dev", "eth0"],
    ["link", "set", "dev", "eth0", "up"],
    ["route", "add", "default", "via", "10.5.0.1", "dev", "eth0"],
  ]);
});
