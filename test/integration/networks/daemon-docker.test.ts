/**
 * Networks through berthd and the real docker CLI: network create/ls/inspect/connect/
 * disconnect/rm/prune, an `--internal` network that cannot reach the host's published
 * services, -P with EXPOSE, /etc files from --add-host/--dns/--dns-search, and after a
 * daemon crash the endpoints of a container that died meanwhile are released at start; the
 * daemon.json keys `bridge`, `iptables` and `default-address-pools`.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { spawnDaemon, startDaemon, httpCall } from "../daemon/daemon-helper.js";
import { eventually, freePort, httpGet, leftovers, uniqueSubnet } from "./daemon-helpers.js";

const isRoot = process.getuid?.() === 0;
const pid = process.pid;

test("docker CLI: networks, --internal isolation, -P, /etc files", { skip: isRoot ? false : "needs root" }, async (t) => {
  const d = await startDaemon(t);
  const ok = async (args: string[]): Promise<string> => {
    const r = await d.docker(args);
    assert.equal(r.code, 0, `docker ${args.join(" ")}: ${r.stderr}`);
    return r.stdout;
  };
  const pub = `dn${pid}p`;
  const internal = `dn${pid}i`;
  const a = uniqueSubnet(4);
  const b = uniqueSubnet(5);
  await ok(["network", "create", "--subnet", a.subnet, "--gateway", `${a.prefix}.254`, pub]);
  await ok(["network", "create", "--internal", "--subnet", b.subnet, internal]);
  const insp = JSON.parse(await ok(["network", "inspect", pub])) as Array<{ Name: string; Driver: string; IPAM: { Config: Array<{ Subnet: string; Gateway: string }> }; Internal: boolean }>;
  assert.deepEqual(insp[0]?.IPAM.Config, [{ Subnet: a.subnet, Gateway: `${a.prefix}.254` }]);
  assert.equal(JSON.parse(await ok(["network", "inspect", "-f", "{{json .Internal}}", internal])), true);
  assert.match(await ok(["network", "ls", "--filter", `name=dn${pid}`, "--format", "{{.Name}} {{.Driver}}"]), new RegExp(`${internal} bridge\\n${pub} bridge\\n`));

  // A web server published on every host address; a container on the public network
  // reaches it through its gateway (a host address), one on --internal does not.
  const port = await freePort();
  await ok(["run", "-d", "--name", `dweb${pid}`, "--network", pub, "-p", `${port}:80`, "busybox", "httpd", "-f", "-p", "80", "-h", "/etc"]);
  assert.ok(await eventually(async () => {
    const r = await httpGet("127.0.0.1", port, "/hostname");
    return "status" in r && r.status === 200;
  }), "published on 0.0.0.0 answers on 127.0.0.1");
  // nc -w bounds the connect (busybox wget -T crashes in this build, and a signal to pid 1 is ignored).
  const get = (host: string, p: number) => `printf 'GET /hostname HTTP/1.0\\r\\n\\r\\n' | nc -w 2 ${host} ${p}`;
  const fromPub = await d.docker(["run", "--rm", "--network", pub, "busybox", "sh", "-c", get(`${a.prefix}.254`, port)]);
  assert.equal(fromPub.code, 0, fromPub.stderr);
  assert.match(fromPub.stdout, /^HTTP\/1\.1 200 OK/);
  const fromInternal = await d.docker(["run", "--rm", "--network", internal, "busybox", "sh", "-c", get(`${b.prefix}.1`, port)]);
  assert.notEqual(fromInternal.code, 0, "an --internal container cannot reach the host's published port");
  const webIp = (await ok(["inspect", "-f", `{{(index .NetworkSettings.Networks "${pub}").IPAddress}}`, `dweb${pid}`])).trim();
  const direct = await d.docker(["run", "--rm", "--network", internal, "busybox", "sh", "-c", get(webIp, 80)]);
  assert.notEqual(direct.code, 0, "nor a container of another network");
  const routes = await ok(["run", "--rm", "--network", internal, "busybox", "ip", "route"]);
  assert.doesNotMatch(routes, /default/, "no default route on --internal");

  // connect/disconnect through the docker CLI on the running server.
  await ok(["network", "connect", "--alias", "wwwi", internal, `dweb${pid}`]);
  const byName = await ok(["run", "--rm", "--network", internal, "busybox", "wget", "-qO-", "http://wwwi/hostname"]);
  assert.equal(byName.trim(), (await ok(["exec", `dweb${pid}`, "hostname"])).trim());
  const nets = JSON.parse(await ok(["inspect", "-f", "{{json .NetworkSettings.Networks}}", `dweb${pid}`])) as Record<string, { Aliases: string[] | null; IPAddress: string }>;
  assert.deepEqual(Object.keys(nets).sort(), [internal, pub].sort());
  assert.deepEqual(nets[internal]?.Aliases, ["wwwi"]);
  await ok(["network", "disconnect", internal, `dweb${pid}`]);
  assert.deepEqual(Object.keys(JSON.parse(await ok(["inspect", "-f", "{{json .NetworkSettings.Networks}}", `dweb${pid}`])) as object), [pub]);

  // -P publishes EXPOSEd ports on ephemeral ports; docker port and ps show them.
  await ok(["run", "-d", "--name", `dall${pid}`, "--expose", "80", "-P", "busybox", "httpd", "-f", "-p", "80", "-h", "/etc"]);
  const line = (await ok(["port", `dall${pid}`])).trim();
  const m = /^80\/tcp -> 0\.0\.0\.0:(\d+)$/.exec(line);
  assert.ok(m !== null, line);
  assert.match(await ok(["ps", "--format", "{{.Names}} {{.Ports}}", "--filter", `name=dall${pid}`]), new RegExp(`dall${pid} 0\\.0\\.0\\.0:${m[1]}->80/tcp`));
  assert.ok(await eventually(async () => {
    const r = await httpGet("127.0.0.1", Number(m[1]), "/hostname");
    return "status" in r && r.status === 200;
  }), "-P port answers");

  // The container's /etc files.
  const files = await ok(["run", "--rm", "--network", pub, "--hostname", "box", "--add-host", "db:10.0.0.5", "--dns", "10.0.0.53", "--dns-search", "corp.example",
    "busybox", "sh", "-c", "cat /etc/hosts /etc/resolv.conf /etc/hostname; hostname"]);
  assert.match(files, /^10\.0\.0\.5\tdb$/m);
  assert.match(files, new RegExp(`^${a.prefix.replace(/\./g, "\\.")}\\.\\d+\\tbox$`, "m"));
  assert.match(files, new RegExp(`^nameserver ${a.prefix.replace(/\./g, "\\.")}\\.254$`, "m"), "the embedded DNS on a user network");
  assert.match(files, /^search corp\.example$/m);
  assert.match(files, /# ExtServers: \[10\.0\.0\.53\]/);
  assert.match(files, /box\nbox\n$/);
  const dflt = await ok(["run", "--rm", "--dns", "10.0.0.53", "busybox", "cat", "/etc/resolv.conf"]);
  assert.match(dflt, /^nameserver 10\.0\.0\.53$/m, "the default bridge uses the given servers directly");

  // Errors the docker CLI shows.
  const badP = await d.docker(["run", "--rm", "-p", "1.2.3:80:80", "busybox", "true"]);
  assert.notEqual(badP.code, 0);
  const dup = await d.docker(["network", "create", pub]);
  assert.match(dup.stderr, new RegExp(`network with name ${pub} already exists`));
  const predefined = await d.docker(["network", "rm", "bridge"]);
  assert.match(predefined.stderr, /bridge is a pre-defined network and cannot be removed/);

  // prune removes unused networks only.
  await ok(["network", "create", `dn${pid}unused`]);
  const pruned = await ok(["network", "prune", "-f"]);
  assert.match(pruned, new RegExp(`dn${pid}unused`));
  assert.match(pruned, new RegExp(internal));
  assert.doesNotMatch(pruned, new RegExp(`${pub}\\n`));
  await ok(["rm", "-f", `dweb${pid}`, `dall${pid}`]);
  await ok(["network", "rm", pub]);
  await d.stop();
  assert.deepEqual(leftovers(d.dataRoot, join(d.dir, "run")), []);
});

test("after a daemon crash, endpoints of a container that died meanwhile are released", { skip: isRoot ? false : "needs root" }, async (t) => {
  const d = await startDaemon(t);
  const port = await freePort();
  const run = await d.docker(["run", "-d", "--name", `crash${pid}`, "-p", `127.0.0.1:${port}:80`, "busybox", "httpd", "-f", "-p", "80", "-h", "/etc"]);
  assert.equal(run.code, 0, run.stderr);
  const ctrPid = Number((await d.docker(["inspect", "-f", "{{.State.Pid}}", `crash${pid}`])).stdout.trim());
  assert.ok(ctrPid > 0);
  // kill -9 the daemon (its container stays under its shim), then the container.
  const daemonPid = d.process.pid as number;
  process.kill(daemonPid, "SIGKILL");
  await new Promise<void>((r) => (d.process.exitCode !== null || d.process.signalCode !== null ? r() : d.process.once("exit", () => r())));
  process.kill(ctrPid, "SIGKILL");
  assert.ok(await eventually(async () => {
    try {
      process.kill(ctrPid, 0);
      return false;
    } catch {
      return true;
    }
  }), "the container died");
  // A new daemon on the same data root.
  const socket = join(d.dir, "berth2.sock");
  const child = spawnDaemon(d.dir, d.dataRoot, socket);
  t.after(async () => {
    if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
      process.kill(child.pid, "SIGTERM");
      await new Promise((r) => child.once("exit", r));
    }
  });
  assert.ok(await eventually(async () => (await httpCall(socket, "GET", "/_ping").catch(() => ({ status: 0 }))).status === 200, 30_000), "restarted");
  const insp = JSON.parse((await httpCall(socket, "GET", `/containers/crash${pid}/json`)).body) as { State: { Running: boolean }; NetworkSettings: { Ports: object; Networks: Record<string, { IPAddress: string }> } };
  assert.equal(insp.State.Running, false);
  assert.deepEqual(insp.NetworkSettings.Ports, {});
  assert.equal(insp.NetworkSettings.Networks.bridge?.IPAddress, "");
  const bridge = JSON.parse((await httpCall(socket, "GET", "/networks/bridge")).body) as { Containers: object };
  assert.deepEqual(bridge.Containers, {}, "the endpoint is released");
  // The port is free again: it can be published anew and answers.
  const again = await httpCall(socket, "POST", `/containers/crash${pid}/start`);
  assert.equal(again.status, 204, again.body);
  assert.ok(await eventually(async () => {
    const r = await httpGet("127.0.0.1", port, "/hostname");
    return "status" in r && r.status === 200;
  }), "published again after the restart");
  const rm = await httpCall(socket, "DELETE", `/containers/crash${pid}?force=1`);
  assert.equal(rm.status, 204, rm.body);
  process.kill(child.pid as number, "SIGTERM");
  await new Promise((r) => child.once("exit", r));
  assert.deepEqual(leftovers(d.dataRoot, join(d.dir, "run")), []);
});

test("daemon.json: bridge none, iptables false, default-address-pools", { skip: isRoot ? false : "needs root" }, async (t) => {
  const { prefix } = uniqueSubnet(6);
  const pool = `${prefix}.0/24`;
  const d = await startDaemon(t, { daemonJson: { bridge: "none", iptables: false, "default-address-pools": [{ base: pool, size: 26 }] } });
  const ls = await d.docker(["network", "ls", "--format", "{{.Name}}"]);
  assert.deepEqual(ls.stdout.trim().split("\n").sort(), ["host", "none"]);
  // --pull never: the docker CLI pulls on any 404 of create, and the test resolves no outside name.
  const noBridge = await d.docker(["run", "--rm", "--pull", "never", "busybox", "true"]);
  assert.notEqual(noBridge.code, 0);
  assert.match(noBridge.stderr, /network bridge not found/);
  const made = await d.docker(["network", "create", `dp${pid}`]);
  assert.equal(made.code, 0, made.stderr);
  const sub = (await d.docker(["network", "inspect", "-f", "{{range .IPAM.Config}}{{.Subnet}}{{end}}", `dp${pid}`])).stdout.trim();
  assert.equal(sub, `${prefix}.0/26`, "the first /26 of the configured pool");
  const run = await d.docker(["run", "--rm", "--network", `dp${pid}`, "busybox", "ip", "-o", "-4", "addr", "show", "eth0"]);
  assert.match(run.stdout, new RegExp(`inet ${prefix.replace(/\./g, "\\.")}\\.2/26`));
  const table = `berth_${createHash("sha256").update(d.dataRoot).digest("hex").slice(0, 8)}`;
  assert.doesNotMatch(execFileSync("nft", ["list", "tables"], { encoding: "utf8" }), new RegExp(`table ip ${table}\\n`), "--iptables=false writes no table");
  assert.equal((await d.docker(["network", "rm", `dp${pid}`])).code, 0);
  await d.stop();
  assert.deepEqual(leftovers(d.dataRoot, join(d.dir, "run")), []);
});
