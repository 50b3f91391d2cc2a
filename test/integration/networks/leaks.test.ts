/**
 * Repeated connect/publish/unpublish/disconnect of one namespace leaves nothing behind:
 * the host's links, the DNAT maps, the held ports and the records return to where they
 * started after every cycle.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { IprouteNetKernel } from "../../../src/kernel/net/index.js";
import { NetworkService } from "../../../src/services/networks/index.js";

const isRoot = process.getuid?.() === 0;
const pid = process.pid;
const TABLE = `bl_${pid}`;
const CYCLES = Number(process.env.BERTH_NET_CYCLES ?? 20);

function sh(cmd: string, args: string[]): string {
  return execFileSync(cmd, args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

/** The host links this test's service made: its bridge's ports and anything carrying its mark. */
function ourLinks(bridge: string): string[] {
  const all = JSON.parse(sh("ip", ["-j", "link", "show"])) as Array<{ ifname: string; master?: string; ifalias?: string }>;
  const mark = all.find((l) => l.ifname === bridge)?.ifalias?.replace(/:net:.*$/, ":") ?? "<no mark>";
  return all.filter((l) => l.ifname === bridge || l.master === bridge || l.ifalias?.startsWith(mark) === true).map((l) => l.ifname).sort();
}

function dnatElements(): number {
  const t = JSON.parse(sh("nft", ["-j", "list", "table", "ip", TABLE])) as { nftables: Array<{ map?: { name: string; elem?: unknown[] } }> };
  return t.nftables.reduce((n, o) => n + (o.map !== undefined && o.map.name.startsWith("dnat_") ? (o.map.elem?.length ?? 0) : 0), 0);
}

test(`${CYCLES} connect/publish/disconnect cycles leak no link, rule, port or record`, { skip: isRoot ? false : "needs root" }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "berth-net-leak-"));
  const ns = `bn${pid}l`;
  const br = `bn${pid}lb`;
  let svc: NetworkService | undefined;
  t.after(async () => {
    if (svc !== undefined) await svc.teardown().catch(() => undefined);
    spawnSync("ip", ["netns", "del", ns]);
    spawnSync("ip", ["link", "del", br], { stdio: "ignore" });
    spawnSync("nft", ["delete", "table", "ip", TABLE], { stdio: "ignore" });
    rmSync(dir, { recursive: true, force: true });
  });
  sh("ip", ["netns", "add", ns]);
  svc = await NetworkService.open({ recordsDir: join(dir, "networks"), kernel: new IprouteNetKernel(), defaultBridge: false, nftTable: TABLE, ipForward: false, dns: false });
  // A /29 has five usable addresses besides the gateway: a leaked allocation runs it dry.
  const third = pid % 256;
  const fourth = ((pid >> 8) % 32) * 8;
  const net = await svc.create({ Name: `bn${pid}-leak`, IPAM: { Config: [{ Subnet: `10.254.${third}.${fourth}/29` }] }, Options: { "com.docker.network.bridge.name": br } });
  const before = ourLinks(br);
  assert.deepEqual(before, [br]);
  const cid = "e".repeat(64);
  for (let i = 0; i < CYCLES; i++) {
    const ep = await svc.connect(net.Id, { containerId: cid, name: "cycler", netns: { path: `/run/netns/${ns}` }, ports: [{ hostIp: "127.0.0.1", hostPort: 0, containerPort: 80, proto: "tcp" }] });
    assert.equal(ep.ipAddress, `10.254.${third}.${fourth + 2}`, `cycle ${i}: the released address comes back`);
    assert.equal(dnatElements(), 1);
    assert.equal(ourLinks(br).length, 2, `cycle ${i}: the bridge and one veth`);
    await svc.disconnect(net.Id, cid);
    assert.deepEqual(ourLinks(br), before, `cycle ${i}: the veth is gone`);
    const port = ep.ports[0]?.hostPort ?? 0;
    // The held port was released: binding it again works.
    await new Promise<void>((resolve, reject) => {
      const probe = createServer();
      probe.once("error", (e) => reject(new Error(`cycle ${i}: port ${port} is still held: ${String(e)}`)));
      probe.listen(port, "127.0.0.1", () => probe.close(() => resolve()));
    });
  }
  assert.deepEqual(ourLinks(br), before);
  assert.equal(dnatElements(), 0);
  assert.deepEqual(svc.inspect(net.Id).Containers, {});
  assert.equal(sh("ip", ["-n", ns, "-j", "link", "show"]).includes("eth0"), false);
});
