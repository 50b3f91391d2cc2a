/**
 * Reconcile after a crash, against the real kernel: a service "dies" (its sockets close,
 * its kernel state stays), its bridge disappears and a stale marked veth appears; the next
 * service on the same records removes the stale veth, recreates the bridge, puts the
 * surviving endpoint back on it and restores the published port.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ensureBusyboxStatic } from "../../../src/fixtures/busybox-rootfs.js";
import { IprouteNetKernel } from "../../../src/kernel/net/index.js";
import { NetworkService } from "../../../src/services/networks/index.js";
import { formatCidr, overlaps, parseCidr } from "../../../src/services/networks/ipv4.js";

const isRoot = process.getuid?.() === 0;
/** The static busybox (installed when missing) for ping and nslookup inside namespaces. */
const BUSYBOX = isRoot ? ensureBusyboxStatic() : "busybox";
const pid = process.pid;
const TABLE = `br_${pid}`;

function sh(cmd: string, args: string[]): string {
  return execFileSync(cmd, args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

function links(): Array<{ ifname: string; ifalias?: string; master?: string }> {
  return JSON.parse(sh("ip", ["-j", "link", "show"])) as Array<{ ifname: string; ifalias?: string; master?: string }>;
}

function freeSubnet(): string {
  const used = [
    ...JSON.parse(sh("ip", ["-j", "-4", "route", "show", "table", "all"])).map((r: { dst?: string }) => r.dst ?? "").filter((d: string) => /^[0-9.]+(\/[0-9]+)?$/.test(d)).map((d: string) => (d.includes("/") ? d : `${d}/32`)),
    ...JSON.parse(sh("ip", ["-j", "-4", "addr"])).flatMap((l: { addr_info: Array<{ local: string; prefixlen: number }> }) => l.addr_info.map((a) => `${a.local}/${a.prefixlen}`)),
  ].map((c: string) => parseCidr(c));
  for (let i = 0; i < 65536; i++) {
    const cand = parseCidr(`10.${200 + ((pid + (i >> 8)) % 50)}.${(pid * 7 + i) % 256}.0/24`);
    if (!used.some((u) => overlaps(u, cand))) return formatCidr(cand);
  }
  throw new Error("no free /24 under 10.200.0.0/13");
}

function readFrom(host: string, port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect(port, host);
    let data = "";
    s.setTimeout(3000, () => {
      s.destroy();
      reject(new Error(`read ${host}:${port}: timeout`));
    });
    s.on("data", (b) => (data += b.toString()));
    s.on("end", () => resolve(data));
    s.on("error", reject);
  });
}

test("open() after a crash removes stale links, recreates the bridge and restores endpoints and ports", { skip: isRoot ? false : "needs root" }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "berth-net-rec-"));
  const ns = `bn${pid}r`;
  const br = `bn${pid}rb`;
  const stale = `bn${pid}st`;
  const procs: ChildProcess[] = [];
  const services: NetworkService[] = [];
  t.after(async () => {
    for (const p of procs) if (p.exitCode === null) p.kill("SIGKILL");
    for (const s of services.reverse()) await s.teardown().catch(() => undefined);
    spawnSync("ip", ["netns", "del", ns]);
    for (const l of [br, stale]) spawnSync("ip", ["link", "del", l], { stdio: "ignore" });
    spawnSync("nft", ["delete", "table", "ip", TABLE], { stdio: "ignore" });
    rmSync(dir, { recursive: true, force: true });
  });
  sh("ip", ["netns", "add", ns]);
  const options = {
    recordsDir: join(dir, "networks"),
    kernel: new IprouteNetKernel(),
    defaultBridge: false as const,
    nftTable: TABLE,
    ipForward: false,
    dns: false as const,
  };
  const first = await NetworkService.open(options);
  const net = await first.create({ Name: `bn${pid}-rec`, IPAM: { Config: [{ Subnet: freeSubnet() }] }, Options: { "com.docker.network.bridge.name": br } });
  const ep = await first.connect(net.Id, { containerId: "d".repeat(64), name: "delta", netns: { path: `/run/netns/${ns}` } });
  const [bound] = await first.publish(ep.endpointId, [{ hostIp: "127.0.0.1", hostPort: 0, containerPort: 8080, proto: "tcp" }]);
  assert.ok(bound !== undefined);
  // The crash: the process's sockets go, its kernel state stays; then the bridge is lost.
  await first.close();
  const veth = links().find((l) => l.ifalias?.endsWith(`:ep:${ep.endpointId}`));
  assert.ok(veth !== undefined, "the endpoint's veth carries berth's mark");
  const owner = veth.ifalias?.replace(/:ep:.*$/, "") ?? "";
  sh("ip", ["link", "del", br]);
  sh("ip", ["link", "add", "name", stale, "type", "veth", "peer", "name", `${stale}p`]);
  sh("ip", ["link", "set", "dev", stale, "alias", `${owner}:ep:${"9".repeat(64)}`]);

  const second = await NetworkService.open({ ...options, kernel: new IprouteNetKernel() });
  services.push(second);
  const after = links();
  assert.ok(!after.some((l) => l.ifname === stale || l.ifname === `${stale}p`), "the stale marked veth pair is gone");
  assert.ok(after.some((l) => l.ifname === br), "the bridge is back");
  assert.equal(after.find((l) => l.ifname === veth.ifname)?.master, br, "the surviving veth is on the new bridge");
  const gw = second.inspect(net.Id).IPAM.Config[0]?.Gateway ?? "";
  const ping = spawnSync("ip", ["netns", "exec", ns, BUSYBOX, "ping", "-c", "1", "-W", "2", gw], { encoding: "utf8" });
  assert.equal(ping.status, 0, ping.stdout + ping.stderr);

  const server = spawn("ip", ["netns", "exec", ns, process.execPath, "-e", `require("net").createServer(s=>{s.on("error",()=>{});s.end("still here")}).listen(8080,()=>console.log("up"))`], { stdio: ["ignore", "pipe", "inherit"] });
  procs.push(server);
  await new Promise<void>((resolve, reject) => {
    server.stdout?.once("data", () => resolve());
    server.once("exit", (c) => reject(new Error(`listener exited ${c}`)));
  });
  assert.equal(await readFrom("127.0.0.1", bound.hostPort), "still here");
  await second.disconnect(net.Id, "d".repeat(64));
  await second.remove(net.Id);
  assert.ok(!links().some((l) => l.ifname === br || l.ifname === veth.ifname));
});
