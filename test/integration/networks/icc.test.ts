/**
 * `com.docker.network.bridge.enable_icc=false`: two endpoints of one bridge cannot reach
 * each other, while each still reaches its gateway. The forward hook sees bridged frames only
 * when br_netfilter passes them to the IP layer, so the test needs bridge-nf-call-iptables=1.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ensureBusyboxStatic } from "../../../src/fixtures/busybox-rootfs.js";
import { IprouteNetKernel } from "../../../src/kernel/net/index.js";
import { NetworkService } from "../../../src/services/networks/index.js";

const isRoot = process.getuid?.() === 0;
/** The static busybox (installed when missing) for ping and nslookup inside namespaces. */
const BUSYBOX = isRoot ? ensureBusyboxStatic() : "busybox";
const pid = process.pid;
const TABLE = `bi_${pid}`;

function brNetfilter(): boolean {
  try {
    return readFileSync("/proc/sys/net/bridge/bridge-nf-call-iptables", "utf8").trim() === "1";
  } catch {
    return false;
  }
}

const skip = !isRoot ? "needs root" : !brNetfilter() ? "needs br_netfilter with bridge-nf-call-iptables=1" : false;

function ping(ns: string, ip: string): Promise<number | null> {
  return new Promise((resolve) => {
    const p = spawn("ip", ["netns", "exec", ns, BUSYBOX, "ping", "-c", "1", "-W", "1", ip], { stdio: "ignore" });
    p.on("close", (code) => resolve(code));
  });
}

test("enable_icc=false isolates the endpoints of one bridge from each other", { skip }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "berth-net-icc-"));
  const nsA = `bn${pid}ia`;
  const nsB = `bn${pid}ib`;
  const br = `bn${pid}ic`;
  let svc: NetworkService | undefined;
  t.after(async () => {
    if (svc !== undefined) await svc.teardown().catch(() => undefined);
    for (const ns of [nsA, nsB]) spawnSync("ip", ["netns", "del", ns]);
    spawnSync("ip", ["link", "del", br], { stdio: "ignore" });
    spawnSync("nft", ["delete", "table", "ip", TABLE], { stdio: "ignore" });
    rmSync(dir, { recursive: true, force: true });
  });
  for (const ns of [nsA, nsB]) execFileSync("ip", ["netns", "add", ns]);
  svc = await NetworkService.open({ recordsDir: join(dir, "n"), kernel: new IprouteNetKernel(), defaultBridge: false, nftTable: TABLE, ipForward: false, dns: false });
  const third = (pid >> 3) % 256;
  const net = await svc.create({
    Name: `bn${pid}-icc`,
    IPAM: { Config: [{ Subnet: `10.253.${third}.${(pid % 8) * 32}/27` }] },
    Options: { "com.docker.network.bridge.name": br, "com.docker.network.bridge.enable_icc": "false" },
  });
  const a = await svc.connect(net.Id, { containerId: "a".repeat(64), name: "a", netns: { path: `/run/netns/${nsA}` } });
  const b = await svc.connect(net.Id, { containerId: "b".repeat(64), name: "b", netns: { path: `/run/netns/${nsB}` } });
  assert.equal(await ping(nsA, a.gateway), 0, "the gateway is reachable");
  assert.notEqual(await ping(nsA, b.ipAddress), 0, "the neighbour is not");
  assert.notEqual(await ping(nsB, a.ipAddress), 0);
});
