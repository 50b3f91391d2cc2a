import { test } from "node:test";
import assert from "node:assert/strict";
import { loadConfig } from "./config.js";

const file = (o: unknown) => async () => JSON.stringify(o);

test("network settings: dockerd's daemon.json keys", async () => {
  const c = await loadConfig({ dataRoot: "/d" }, file({
    bridge: "br-test0", bip: "10.99.0.1/24", "ip-forward": false, "ip-masq": false, iptables: false,
    "default-address-pools": [{ base: "10.100.0.0/16", size: 24 }],
  }));
  assert.deepEqual(c.network, {
    bridge: "br-test0", bip: "10.99.0.1/24", ipForward: false, ipMasq: false, iptables: false,
    defaultAddressPools: [{ base: "10.100.0.0/16", size: 24 }], nftTable: c.network.nftTable,
  });
  assert.match(c.network.nftTable, /^berth_[0-9a-f]{8}$/);
});

test("network settings: flags take values, a private data root gets its own bridge and table", async () => {
  const c = await loadConfig({ dataRoot: "/tmp/x", network: { iptables: "false", ipForward: "true", bridge: "none" } }, file({}));
  assert.equal(c.network.iptables, false);
  assert.equal(c.network.ipForward, true);
  assert.equal(c.network.bridge, "none");
  const d = await loadConfig({ dataRoot: "/tmp/y" }, file({}));
  const e = await loadConfig({ dataRoot: "/tmp/z" }, file({}));
  assert.match(d.network.bridge, /^berth-[0-9a-f]{8}$/);
  assert.notEqual(d.network.bridge, e.network.bridge);
  assert.notEqual(d.network.nftTable, e.network.nftTable);
});

test("network settings: bad values and keys given twice are refused", async () => {
  await assert.rejects(loadConfig({ network: { iptables: "maybe" } }, file({})), /invalid argument "maybe" for "--iptables" flag/);
  await assert.rejects(loadConfig({}, file({ iptables: "no" })), /"iptables" must be a boolean/);
  await assert.rejects(loadConfig({}, file({ bip: "10.0.0.1" })), /invalid bip/);
  await assert.rejects(loadConfig({}, file({ bridge: "a-name-far-too-long" })), /invalid bridge name/);
  await assert.rejects(loadConfig({}, file({ "default-address-pools": [{ base: "10.0.0.0/16", size: 8 }] })), /size 8 is larger/);
  await assert.rejects(loadConfig({ network: { bridge: "x0" } }, file({ bridge: "y0" })), /specified both as a flag and in the configuration file: bridge/);
});
