import { test } from "node:test";
import assert from "node:assert/strict";
import { batchLine } from "./iproute-net-kernel.js";
import { netnsPath } from "./net-kernel.js";
import { FakeNetKernel } from "./fake-net-kernel.js";

test("batchLine() joins plain words and quotes anything else", () => {
  assert.equal(batchLine(["link", "set", "dev", "br-1", "alias", "berth:ab12cd34:net:ff"]), "link set dev br-1 alias berth:ab12cd34:net:ff");
  assert.equal(batchLine(["addr", "add", "10.0.0.1/24", "dev", "eth0"]), "addr add 10.0.0.1/24 dev eth0");
  assert.equal(batchLine(["link", "set", "dev", "x", "alias", 'a "b" c']), 'link set dev x alias "a \\"b\\" c"');
});

test("netnsPath() names the nsfs file of a pid or passes a path through", () => {
  assert.equal(netnsPath({ pid: 42 }), "/proc/42/ns/net");
  assert.equal(netnsPath({ path: "/run/netns/t1" }), "/run/netns/t1");
});

test("FakeNetKernel refuses a port held by someone else or reserved twice, and frees it on release", async () => {
  const k = new FakeNetKernel();
  k.busyPorts.add("0.0.0.0:80/tcp");
  await assert.rejects(k.reservePort("127.0.0.1", 80, "tcp"), /EADDRINUSE|address already in use/);
  const r = await k.reservePort("127.0.0.1", 81, "tcp");
  await assert.rejects(k.reservePort("0.0.0.0", 81, "tcp"), /address already in use/);
  await k.reservePort("127.0.0.1", 81, "udp");
  await r.release();
  await r.release();
  await k.reservePort("0.0.0.0", 81, "tcp");
  assert.deepEqual(k.calls.map((c) => c.op), ["reserve", "reserve", "release", "reserve"]);
});
