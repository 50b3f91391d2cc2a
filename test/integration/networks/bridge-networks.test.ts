/**
 * The network service against the real kernel, with network namespaces this test makes
 * (`ip netns add`): two endpoints on a user network ping each other, resolve each other
 * through the embedded DNS, a published port is reached from the host at 127.0.0.1 and at
 * the host's address, an `--internal` endpoint cannot reach a host listener, and teardown
 * leaves no bridge, veth, namespace or nft table behind.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, connect, type Server } from "node:net";
import { createSocket } from "node:dgram";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ensureBusyboxStatic } from "../../../src/fixtures/busybox-rootfs.js";
import { IprouteNetKernel } from "../../../src/kernel/net/index.js";
import { NetworkService } from "../../../src/services/networks/index.js";
import { buildResponse, parseQuery } from "../../../src/services/networks/dns/dns-codec.js";
import { overlaps, parseCidr, formatCidr } from "../../../src/services/networks/ipv4.js";

const isRoot = process.getuid?.() === 0;
/** The static busybox (installed when missing) for ping and nslookup inside namespaces. */
const BUSYBOX = isRoot ? ensureBusyboxStatic() : "busybox";
const pid = process.pid;
const TABLE = `bt_${pid}`;

function sh(cmd: string, args: string[]): string {
  return execFileSync(cmd, args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

/** Run a command without blocking the event loop (the DNS server under test lives in this process). */
function tryRun(cmd: string, args: string[], timeoutMs = 8000): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"], timeout: timeoutMs });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (b: Buffer) => (stdout += b.toString()));
    child.stderr.on("data", (b: Buffer) => (stderr += b.toString()));
    child.on("close", (status) => resolve({ status, stdout, stderr }));
  });
}

/** Free /24s under 10.0.0.0/8 that overlap no route or address of this host. */
function freeSubnets(count: number): string[] {
  const used = [
    ...JSON.parse(sh("ip", ["-j", "-4", "route", "show", "table", "all"])).map((r: { dst?: string }) => r.dst ?? "").filter((d: string) => /^[0-9.]+(\/[0-9]+)?$/.test(d)).map((d: string) => (d.includes("/") ? d : `${d}/32`)),
    ...JSON.parse(sh("ip", ["-j", "-4", "addr"])).flatMap((l: { addr_info: Array<{ local: string; prefixlen: number }> }) => l.addr_info.map((a) => `${a.local}/${a.prefixlen}`)),
  ].map((c: string) => parseCidr(c));
  const out: string[] = [];
  for (let i = 0; i < 256 * 256 && out.length < count; i++) {
    const second = 100 + ((pid + Math.floor(i / 256)) % 100);
    const cand = parseCidr(`10.${second}.${(pid + i) % 256}.0/24`);
    const text = formatCidr(cand);
    if (out.includes(text) || used.some((u) => overlaps(u, cand))) continue;
    out.push(text);
  }
  return out;
}

function hostAddress(): string | undefined {
  const links = JSON.parse(sh("ip", ["-j", "-4", "addr"])) as Array<{ ifname: string; addr_info: Array<{ local: string; scope?: string }> }>;
  for (const l of links) {
    if (l.ifname === "lo" || l.ifname.startsWith("bn")) continue;
    const a = l.addr_info.find((x) => x.scope === "global");
    if (a !== undefined) return a.local;
  }
  return undefined;
}

/** A TCP connect from inside a namespace: "ok", "refused", "timeout" or "error:<code>". */
async function tcpFrom(ns: string, ip: string, port: number): Promise<string> {
  const script = `const s=require("net").connect(${port},"${ip}");s.setTimeout(1500,()=>{console.log("timeout");process.exit(0)});s.on("connect",()=>{console.log("ok");process.exit(0)});s.on("error",(e)=>{console.log(e.code==="ECONNREFUSED"?"refused":"error:"+e.code);process.exit(0)})`;
  return (await tryRun("ip", ["netns", "exec", ns, process.execPath, "-e", script])).stdout.trim();
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

function bridgeLinks(): Array<{ ifname: string; ifalias?: string }> {
  return JSON.parse(sh("ip", ["-j", "link", "show"])) as Array<{ ifname: string; ifalias?: string }>;
}

test("bridge networks: endpoints, DNS, published ports (with hairpin), internal isolation, clean teardown", { skip: isRoot ? false : "needs root" }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "berth-net-it-"));
  const nsA = `bn${pid}a`;
  const nsB = `bn${pid}b`;
  const nsC = `bn${pid}c`;
  const brUser = `bn${pid}u`;
  const brInt = `bn${pid}i`;
  const procs: ChildProcess[] = [];
  const servers: Server[] = [];
  // A fake upstream resolver on loopback: forwarding is proven without leaving the machine.
  const upstream = createSocket("udp4");
  await new Promise<void>((r) => upstream.bind(0, "127.0.0.1", () => r()));
  upstream.on("message", (msg, rinfo) => {
    const q = parseQuery(msg);
    upstream.send(buildResponse(msg, q, 0, [{ type: "A", address: "203.0.113.7", ttl: 30 }]), rinfo.port, rinfo.address);
  });
  let svc: NetworkService | undefined;
  t.after(async () => {
    for (const p of procs) if (p.pid !== undefined && p.exitCode === null) p.kill("SIGKILL");
    for (const s of servers) s.close();
    upstream.close();
    if (svc !== undefined) await svc.teardown().catch(() => undefined);
    for (const ns of [nsA, nsB, nsC]) spawnSync("ip", ["netns", "del", ns]);
    for (const br of [brUser, brInt]) spawnSync("ip", ["link", "del", br], { stdio: "ignore" });
    spawnSync("nft", ["delete", "table", "ip", TABLE], { stdio: "ignore" });
    rmSync(dir, { recursive: true, force: true });
  });

  for (const ns of [nsA, nsB, nsC]) sh("ip", ["netns", "add", ns]);
  const [subUser, subInt] = freeSubnets(2);
  assert.ok(subUser !== undefined && subInt !== undefined, "two free /24 subnets under 10.0.0.0/8");

  svc = await NetworkService.open({
    recordsDir: join(dir, "networks"),
    kernel: new IprouteNetKernel(),
    defaultBridge: false,
    nftTable: TABLE,
    // Forwarding is not needed for host<->container traffic; leave the host's sysctl alone.
    ipForward: false,
    dns: { upstreams: [{ host: "127.0.0.1", port: upstream.address().port }] },
  });

  const user = await svc.create({ Name: `bn${pid}-user`, IPAM: { Config: [{ Subnet: subUser }] }, Options: { "com.docker.network.bridge.name": brUser } });
  const internal = await svc.create({
    Name: `bn${pid}-internal`,
    Internal: true,
    IPAM: { Config: [{ Subnet: subInt }] },
    Options: { "com.docker.network.bridge.name": brInt },
  });
  const gw = svc.inspect(user.Id).IPAM.Config[0]?.Gateway ?? "";
  const gwInt = svc.inspect(internal.Id).IPAM.Config[0]?.Gateway ?? "";

  const idA = "a".repeat(12) + pid.toString(16).padStart(52, "0");
  const idB = "b".repeat(12) + pid.toString(16).padStart(52, "0");
  const idC = "c".repeat(12) + pid.toString(16).padStart(52, "0");
  const epA = await svc.connect(user.Id, { containerId: idA, name: "alpha", netns: { path: `/run/netns/${nsA}` } });
  const epB = await svc.connect(user.Id, { containerId: idB, name: "beta", aliases: ["web"], netns: { path: `/run/netns/${nsB}` } });
  const epC = await svc.connect(internal.Id, { containerId: idC, name: "gamma", netns: { path: `/run/netns/${nsC}` } });

  await t.test("the namespace has lo up, eth0 with the address and MAC, and the default route", () => {
    const addr = JSON.parse(sh("ip", ["-n", nsA, "-j", "addr", "show", "dev", "eth0"]))[0];
    assert.equal(addr.address, epA.macAddress);
    assert.ok(addr.addr_info.some((a: { local: string; prefixlen: number }) => a.local === epA.ipAddress && a.prefixlen === 24));
    const lo = JSON.parse(sh("ip", ["-n", nsA, "-j", "link", "show", "dev", "lo"]))[0];
    assert.ok(lo.flags.includes("UP"));
    const routes = JSON.parse(sh("ip", ["-n", nsA, "-j", "route"])) as Array<{ dst: string; gateway?: string }>;
    assert.ok(routes.some((r) => r.dst === "default" && r.gateway === gw));
    const routesC = JSON.parse(sh("ip", ["-n", nsC, "-j", "route"])) as Array<{ dst: string }>;
    assert.ok(!routesC.some((r) => r.dst === "default"), "an internal network installs no default route");
  });

  await t.test("endpoints on one network reach each other by address", async () => {
    const r = await tryRun("ip", ["netns", "exec", nsA, BUSYBOX, "ping", "-c", "1", "-W", "2", epB.ipAddress]);
    assert.equal(r.status, 0, r.stdout + r.stderr);
  });

  await t.test("the embedded DNS answers names, aliases and short ids, and forwards the rest", async () => {
    const look = async (name: string): Promise<string> => (await tryRun("ip", ["netns", "exec", nsA, BUSYBOX, "nslookup", name, gw])).stdout;
    const addrB = new RegExp(`Address:\\s+${epB.ipAddress.replace(/\./g, "\\.")}`);
    assert.match(await look("beta"), addrB);
    assert.match(await look("web"), addrB);
    assert.match(await look(idB.slice(0, 12)), addrB);
    assert.match(await look(`beta.bn${pid}-user`), addrB);
    assert.match(await look("outside.example"), /Address:\s+203\.0\.113\.7/);
    assert.equal(svc?.resolvConf(user.Id).split("\n").find((l) => l.startsWith("nameserver")), `nameserver ${gw}`);
  });

  await t.test("a published port is reached from the host at 127.0.0.1 and at the host address, and from containers", async () => {
    const server = spawn("ip", ["netns", "exec", nsB, process.execPath, "-e", `require("net").createServer(s=>{s.on("error",()=>{});s.end("hello from beta")}).listen(80,()=>console.log("up"))`], { stdio: ["ignore", "pipe", "inherit"] });
    procs.push(server);
    await new Promise<void>((resolve, reject) => {
      server.stdout?.once("data", () => resolve());
      server.once("exit", (c) => reject(new Error(`listener exited ${c}`)));
    });
    // Container to container by address, over TCP.
    assert.equal(await tcpFrom(nsA, epB.ipAddress, 80), "ok");
    const [loop] = await svc!.publish(epB.endpointId, [{ hostIp: "0.0.0.0", hostPort: 0, containerPort: 80, proto: "tcp" }]);
    assert.ok(loop !== undefined && loop.hostPort >= 32768 && loop.hostPort <= 60999);
    assert.equal(await readFrom("127.0.0.1", loop.hostPort), "hello from beta");
    const hostIp = hostAddress();
    if (hostIp !== undefined) assert.equal(await readFrom(hostIp, loop.hostPort), "hello from beta");
    // From containers through a host address: another container, and the publisher itself (hairpin).
    const viaGw = `const s=require("net").connect(${loop.hostPort},"${gw}");let d="";s.on("data",b=>d+=b);s.on("end",()=>{console.log(d);process.exit(0)});s.on("error",e=>{console.log("error:"+e.code);process.exit(0)});setTimeout(()=>{console.log("timeout");process.exit(0)},3000)`;
    assert.equal((await tryRun("ip", ["netns", "exec", nsA, process.execPath, "-e", viaGw])).stdout.trim(), "hello from beta");
    assert.equal((await tryRun("ip", ["netns", "exec", nsB, process.execPath, "-e", viaGw])).stdout.trim(), "hello from beta");
    // The port is held: a second publication of it is refused before any rule changes.
    await assert.rejects(svc!.publish(epA.endpointId, [{ hostIp: "0.0.0.0", hostPort: loop.hostPort, containerPort: 80, proto: "tcp" }]), /port is already allocated/);
    await svc!.unpublish(epB.endpointId);
    await assert.rejects(readFrom("127.0.0.1", loop.hostPort));
    const table = sh("nft", ["list", "table", "ip", TABLE]);
    assert.ok(!table.includes(`. ${loop.hostPort} :`), "no DNAT element after unpublish");
  });

  await t.test("a published UDP port is reached from the host at 127.0.0.1", async () => {
    const echo = spawn("ip", ["netns", "exec", nsB, process.execPath, "-e", `const s=require("dgram").createSocket("udp4");s.on("message",(m,r)=>s.send(Buffer.concat([Buffer.from("echo:"),m]),r.port,r.address));s.bind(9999,()=>console.log("up"))`], { stdio: ["ignore", "pipe", "inherit"] });
    procs.push(echo);
    await new Promise<void>((resolve, reject) => {
      echo.stdout?.once("data", () => resolve());
      echo.once("exit", (c) => reject(new Error(`udp echo exited ${c}`)));
    });
    const [udp] = await svc!.publish(epB.endpointId, [{ hostIp: "127.0.0.1", hostPort: 0, containerPort: 9999, proto: "udp" }]);
    assert.ok(udp !== undefined);
    const client = createSocket("udp4");
    try {
      const reply = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error("udp reply timed out")), 3000);
        client.on("message", (m) => {
          clearTimeout(timer);
          resolve(m.toString());
        });
        client.send("ping", udp.hostPort, "127.0.0.1");
      });
      assert.equal(reply, "echo:ping");
    } finally {
      client.close();
      await svc!.unpublish(epB.endpointId);
    }
  });

  await t.test("an internal endpoint cannot reach a host listener; a normal one can", async () => {
    const listener = createServer((s) => {
      s.on("error", () => undefined);
      s.end("host");
    });
    servers.push(listener);
    await new Promise<void>((r) => listener.listen(0, "0.0.0.0", () => r()));
    const port = (listener.address() as { port: number }).port;
    assert.equal(await tcpFrom(nsA, gw, port), "ok");
    assert.notEqual(await tcpFrom(nsC, gwInt, port), "ok");
    const hostIp = hostAddress();
    if (hostIp !== undefined) assert.notEqual(await tcpFrom(nsC, hostIp, port), "ok");
    assert.notEqual(await tcpFrom(nsC, epA.ipAddress, 80), "ok");
    // The internal network's own DNS still answers.
    assert.match((await tryRun("ip", ["netns", "exec", nsC, BUSYBOX, "nslookup", "gamma", gwInt])).stdout, new RegExp(epC.ipAddress.replace(/\./g, "\\.")));
  });

  await t.test("remove is refused while endpoints exist, then teardown leaves nothing behind", async () => {
    await assert.rejects(svc!.remove(user.Id), /has active endpoints/);
    // Only this service's endpoints: daemons of other test files run alongside with their own.
    const mark = bridgeLinks().find((l) => l.ifname === brUser)?.ifalias?.replace(/:net:.*$/, ":ep:") ?? "<no mark>";
    const veths = bridgeLinks().filter((l) => l.ifalias?.startsWith(mark) === true).map((l) => l.ifname);
    assert.equal(veths.length >= 3, true);
    await svc!.disconnect(user.Id, idA);
    assert.ok(!bridgeLinks().some((l) => l.ifname === `veth${epA.endpointId.slice(0, 7)}`));
    assert.notEqual((await tryRun("ip", ["-n", nsA, "link", "show", "eth0"])).status, 0, "eth0 left the namespace");
    await svc!.disconnect(user.Id, idB);
    await svc!.remove(user.Id);
    assert.ok(!bridgeLinks().some((l) => l.ifname === brUser));
    await svc!.teardown();
    const links = bridgeLinks();
    assert.ok(!links.some((l) => l.ifname === brInt || l.ifname === brUser));
    assert.ok(!links.some((l) => veths.includes(l.ifname)));
    assert.notEqual((await tryRun("nft", ["list", "table", "ip", TABLE])).status, 0, "the nft table is gone");
    for (const ns of [nsA, nsB, nsC]) sh("ip", ["netns", "del", ns]);
    assert.ok(!sh("ip", ["netns", "list"]).includes(`bn${pid}`));
  });
});

