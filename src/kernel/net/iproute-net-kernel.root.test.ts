import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createServer } from "node:net";
import { IprouteNetKernel } from "./iproute-net-kernel.js";

const isRoot = process.getuid?.() === 0;
const skip = isRoot ? false : "needs root";

test("IprouteNetKernel runs a batch on the host and inside a namespace, and reads links", { skip }, async (t) => {
  const k = new IprouteNetKernel();
  const ns = `bk${process.pid}`;
  const br = `bk${process.pid}b`;
  spawnSync("ip", ["netns", "add", ns]);
  t.after(() => {
    spawnSync("ip", ["link", "del", br], { stdio: "ignore" });
    spawnSync("ip", ["netns", "del", ns]);
  });
  await k.ip([["link", "add", "name", br, "type", "bridge"], ["link", "set", "dev", br, "alias", "berth-test:x"]]);
  const link = (await k.links()).find((l) => l.ifname === br);
  assert.equal(link?.alias, "berth-test:x");
  await k.ip([["link", "add", "name", "bk7", "type", "bridge"], ["addr", "add", "10.250.0.1/30", "dev", "bk7"]], { path: `/run/netns/${ns}` });
  const inNs = spawnSync("ip", ["-n", ns, "-j", "-4", "addr", "show", "dev", "bk7"], { encoding: "utf8" });
  assert.match(inNs.stdout, /10\.250\.0\.1/);
  assert.ok(!(await k.addresses()).some((a) => a.local === "10.250.0.1"), "the host namespace is untouched");
  await assert.rejects(k.ip([["link", "del", "dev", `${br}zz`]]), /Cannot find device/);
});

test("IprouteNetKernel.reservePort() holds a port and refuses one in use", { skip }, async (t) => {
  const k = new IprouteNetKernel();
  const other = createServer();
  await new Promise<void>((r) => other.listen(0, "127.0.0.1", () => r()));
  t.after(() => other.close());
  const busy = (other.address() as { port: number }).port;
  await assert.rejects(k.reservePort("127.0.0.1", busy, "tcp"), (e: unknown) => (e as { code?: string }).code === "EADDRINUSE");
  // TCP and UDP ports are separate: the same number is free for UDP.
  const r = await k.reservePort("127.0.0.1", busy, "udp");
  await r.release();
  assert.equal(await k.readSysctl("net/ipv4/ip_forward").then((v) => /^[01]$/.test(v)), true);
  await assert.rejects(k.readSysctl("../etc/passwd"), RangeError);
});

test("IprouteNetKernel reads the host's routes and addresses as ip reports them", { skip }, async () => {
  const k = new IprouteNetKernel();
  const routes = await k.routes();
  const fromIp = (JSON.parse(spawnSync("ip", ["-j", "-4", "route", "show"], { encoding: "utf8" }).stdout) as Array<{ dst: string }>)
    .map((r) => r.dst)
    .filter((d) => d !== "default")
    .map((d) => (d.includes("/") ? d : `${d}/32`));
  assert.deepEqual(routes, fromIp);
  assert.ok(routes.every((r) => /^\d+\.\d+\.\d+\.\d+\/\d+$/.test(r)));
  const addrs = await k.addresses();
  assert.ok(addrs.some((a) => a.ifname === "lo" && a.local === "127.0.0.1" && a.prefixlen === 8));
});
