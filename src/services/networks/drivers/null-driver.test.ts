import { test } from "node:test";
import assert from "node:assert/strict";
import { FakeNetKernel } from "../../../kernel/net/fake-net-kernel.js";
import type { EndpointRecord, NetworkRecord } from "../network-record.js";
import { NullDriver } from "./null-driver.js";

const NET = { id: "0".repeat(64), name: "none", driver: "null", endpoints: {} } as unknown as NetworkRecord;
const EP = { id: "1".repeat(64), containerId: "2".repeat(64), name: "c", aliases: [], ip: "", mac: "", ifname: "", hostVeth: "", ports: [] } as EndpointRecord;

test("NullDriver.join() of `none` brings lo up in the namespace, unless it was made with lo up", async () => {
  const k = new FakeNetKernel();
  const d = new NullDriver("null", k);
  await d.join(NET, EP, { netns: { path: "/run/netns/x" }, defaultRoute: false });
  assert.deepEqual(k.calls, [{ op: "ip", netns: "/run/netns/x", batch: [["link", "set", "lo", "up"]] }]);
  await d.join(NET, EP, { netns: { path: "/run/netns/x" }, defaultRoute: false, loopbackUp: true });
  assert.equal(k.calls.length, 1, "no second command");
});

test("NullDriver.join() of `host` touches nothing", async () => {
  const k = new FakeNetKernel();
  await new NullDriver("host", k).join(NET, EP, { netns: { path: "/proc/1/ns/net" }, defaultRoute: false });
  assert.deepEqual(k.calls, []);
});
