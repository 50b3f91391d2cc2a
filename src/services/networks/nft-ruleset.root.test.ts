import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import type { NetworkRecord } from "./network-record.js";
import { portsScript, renderRuleset } from "./nft-ruleset.js";

const isRoot = process.getuid?.() === 0;

function net(id: string, bridge: string, subnet: string, gw: string, over: Partial<NetworkRecord> = {}): NetworkRecord {
  return {
    id: id.repeat(64),
    name: id,
    created: "2026-01-01T00:00:00.000000000Z",
    driver: "bridge",
    internal: false,
    attachable: false,
    builtin: false,
    ipamDriver: "default",
    ipamOptions: {},
    subnets: [{ subnet, gateway: gw, userSubnet: false }],
    options: {},
    labels: {},
    bridge,
    masquerade: true,
    endpoints: {},
    ...over,
  };
}

/** `nft -c`: parse and check against the kernel without committing anything. */
function nftCheck(script: string): { status: number | null; stderr: string } {
  const r = spawnSync("nft", ["-c", "-f", "-"], { input: script, encoding: "utf8" });
  return { status: r.status, stderr: r.stderr };
}

test("the rendered table and port scripts are accepted by nft (check mode, nothing applied)", { skip: isRoot ? false : "needs root" }, () => {
  const table = `bchk_${process.pid}`;
  const nets = [
    net("a", "berth0", "172.17.0.0/16", "172.17.0.1", {
      endpoints: { e: { id: "e", containerId: "c", name: "c", aliases: [], ip: "172.17.0.2", mac: "", ifname: "eth0", hostVeth: "v", ports: [
        { hostIp: "0.0.0.0", hostPort: 8080, containerPort: 80, proto: "tcp" },
        { hostIp: "127.0.0.1", hostPort: 8081, containerPort: 81, proto: "udp" },
      ] } },
    }),
    net("b", "br-b", "10.9.0.0/24", "10.9.0.1", { internal: true, masquerade: false }),
  ];
  const full = renderRuleset(table, nets);
  const r = nftCheck(full);
  assert.equal(r.status, 0, r.stderr);
  const empty = nftCheck(renderRuleset(table, []));
  assert.equal(empty.status, 0, empty.stderr);
  const add = nftCheck(full + portsScript(table, "add", [{ hostIp: "0.0.0.0", hostPort: 9000, containerPort: 90, proto: "tcp" }], "172.17.0.3"));
  assert.equal(add.status, 0, add.stderr);
  assert.notEqual(spawnSync("nft", ["list", "table", "ip", table], { stdio: "ignore" }).status, 0, "check mode created nothing");
});
