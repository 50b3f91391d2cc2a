import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ContainerInspect, ContainerSummary } from "../../api/containers.js";
import { FakeNetKernel } from "../../kernel/net/fake-net-kernel.js";
import { kindOf, notFound } from "../../shared/errors.js";
import { NetworkService } from "../networks/network-service.js";
import type { DeepMutable } from "./container-extension.js";
import { ContainerNetworks } from "./container-network.js";
import type { ContainerPaths, ContainerRecord } from "./container-record.js";
import type { Spec } from "../../runtime/spec/types.js";

const ID = (c: string): string => c.repeat(64);

async function setup(t: { after(fn: () => Promise<void>): void }, o: { loopbackUp?: boolean } = {}) {
  const dir = await mkdtemp(join(tmpdir(), "berth-ctrnet-"));
  await writeFile(join(dir, "resolv.conf"), "nameserver 192.0.2.53\nsearch corp\n");
  const kernel = new FakeNetKernel();
  // DNS on: the servers cannot bind the fake gateways (logged), but resolv.conf names them.
  const nets = await NetworkService.open({ recordsDir: join(dir, "networks"), kernel, dns: { port: 0, upstreams: [] }, resolvConfPath: join(dir, "resolv.conf") });
  const records = new Map<string, ContainerRecord>();
  const netnsCalls: string[] = [];
  const x = await ContainerNetworks.open({
    networks: nets, netnsDir: join(dir, "netns"), configDir: join(dir, "cn"),
    containers: () => ({
      get(ref: string) {
        for (const r of records.values()) if (r.ID === ref || r.Name === `/${ref}`) return r;
        throw notFound(`No such container: ${ref}`);
      },
    }),
    netns: { create: async (p) => { netnsCalls.push(`create ${p}`); }, remove: async (p) => { netnsCalls.push(`remove ${p}`); }, ...(o.loopbackUp === true ? { loopbackUp: true } : {}) },
    hostHosts: async () => "127.0.0.1\tlocalhost\n",
  });
  t.after(async () => {
    await nets.close();
    await rm(dir, { recursive: true, force: true });
  });
  const make = async (c: string, name: string, hc: Record<string, unknown>, extra: Record<string, unknown> = {}) => {
    const cdir = join(dir, "c", c);
    await mkdir(cdir, { recursive: true });
    const rec = {
      ID: ID(c), Name: `/${name}`, Config: { Hostname: c.repeat(12), ...(extra.Config as object ?? {}) }, HostConfig: { ...hc },
      State: { Running: false, Pid: 0 }, HostsPath: join(cdir, "hosts"), ResolvConfPath: join(cdir, "resolv.conf"), HostnamePath: join(cdir, "hostname"),
    } as unknown as ContainerRecord;
    const paths = { dir: cdir, hosts: rec.HostsPath, resolvConf: rec.ResolvConfPath, hostname: rec.HostnamePath, rootfs: join(cdir, "rootfs") } as ContainerPaths;
    return { rec, paths };
  };
  return { dir, kernel, nets, x, records, netnsCalls, make };
}

function emptySpec(): DeepMutable<Spec> {
  return { ociVersion: "1.0.2", linux: { namespaces: [{ type: "mount" }, { type: "network" }] } } as unknown as DeepMutable<Spec>;
}

test("create: unknown networks, container: conflicts and bad addresses are refused", async (t) => {
  const { nets, x, make, records } = await setup(t);
  await nets.create({ Name: "u1", IPAM: { Config: [{ Subnet: "10.77.0.0/24" }] } });
  await nets.create({ Name: "u2" });
  const a = await make("a", "a", { NetworkMode: "nope" });
  await assert.rejects(x.create(a.rec, {}), (e: unknown) => kindOf(e) === "not-found" && /network nope not found/.test(String(e)));
  const b = await make("b", "b", { NetworkMode: "bridge" });
  await assert.rejects(x.create(b.rec, { NetworkingConfig: { EndpointsConfig: { default: { Aliases: ["x"] } } } }), /network-scoped alias is supported only for containers in user defined networks/);
  await assert.rejects(x.create(b.rec, { NetworkingConfig: { EndpointsConfig: { bridge: { IPAMConfig: { IPv4Address: "172.17.0.9" } } } } }), /user specified IP address is supported on user defined networks only/);
  const c = await make("c", "c", { NetworkMode: "u1" });
  await assert.rejects(x.create(c.rec, { NetworkingConfig: { EndpointsConfig: { u1: { IPAMConfig: { IPv4Address: "10.78.0.5" } } } } }), /no configured subnet or ip-range contain the IP address 10\.78\.0\.5/);
  const d = await make("d", "d", { NetworkMode: "u2" });
  await assert.rejects(x.create(d.rec, { NetworkingConfig: { EndpointsConfig: { u2: { IPAMConfig: { IPv4Address: "172.18.0.5" } } } } }), /only when connecting to networks with user configured subnets/);
  const e = await make("e", "e", { NetworkMode: "container:nobody" });
  await assert.rejects(x.create(e.rec, {}), /No such container: nobody/);
  records.set(ID("a"), a.rec);
  const f = await make("f", "f", { NetworkMode: "container:a", PortBindings: { "80/tcp": [{ HostPort: "8080" }] } });
  await assert.rejects(x.create(f.rec, {}), /conflicting options: port publishing and the container type network mode/);
  const g = await make("g", "g", { NetworkMode: "container:a" });
  await x.create(g.rec, {});
  assert.equal(g.rec.HostConfig.NetworkMode, `container:${ID("a")}`);
  const h = await make("h", "h", { NetworkMode: "none" });
  await assert.rejects(x.create(h.rec, { NetworkingConfig: { EndpointsConfig: { u1: {} } } }), /private \(none\) mode/);
});

test("prepare joins the networks in a namespace file, writes /etc files and patches the spec; release undoes it", async (t) => {
  const { nets, x, make, netnsCalls, dir } = await setup(t);
  await nets.create({ Name: "u1", IPAM: { Config: [{ Subnet: "10.77.0.0/24" }] } });
  const a = await make("a", "web", { NetworkMode: "u1", ExtraHosts: ["db:10.0.0.5"], Dns: ["10.0.0.53"], PortBindings: { "80/tcp": [{ HostIp: "127.0.0.1", HostPort: "8080" }] } },
    { Config: { ExposedPorts: { "80/tcp": {}, "9000/tcp": {} } } });
  await x.create(a.rec, { NetworkingConfig: { EndpointsConfig: { u1: { Aliases: ["www"], IPAMConfig: { IPv4Address: "10.77.0.10" } }, bridge: {} } } });
  const patch = await x.prepare(a.rec, a.paths);
  const ns = join(dir, "netns", ID("a"));
  assert.deepEqual(netnsCalls, [`create ${ns}`]);
  const spec = emptySpec();
  patch?.(spec);
  assert.deepEqual(spec.linux?.namespaces, [{ type: "mount" }, { type: "network", path: ns }]);
  const hosts = await readFile(a.paths.hosts, "utf8");
  assert.match(hosts, /^10\.0\.0\.5\tdb$/m);
  assert.match(hosts, new RegExp(`^10\\.77\\.0\\.10\\t${"a".repeat(12)}$`, "m"));
  assert.match(hosts, new RegExp(`^172\\.17\\.0\\.2\\t${"a".repeat(12)}$`, "m"));
  assert.match(hosts, /^10\.77\.0\.10\twww$/m, "the network-scoped alias");
  const resolv = await readFile(a.paths.resolvConf, "utf8");
  assert.match(resolv, /^nameserver 10\.77\.0\.1$/m, "the first network's embedded DNS");
  assert.match(resolv, /ExtServers: \[10\.0\.0\.53\]/);
  assert.equal(await readFile(a.paths.hostname, "utf8"), `${"a".repeat(12)}\n`);
  a.rec.State = { ...a.rec.State, Running: true, Pid: 4242 };
  const out = { NetworkSettings: { Networks: {} } } as unknown as ContainerInspect;
  x.inspect(a.rec, out);
  const s = out.NetworkSettings as Record<string, unknown> & { Networks: Record<string, { IPAddress: string; Aliases: string[] | null; Gateway: string }> };
  assert.deepEqual(Object.keys(s.Networks), ["u1", "bridge"]);
  assert.equal(s.Networks.u1?.IPAddress, "10.77.0.10");
  assert.deepEqual(s.Networks.u1?.Aliases, ["www"]);
  assert.equal(s.Networks.bridge?.Gateway, "172.17.0.1");
  assert.equal(s.IPAddress, "172.17.0.2");
  assert.deepEqual(s.Ports, { "80/tcp": [{ HostIp: "127.0.0.1", HostPort: "8080" }], "9000/tcp": null });
  assert.equal(s.SandboxKey, ns);
  const sum = { Ports: [], NetworkSettings: { Networks: {} } } as unknown as ContainerSummary;
  x.summary(a.rec, sum);
  assert.deepEqual(sum.Ports, [{ IP: "127.0.0.1", PrivatePort: 80, PublicPort: 8080, Type: "tcp" }, { PrivatePort: 9000, Type: "tcp" }]);
  assert.deepEqual(Object.keys(nets.inspect("u1").Containers), [ID("a")]);
  await x.release(a.rec);
  await x.release(a.rec);
  assert.deepEqual(netnsCalls, [`create ${ns}`, `remove ${ns}`, `remove ${ns}`]);
  assert.deepEqual(nets.inspect("u1").Containers, {});
  assert.deepEqual(nets.inspect("bridge").Containers, {});
});

test("connect/disconnect of a running container and reconcile of dead ones", async (t) => {
  const { nets, x, make, records } = await setup(t);
  await nets.create({ Name: "u1" });
  const a = await make("a", "app", { NetworkMode: "bridge" });
  records.set(a.rec.ID, a.rec);
  await x.create(a.rec, {});
  await x.prepare(a.rec, a.paths);
  a.rec.State = { ...a.rec.State, Running: true, Pid: 4242 };
  assert.match(await readFile(a.paths.resolvConf, "utf8"), /^nameserver 192\.0\.2\.53$/m);
  await x.connect("u1", "app", { aliases: ["late"] });
  assert.match(await readFile(a.paths.resolvConf, "utf8"), /^nameserver 172\.18\.0\.1$/m, "the first user network brings its DNS");
  assert.match(await readFile(a.paths.hosts, "utf8"), /^172\.18\.0\.2\tlate$/m);
  await assert.rejects(x.connect("u1", "app"), (e: unknown) => kindOf(e) === "conflict");
  await assert.rejects(x.connect("host", "app"), /connected to host network/);
  await x.disconnect("u1", "app");
  assert.deepEqual(nets.inspect("u1").Containers, {});
  await assert.rejects(x.disconnect("u1", "app"), /is not connected to network u1/);
  // A crash: the daemon comes back and the container is not running.
  await x.reconcile(() => false);
  assert.deepEqual(nets.inspect("bridge").Containers, {});
});

test("a namespace made with lo up costs no command for `none` and no lo line for a bridge", async (t) => {
  for (const loopbackUp of [false, true]) {
    const { kernel, x, make, dir } = await setup(t, { loopbackUp });
    const n = await make("c", "quiet", { NetworkMode: "none" });
    await x.create(n.rec, {});
    await x.prepare(n.rec, n.paths);
    const nsN = join(dir, "netns", ID("c"));
    const inNs = (path: string) => kernel.callsOf("ip").filter((c) => c.netns === path).map((c) => c.batch);
    assert.deepEqual(inNs(nsN), loopbackUp ? [] : [[["link", "set", "lo", "up"]]]);
    const b = await make("b", "web", { NetworkMode: "bridge" });
    await x.create(b.rec, {});
    await x.prepare(b.rec, b.paths);
    const batches = inNs(join(dir, "netns", ID("b")));
    assert.equal(batches.length, 1);
    assert.equal(batches[0]?.some((l) => l.join(" ") === "link set dev lo up"), !loopbackUp);
    assert.ok(batches[0]?.some((l) => l[0] === "addr"), "the address is still set");
  }
});
