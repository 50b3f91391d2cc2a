/**
 * Refusals against the real kernel: a subnet that overlaps one of the host's routes, a
 * duplicate name, an address outside the subnet and a port in use are refused with Docker's
 * texts, and leave no bridge, veth or table element behind.
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
import { kindOf } from "../../../src/shared/errors.js";

const isRoot = process.getuid?.() === 0;
const pid = process.pid;
const TABLE = `bx_${pid}`;

/** Links on this test's bridge or marked as endpoints by its service (others' tests run alongside). */
function ourVeths(bridge: string): string[] {
  const all = JSON.parse(execFileSync("ip", ["-j", "link", "show"], { encoding: "utf8" })) as Array<{ ifname: string; master?: string; ifalias?: string }>;
  const mark = all.find((l) => l.ifname === bridge)?.ifalias?.replace(/:net:.*$/, ":ep:") ?? "<no mark>";
  return all.filter((l) => l.master === bridge || l.ifalias?.startsWith(mark) === true).map((l) => l.ifname);
}

test("bad input is refused with Docker's texts and changes nothing on the host", { skip: isRoot ? false : "needs root" }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "berth-net-bad-"));
  const ns = `bn${pid}x`;
  const br = `bn${pid}xb`;
  let svc: NetworkService | undefined;
  const busy = createServer();
  t.after(async () => {
    busy.close();
    if (svc !== undefined) await svc.teardown().catch(() => undefined);
    spawnSync("ip", ["netns", "del", ns]);
    spawnSync("ip", ["link", "del", br], { stdio: "ignore" });
    spawnSync("nft", ["delete", "table", "ip", TABLE], { stdio: "ignore" });
    rmSync(dir, { recursive: true, force: true });
  });
  execFileSync("ip", ["netns", "add", ns]);
  svc = await NetworkService.open({ recordsDir: join(dir, "n"), kernel: new IprouteNetKernel(), defaultBridge: false, nftTable: TABLE, ipForward: false, dns: false });

  const hostRoute = (JSON.parse(execFileSync("ip", ["-j", "-4", "route", "show"], { encoding: "utf8" })) as Array<{ dst: string }>).map((r) => r.dst).find((d) => d.includes("/") && !d.startsWith("127."));
  if (hostRoute !== undefined) {
    await assert.rejects(svc.create({ Name: `bn${pid}-overlap`, IPAM: { Config: [{ Subnet: hostRoute }] } }), (e: unknown) => kindOf(e) === "conflict" && /^Pool overlaps with other one on this address space$/.test((e as Error).message));
  }
  const sub = `10.252.${pid % 256}.${((pid >> 8) % 16) * 16}/28`;
  const net = await svc.create({ Name: `bn${pid}-bad`, IPAM: { Config: [{ Subnet: sub }] }, Options: { "com.docker.network.bridge.name": br } });
  await assert.rejects(svc.create({ Name: `bn${pid}-bad` }), /^Error: network with name bn\d+-bad already exists$|network with name .* already exists/);
  await assert.rejects(svc.create({ Name: `bn${pid}-other`, IPAM: { Config: [{ Subnet: sub }] } }), /Pool overlaps/);
  await assert.rejects(svc.connect(net.Id, { containerId: "a".repeat(64), name: "a", ipv4Address: "10.251.0.9", netns: { path: `/run/netns/${ns}` } }), /no configured subnet or ip-range contain the IP address 10\.251\.0\.9/);
  await new Promise<void>((r) => busy.listen(0, "127.0.0.1", () => r()));
  const port = (busy.address() as { port: number }).port;
  await assert.rejects(
    svc.connect(net.Id, { containerId: "a".repeat(64), name: "a", netns: { path: `/run/netns/${ns}` }, ports: [{ hostIp: "127.0.0.1", hostPort: port, containerPort: 80, proto: "tcp" }] }),
    new RegExp(`Bind for 127\\.0\\.0\\.1:${port} failed: port is already allocated`),
  );
  assert.deepEqual(ourVeths(br), [], "no veth was made");
  assert.equal(execFileSync("ip", ["-n", ns, "-j", "link", "show"], { encoding: "utf8" }).includes("eth0"), false);
  assert.deepEqual(svc.inspect(net.Id).Containers, {});
  assert.doesNotMatch(execFileSync("nft", ["list", "table", "ip", TABLE], { encoding: "utf8" }), new RegExp(`\\. ${port} :`));
});
