/**
 * Networks through berthd and `berth`: a user network with names and aliases, published
 * ports reached from the test, ephemeral ports and `berth port`, `ps` PORTS, port clashes,
 * connect/disconnect of a running container, none/host/container: modes, bad input, and no
 * kernel state left once the daemon stopped. Traffic only to loopback and to containers
 * this test made.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createServer } from "node:net";
import { join } from "node:path";
import { startDaemon } from "../daemon/daemon-helper.js";
import { eventually, freePort, httpGet, leftovers, uniqueSubnet } from "./daemon-helpers.js";

const isRoot = process.getuid?.() === 0;
const pid = process.pid;

test("berth: user networks, published ports, modes, connect/disconnect, no leftovers", { skip: isRoot ? false : "needs root" }, async (t) => {
  const d = await startDaemon(t);
  const ok = async (args: string[]): Promise<string> => {
    const r = await d.berth(args);
    assert.equal(r.code, 0, `berth ${args.join(" ")}: ${r.stderr}`);
    return r.stdout;
  };
  const net = `bn${pid}a`;
  const { subnet, prefix } = uniqueSubnet(0);
  const netId = (await ok(["network", "create", "--subnet", subnet, "--label", "suite=net5", net])).trim();
  assert.match(netId, /^[0-9a-f]{64}$/);
  const ls = await ok(["network", "ls"]);
  assert.match(ls, /^NETWORK ID\s+NAME\s+DRIVER\s+SCOPE\n/);
  for (const n of ["bridge", "host", "none", net]) assert.match(ls, new RegExp(`\\s${n}\\s`));
  assert.equal((await ok(["network", "ls", "-q", "--filter", "label=suite=net5"])).trim(), netId.slice(0, 12));

  // Two containers reach each other by name and alias; the web server is also published on loopback.
  const port = await freePort();
  await ok(["run", "-d", "--name", `web${pid}`, "--network", net, "--network-alias", "www", "--ip", `${prefix}.10`,
    "-p", `127.0.0.1:${port}:80`, "busybox", "httpd", "-f", "-p", "80", "-h", "/etc"]);
  const fromTest = await eventually(async () => {
    const r = await httpGet("127.0.0.1", port, "/hostname");
    return "status" in r && r.status === 200;
  });
  assert.ok(fromTest, "the published port answers the test on 127.0.0.1");
  const webHostname = (await ok(["exec", `web${pid}`, "hostname"])).trim();
  const r1 = await httpGet("127.0.0.1", port, "/hostname");
  assert.deepEqual(r1, { status: 200, body: `${webHostname}\n` });
  const client = await ok(["run", "--rm", "--network", net, "busybox", "sh", "-c",
    `wget -qO- http://web${pid}/hostname && wget -qO- http://www/hostname && cat /etc/resolv.conf`]);
  assert.equal(client.split("\n").slice(0, 2).join("\n"), `${webHostname}\n${webHostname}`);
  assert.match(client, new RegExp(`nameserver ${prefix.replace(/\./g, "\\.")}\\.1\\n`));

  // inspect: the address asked for, the gateway, the alias; port; ps PORTS.
  const insp = JSON.parse(await ok(["inspect", `web${pid}`])) as Array<{ NetworkSettings: { Networks: Record<string, { IPAddress: string; Gateway: string; Aliases: string[]; NetworkID: string; EndpointID: string; MacAddress: string }>; Ports: Record<string, unknown>; SandboxKey: string } }>;
  const ns = insp[0]?.NetworkSettings;
  const ep = ns?.Networks[net];
  assert.equal(ep?.IPAddress, `${prefix}.10`);
  assert.equal(ep?.Gateway, `${prefix}.1`);
  assert.deepEqual(ep?.Aliases, ["www"]);
  assert.equal(ep?.NetworkID, netId);
  assert.match(ep?.EndpointID ?? "", /^[0-9a-f]{64}$/);
  assert.equal(ep?.MacAddress, "02:42:0a:" + prefix.split(".").slice(1).map((x) => Number(x).toString(16).padStart(2, "0")).join(":") + ":0a");
  assert.deepEqual(ns?.Ports, { "80/tcp": [{ HostIp: "127.0.0.1", HostPort: String(port) }] });
  assert.match(ns?.SandboxKey ?? "", /\/netns\/[0-9a-f]{64}$/);
  assert.equal((await ok(["port", `web${pid}`])).trim(), `80/tcp -> 127.0.0.1:${port}`);
  assert.match(await ok(["ps"]), new RegExp(`127\\.0\\.0\\.1:${port}->80/tcp\\s+web${pid}\\n`));
  const netInsp = JSON.parse(await ok(["network", "inspect", net])) as Array<{ Containers: Record<string, { Name: string; IPv4Address: string }> }>;
  assert.deepEqual(Object.values(netInsp[0]?.Containers ?? {}).map((c) => [c.Name, c.IPv4Address]), [[`web${pid}`, `${prefix}.10/24`]]);

  // The same port again is refused before the container starts; the first keeps it.
  const clash = await d.berth(["run", "--rm", "-p", `127.0.0.1:${port}:80`, "busybox", "true"]);
  assert.notEqual(clash.code, 0);
  assert.match(clash.stderr, new RegExp(`Bind for 127\\.0\\.0\\.1:${port} failed: port is already allocated`));
  // A port some other process holds is refused the same way.
  const holder = createServer();
  await new Promise<void>((r) => holder.listen(0, "127.0.0.1", () => r()));
  t.after(() => holder.close());
  const held = (holder.address() as { port: number }).port;
  const clash2 = await d.berth(["run", "--rm", "-p", `127.0.0.1:${held}:80`, "busybox", "true"]);
  assert.match(clash2.stderr, /port is already allocated|address already in use/);

  // Ephemeral host port on the default bridge.
  await ok(["run", "-d", "--name", `eph${pid}`, "-p", "80", "busybox", "httpd", "-f", "-p", "80", "-h", "/etc"]);
  const eph = (await ok(["port", `eph${pid}`, "80"])).trim();
  const m = /^0\.0\.0\.0:(\d+)$/.exec(eph);
  assert.ok(m !== null, eph);
  const ephPort = Number(m[1]);
  assert.ok(ephPort >= 32768 && ephPort <= 60999, eph);
  assert.ok(await eventually(async () => {
    const r = await httpGet("127.0.0.1", ephPort, "/hostname");
    return "status" in r && r.status === 200;
  }), "the ephemeral port answers");
  const bridgeInsp = JSON.parse(await ok(["inspect", `eph${pid}`])) as Array<{ NetworkSettings: { IPAddress: string; Gateway: string; Networks: Record<string, { IPAddress: string }> } }>;
  const bns = bridgeInsp[0]?.NetworkSettings;
  assert.match(bns?.IPAddress ?? "", /^\d+\.\d+\.\d+\.\d+$/);
  assert.equal(bns?.IPAddress, bns?.Networks.bridge?.IPAddress);
  // Stopping frees the port.
  await ok(["rm", "-f", `eph${pid}`]);
  const freed = await httpGet("127.0.0.1", ephPort, "/", 1000);
  assert.ok("error" in freed, "nothing answers on the freed port");

  // connect/disconnect a running container.
  await ok(["run", "-d", "--name", `c${pid}`, "busybox", "sleep", "300"]);
  const before = await ok(["exec", `c${pid}`, "ip", "-o", "-4", "addr"]);
  assert.doesNotMatch(before, /eth1/);
  await ok(["network", "connect", "--alias", "late", net, `c${pid}`]);
  const after = await ok(["exec", `c${pid}`, "ip", "-o", "-4", "addr"]);
  assert.match(after, new RegExp(`eth1\\s+inet ${prefix.replace(/\./g, "\\.")}\\.\\d+/24`));
  assert.equal((await ok(["exec", `c${pid}`, "wget", "-qO-", `http://web${pid}/hostname`])).trim(), webHostname);
  const byAlias = await ok(["run", "--rm", "--network", net, "busybox", "nslookup", "late"]);
  assert.match(byAlias, new RegExp(`Address: ${prefix.replace(/\./g, "\\.")}\\.\\d+`));
  await ok(["network", "disconnect", net, `c${pid}`]);
  assert.doesNotMatch(await ok(["exec", `c${pid}`, "ip", "-o", "-4", "addr"]), /eth1/);
  const notConnected = await d.berth(["network", "disconnect", net, `c${pid}`]);
  assert.match(notConnected.stderr, /is not connected to network/);

  // none, host, container:
  const none = await ok(["run", "--rm", "--network", "none", "busybox", "ls", "/sys/class/net"]);
  assert.equal(none.trim(), "lo");
  // Links of other tests come and go meanwhile: compare those present before and after.
  const hostLinks = () => (JSON.parse(execFileSync("ip", ["-j", "link", "show"], { encoding: "utf8" })) as Array<{ ifname: string }>).map((l) => l.ifname);
  const linksBefore = hostLinks();
  const inHost = (await ok(["run", "--rm", "--network", "host", "busybox", "ls", "/sys/class/net"])).trim().split(/\s+/).sort();
  const linksAfter = new Set(hostLinks());
  const stable = linksBefore.filter((l) => linksAfter.has(l));
  assert.ok(inHost.includes("lo") && inHost.includes("eth0") && stable.every((l) => inHost.includes(l)), `${inHost.join(",")} vs ${stable.join(",")}`);
  const shared = await ok(["run", "--rm", "--network", `container:web${pid}`, "busybox", "sh", "-c", "ip -o -4 addr show eth0; wget -qO- http://127.0.0.1/hostname"]);
  assert.match(shared, new RegExp(`inet ${prefix.replace(/\./g, "\\.")}\\.10/24`));
  assert.match(shared, new RegExp(`${webHostname}\\n$`));
  const stopped = await ok(["create", "--name", `s${pid}`, "busybox", "true"]);
  assert.match(stopped.trim(), /^[0-9a-f]{64}$/);
  const joinStopped = await d.berth(["run", "--rm", "--network", `container:s${pid}`, "busybox", "true"]);
  assert.match(joinStopped.stderr, /non running container/);

  // Bad input.
  const dup = await d.berth(["network", "create", net]);
  assert.match(dup.stderr, new RegExp(`network with name ${net} already exists`));
  const overlap = await d.berth(["network", "create", "--subnet", subnet, `${net}o`]);
  assert.match(overlap.stderr, /Pool overlaps with other one on this address space/);
  const outside = await d.berth(["run", "--rm", "--network", net, "--ip", "10.9.9.9", "busybox", "true"]);
  assert.match(outside.stderr, /no configured subnet or ip-range contain the IP address 10\.9\.9\.9/);
  const badP = await d.berth(["run", "--rm", "-p", "80:abc", "busybox", "true"]);
  assert.match(badP.stderr, /invalid containerPort: abc/);
  const unknown = await d.berth(["run", "--rm", "--network", `nope${pid}`, "busybox", "true"]);
  assert.match(unknown.stderr, new RegExp(`network nope${pid} not found`));
  const inUse = await d.berth(["network", "rm", net]);
  assert.match(inUse.stderr, /has active endpoints/);

  // Clean up through the API, then the daemon stops and must leave nothing behind.
  await ok(["rm", "-f", `web${pid}`, `c${pid}`, `s${pid}`]);
  assert.equal((await ok(["network", "rm", net])).trim(), net);
  const gone = await d.berth(["network", "inspect", net]);
  assert.match(gone.stderr, new RegExp(`network ${net} not found`));
  await d.stop();
  assert.deepEqual(leftovers(d.dataRoot, join(d.dir, "run")), []);
});
