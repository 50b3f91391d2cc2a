/**
 * Networks in the container lifecycle, as a `ContainerExtension`: validates the networking
 * part of a create body; before each run makes the container's network namespace (a
 * persistent namespace file `<netnsDir>/<id>`, joined by the spec), attaches it to its
 * networks with its published ports and writes /etc/hosts, /etc/resolv.conf and
 * /etc/hostname; after the run detaches it (ports freed) and removes the namespace. Also
 * `connect`/`disconnect` of the Engine API and the NetworkSettings of inspect and list.
 *
 * What was asked (networks, aliases, addresses) is kept in this extension's own records
 * (`<configDir>/<id>.json`); what is live (addresses, ports) is the network service's.
 */
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { ContainerCreateBody, ContainerInspect, ContainerSummary } from "../../api/containers.js";
import { BerthError, conflict, invalidArgument, notFound } from "../../shared/errors.js";
import { nullLogger, type Logger } from "../../shared/logger.js";
import { RecordStore } from "../../store/records/index.js";
import { buildHostsFile, buildHostnameFile } from "../networks/container-files.js";
import type { NetworkService } from "../networks/network-service.js";
import type { EndpointRecord, NetworkRecord, PortBinding } from "../networks/network-record.js";
import type { ContainerExtension, SpecPatch } from "./container-extension.js";
import { netnsFiles, type NetnsFiles } from "./container-network-netns.js";
import {
  checkMac, dnsSettings, endpointFrom, endpointsConfig, extraHosts, parseNetMode, parsePortKey, portBindings,
  type ContainerNetConfig, type EndpointConfig,
} from "./container-network-config.js";
import type { ContainerPaths, ContainerRecord } from "./container-record.js";

/** How the extension finds other containers (`container:X`, connect by name). */
export interface ContainerLookup {
  get(ref: string): ContainerRecord;
}

/** What `ContainerNetworks` needs. */
export interface ContainerNetworksDeps {
  networks: NetworkService;
  /** Directory of the namespace files (`<exec-root>/netns`). */
  netnsDir: string;
  /** Directory of this extension's per-container records (`<data-root>/container-networks`). */
  configDir: string;
  /** Late-bound: the container service. */
  containers: () => ContainerLookup | undefined;
  /** @default /etc/hosts */
  hostHosts?: () => Promise<string>;
  /** Namespace files (tests inject fakes). @default `netnsFiles`: one command, `lo` up */
  netns?: NetnsFiles;
  log?: Logger;
}

/** Docker's `EndpointSettings` as inspect shows it. */
export interface EndpointSettings {
  IPAMConfig: { IPv4Address: string } | null;
  Links: null;
  Aliases: string[] | null;
  MacAddress: string;
  DriverOpts: null;
  GwPriority: number;
  NetworkID: string;
  EndpointID: string;
  Gateway: string;
  IPAddress: string;
  IPPrefixLen: number;
  IPv6Gateway: string;
  GlobalIPv6Address: string;
  GlobalIPv6PrefixLen: number;
  DNSNames: string[] | null;
}

type PortMap = Record<string, Array<{ HostIp: string; HostPort: string }> | null>;

const shortName = (rec: ContainerRecord): string => rec.Name.replace(/^\//, "");

/** The networks extension. */
export class ContainerNetworks implements ContainerExtension {
  readonly name = "networks";
  private readonly d: ContainerNetworksDeps;
  private readonly store: RecordStore<ContainerNetConfig>;
  private readonly configs = new Map<string, ContainerNetConfig>();
  private readonly log: Logger;

  private constructor(d: ContainerNetworksDeps, store: RecordStore<ContainerNetConfig>) {
    this.d = d;
    this.store = store;
    this.log = d.log ?? nullLogger;
  }

  /** Load the per-container records. */
  static async open(d: ContainerNetworksDeps): Promise<ContainerNetworks> {
    const store = await RecordStore.open<ContainerNetConfig>(d.configDir);
    const x = new ContainerNetworks(d, store);
    for (const [id, cfg] of await store.list()) x.configs.set(id, cfg);
    return x;
  }

  /** The namespace file of a container. */
  netnsPath(id: string): string {
    return join(this.d.netnsDir, id);
  }

  private get nets(): NetworkService {
    return this.d.networks;
  }

  private netns(): NetnsFiles {
    return this.d.netns ?? netnsFiles;
  }

  private lookup(ref: string): ContainerRecord {
    const c = this.d.containers();
    if (c === undefined) throw new BerthError("unavailable", "containers are not ready");
    return c.get(ref);
  }

  // ------------------------------------------------------------------ create

  async create(rec: ContainerRecord, body: ContainerCreateBody): Promise<void> {
    const hc = rec.HostConfig as Record<string, unknown>;
    const mode = parseNetMode(rec.HostConfig.NetworkMode);
    const eps = endpointsConfig(body);
    const mac = checkMac((body as { MacAddress?: unknown }).MacAddress);
    const ports = portBindings(hc, rec.Config.ExposedPorts ?? undefined);
    const bridgeGw = this.defaultGateway();
    extraHosts(hc.ExtraHosts, bridgeGw);
    const dns = dnsSettings(hc);
    const cfg: ContainerNetConfig = { endpoints: [] };
    if (mode.kind === "container") {
      const peer = this.lookup(mode.ref);
      if (peer.ID === rec.ID) throw invalidArgument("cannot join own network");
      if (ports.length > 0) throw invalidArgument("conflicting options: port publishing and the container type network mode");
      if (hc.ExtraHosts != null && (hc.ExtraHosts as unknown[]).length > 0) throw invalidArgument("conflicting options: custom host-to-IP mapping and the network mode");
      if (dns.dns.length > 0) throw invalidArgument("conflicting options: dns and the network mode");
      if (mac !== undefined) throw invalidArgument("conflicting options: mac-address and the network mode");
      if (eps.length > 0) throw invalidArgument("container sharing network namespace with another container or host cannot be connected to any other network");
      // Its own name in hosts files: the peer's.
      rec.HostConfig.NetworkMode = `container:${peer.ID}`;
    } else {
      const first = mode.kind === "network" ? mode.name : mode.kind === "networks" ? "bridge" : mode.kind === "none" ? "none" : "host";
      const net = this.nets.get(first === "default" ? "bridge" : first);
      if (mode.kind === "host" && mac !== undefined) throw invalidArgument("conflicting options: mac-address and the network mode");
      // The docker CLI keys the default network's settings "default".
      const settings = new Map(eps.map(([k, v]) => [k === "default" ? "bridge" : k, v] as const));
      const own = settings.get(first) ?? settings.get(net.name) ?? settings.get(net.id);
      cfg.endpoints.push(this.checkEndpoint(net, endpointFrom(net.id, own, mac), rec));
      for (const [ref, s] of settings) {
        if (ref === first || ref === net.name || ref === net.id) continue;
        const other = this.nets.get(ref);
        if (other.driver !== "bridge" || net.driver !== "bridge") {
          throw invalidArgument("container cannot be connected to multiple networks with one of the networks in private (none) mode");
        }
        if (cfg.endpoints.some((e) => e.networkId === other.id)) continue;
        cfg.endpoints.push(this.checkEndpoint(other, endpointFrom(other.id, s), rec));
      }
      if (ports.length > 0 && net.driver === "bridge") {
        for (const p of ports) if (p.hostIp !== "" && p.hostIp !== "0.0.0.0" && !p.hostIp.startsWith("127.")) this.log.debug({ port: p }, "published on a specific address");
      }
    }
    await this.store.put(rec.ID, cfg);
    this.configs.set(rec.ID, cfg);
  }

  private checkEndpoint(net: NetworkRecord, e: EndpointConfig, rec: ContainerRecord): EndpointConfig {
    if (e.aliases.length > 0 && net.builtin) throw invalidArgument("network-scoped alias is supported only for containers in user defined networks");
    if (e.ipv4 !== undefined) {
      if (net.builtin) throw invalidArgument("user specified IP address is supported on user defined networks only");
      const s = net.subnets[0];
      if (s === undefined || !s.userSubnet) throw invalidArgument("user specified IP address is supported only when connecting to networks with user configured subnets");
      if (!inSubnet(e.ipv4, s.subnet)) throw invalidArgument(`no configured subnet or ip-range contain the IP address ${e.ipv4}`);
    }
    for (const a of e.aliases) if (!/^[A-Za-z0-9_.-]{1,253}$/.test(a)) throw invalidArgument(`invalid network alias "${a}"`);
    void rec;
    return e;
  }

  private defaultGateway(): string | undefined {
    try {
      return this.nets.get("bridge").subnets[0]?.gateway;
    } catch {
      return undefined;
    }
  }

  async remove(rec: ContainerRecord): Promise<void> {
    this.configs.delete(rec.ID);
    await this.store.delete(rec.ID);
  }

  // ------------------------------------------------------------------ run

  async prepare(rec: ContainerRecord, paths: ContainerPaths): Promise<SpecPatch | undefined> {
    const hc = rec.HostConfig as Record<string, unknown>;
    const mode = parseNetMode(rec.HostConfig.NetworkMode);
    const hostname = rec.Config.Hostname ?? rec.ID.slice(0, 12);
    const domainname = rec.Config.Domainname ?? "";
    if (mode.kind === "container") {
      let peer: ContainerRecord;
      try {
        peer = this.lookup(mode.ref);
      } catch (err) {
        throw new BerthError("not-found", `joining network namespace of container: No such container: ${mode.ref}`, { cause: err });
      }
      if (!peer.State.Running || peer.State.Pid <= 0) throw conflict(`cannot join network namespace of a non running container: ${peer.ID}`);
      const [hosts, resolv, hn] = await Promise.all([readFile(peer.HostsPath, "utf8"), readFile(peer.ResolvConfPath, "utf8"), readFile(peer.HostnamePath, "utf8")]);
      await Promise.all([writeFile(paths.hosts, hosts), writeFile(paths.resolvConf, resolv), writeFile(paths.hostname, hn)]);
      const nsPath = `/proc/${peer.State.Pid}/ns/net`;
      const peerHostname = hn.trim();
      return (spec) => {
        setNetns(spec, nsPath);
        if (peerHostname !== "") spec.hostname = peerHostname;
      };
    }
    const cfg = this.configFor(rec);
    const extra = extraHosts(hc.ExtraHosts, this.defaultGateway());
    const dns = dnsSettings(hc);
    if (mode.kind === "host") {
      const hostHosts = await (this.d.hostHosts ?? (() => readFile("/etc/hosts", "utf8").catch(() => "")))();
      const lines = extra.map((e) => `${e.ip}\t${e.host}`).join("\n");
      await writeFile(paths.hosts, lines === "" ? hostHosts : `${hostHosts.replace(/\n?$/, "\n")}${lines}\n`);
      const first = cfg.endpoints[0];
      if (first !== undefined) {
        await this.nets.connect(first.networkId, { containerId: rec.ID, name: shortName(rec), netns: { path: "/proc/1/ns/net" } });
      }
      return undefined;
    }
    const nsPath = this.netnsPath(rec.ID);
    const netns = this.netns();
    await netns.create(nsPath);
    const ports = portBindings(hc, rec.Config.ExposedPorts ?? undefined);
    const ips: string[] = [];
    const aliases: Array<{ ip: string; aliases: string[] }> = [];
    let portsPlaced = false;
    try {
      for (const e of cfg.endpoints) {
        const net = this.nets.get(e.networkId);
        const withPorts = !portsPlaced && net.driver === "bridge" && ports.length > 0;
        const info = await this.nets.connect(e.networkId, {
          containerId: rec.ID,
          name: shortName(rec),
          netns: { path: nsPath },
          ...(netns.loopbackUp === true ? { loopbackUp: true } : {}),
          aliases: e.aliases,
          ...(e.ipv4 !== undefined ? { ipv4Address: e.ipv4 } : {}),
          ...(e.mac !== undefined ? { macAddress: e.mac } : {}),
          ...(withPorts ? { ports } : {}),
        });
        if (withPorts) portsPlaced = true;
        if (info.ipAddress !== "") ips.push(info.ipAddress);
        if (info.ipAddress !== "" && info.aliases.length > 0) aliases.push({ ip: info.ipAddress, aliases: info.aliases });
      }
      const first = cfg.endpoints[0];
      const resolv = first !== undefined && this.nets.get(first.networkId).driver !== "null"
        ? this.nets.resolvConf(first.networkId, { dns: dns.dns, dnsSearch: dns.dnsSearch, dnsOptions: dns.dnsOptions })
        : this.nets.resolvConf("bridge", { dns: dns.dns, dnsSearch: dns.dnsSearch, dnsOptions: dns.dnsOptions });
      await Promise.all([
        writeFile(paths.hosts, hostsText({ hostname, domainname, ips, extraHosts: extra }, aliases)),
        writeFile(paths.resolvConf, resolv),
        writeFile(paths.hostname, buildHostnameFile(hostname)),
      ]);
    } catch (err) {
      await this.release(rec);
      throw err;
    }
    return (spec) => setNetns(spec, nsPath);
  }

  async release(rec: ContainerRecord): Promise<void> {
    // Side by side: the veth deletion treats a link already gone with the namespace as done,
    // so neither waits for the other's host command.
    await Promise.all([
      this.nets.releaseContainer(rec.ID).catch((err: unknown) => this.log.warn({ container: rec.ID, err: String(err) }, "leave networks")),
      this.netns().remove(this.netnsPath(rec.ID)).catch((err: unknown) => this.log.warn({ container: rec.ID, err: String(err) }, "remove network namespace")),
    ]);
  }

  private configFor(rec: ContainerRecord): ContainerNetConfig {
    const cfg = this.configs.get(rec.ID);
    if (cfg !== undefined) return cfg;
    // A container created before networks were wired: its NetworkMode alone.
    const mode = parseNetMode(rec.HostConfig.NetworkMode);
    const name = mode.kind === "network" ? mode.name : mode.kind === "networks" ? "bridge" : mode.kind === "container" ? undefined : mode.kind;
    if (name === undefined) return { endpoints: [] };
    return { endpoints: [{ networkId: this.nets.get(name).id, aliases: [] }] };
  }

  // ------------------------------------------------------------------ connect / disconnect

  /** `POST /networks/{id}/connect`: record the network; join now when the container runs. */
  async connect(netRef: string, containerRef: string, s: { aliases?: string[]; ipv4?: string; mac?: string } = {}): Promise<void> {
    const rec = this.lookup(containerRef);
    const net = this.nets.get(netRef);
    const mode = parseNetMode(rec.HostConfig.NetworkMode);
    if (mode.kind === "container") throw invalidArgument("container sharing network namespace with another container or host cannot be connected to any other network");
    if (mode.kind === "host" || net.driver === "host") throw invalidArgument("container cannot be disconnected from host network or connected to host network");
    if (mode.kind === "none" || net.driver === "null") throw invalidArgument("container cannot be connected to multiple networks with one of the networks in private (none) mode");
    const cfg = structuredClone(this.configFor(rec));
    if (cfg.endpoints.some((e) => e.networkId === net.id)) throw conflict(`endpoint with name ${shortName(rec)} already exists in network ${net.name}`);
    const e: EndpointConfig = { networkId: net.id, aliases: [...(s.aliases ?? [])] };
    if (s.ipv4 !== undefined && s.ipv4 !== "") e.ipv4 = s.ipv4;
    if (s.mac !== undefined && s.mac !== "") e.mac = s.mac;
    this.checkEndpoint(net, e, rec);
    if (rec.State.Running) {
      const info = await this.nets.connect(net.id, {
        containerId: rec.ID, name: shortName(rec), netns: { path: this.netnsPath(rec.ID) }, aliases: e.aliases,
        ...(e.ipv4 !== undefined ? { ipv4Address: e.ipv4 } : {}),
        ...(e.mac !== undefined ? { macAddress: e.mac } : {}),
      });
      await this.rewriteHosts(rec).catch((err: unknown) => this.log.warn({ container: rec.ID, err: String(err), ip: info.ipAddress }, "update hosts file"));
      // As moby's sandbox starting its resolver on the first network that needs one: a
      // container without embedded DNS so far asks this network's server from now on.
      const hadDns = cfg.endpoints.some((x) => {
        try {
          return !this.nets.get(x.networkId).builtin;
        } catch {
          return false;
        }
      });
      if (!net.builtin && !hadDns) {
        const dns = dnsSettings(rec.HostConfig as Record<string, unknown>);
        await writeFile(rec.ResolvConfPath, this.nets.resolvConf(net.id, { dns: dns.dns, dnsSearch: dns.dnsSearch, dnsOptions: dns.dnsOptions }))
          .catch((err: unknown) => this.log.warn({ container: rec.ID, err: String(err) }, "update resolv.conf"));
      }
    }
    cfg.endpoints.push(e);
    await this.store.put(rec.ID, cfg);
    this.configs.set(rec.ID, cfg);
  }

  /** `POST /networks/{id}/disconnect`. */
  async disconnect(netRef: string, containerRef: string, force = false): Promise<void> {
    const net = this.nets.get(netRef);
    let rec: ContainerRecord;
    try {
      rec = this.lookup(containerRef);
    } catch (err) {
      // A container that is gone but left an endpoint: `--force` cleans it, as dockerd.
      if (force) return this.nets.disconnect(net.id, containerRef);
      throw err;
    }
    const mode = parseNetMode(rec.HostConfig.NetworkMode);
    if (mode.kind === "host" || net.driver === "host") throw invalidArgument("container cannot be disconnected from host network or connected to host network");
    const cfg = structuredClone(this.configFor(rec));
    const i = cfg.endpoints.findIndex((e) => e.networkId === net.id);
    if (i < 0) throw notFound(`container ${rec.ID} is not connected to network ${net.name}`);
    if (rec.State.Running) {
      await this.nets.disconnect(net.id, rec.ID).catch((err: unknown) => {
        if (!(err instanceof BerthError && err.kind === "not-found")) throw err;
      });
    }
    cfg.endpoints.splice(i, 1);
    await this.store.put(rec.ID, cfg);
    this.configs.set(rec.ID, cfg);
    if (rec.State.Running) await this.rewriteHosts(rec).catch((err: unknown) => this.log.warn({ container: rec.ID, err: String(err) }, "update hosts file"));
  }

  private async rewriteHosts(rec: ContainerRecord): Promise<void> {
    const live = this.live(rec.ID).filter((l) => l.ep.ip !== "");
    const extra = extraHosts((rec.HostConfig as Record<string, unknown>).ExtraHosts, this.defaultGateway());
    const text = hostsText({ hostname: rec.Config.Hostname ?? rec.ID.slice(0, 12), domainname: rec.Config.Domainname ?? "", ips: live.map((l) => l.ep.ip), extraHosts: extra },
      live.filter((l) => l.ep.aliases.length > 0).map((l) => ({ ip: l.ep.ip, aliases: l.ep.aliases })));
    await writeFile(rec.HostsPath, text);
  }

  // ------------------------------------------------------------------ reconcile

  /**
   * After a daemon crash: endpoints and namespace files of containers that are not running
   * (or no longer exist) are released.
   */
  async reconcile(running: (id: string) => boolean): Promise<void> {
    const ids = new Set<string>();
    for (const n of this.nets.list()) for (const id of Object.keys(this.nets.inspect(n.Id).Containers)) ids.add(id);
    for (const id of ids) {
      if (running(id)) continue;
      this.log.info({ container: id }, "releasing the endpoints of a container that is not running");
      await this.nets.releaseContainer(id).catch((err: unknown) => this.log.warn({ container: id, err: String(err) }, "release endpoints"));
    }
    const { readdir } = await import("node:fs/promises");
    for (const f of await readdir(this.d.netnsDir).catch(() => [] as string[])) {
      if (/^[0-9a-f]{64}$/.test(f) && !running(f)) await this.netns().remove(join(this.d.netnsDir, f)).catch(() => undefined);
    }
    // Records of containers that are gone (removed while a crash interrupted the removal).
    for (const id of [...this.configs.keys()]) {
      try {
        this.lookup(id);
      } catch {
        this.configs.delete(id);
        await this.store.delete(id).catch(() => undefined);
      }
    }
  }

  // ------------------------------------------------------------------ views

  private live(id: string): Array<{ net: NetworkRecord; ep: EndpointRecord }> {
    return this.nets.endpointsOf(id).map((x) => ({ net: this.nets.get(x.network), ep: x.endpoint }));
  }

  /** Docker's NetworkSettings.Networks entries (live values while the container runs). */
  private networksView(rec: ContainerRecord): Record<string, EndpointSettings> {
    const out: Record<string, EndpointSettings> = {};
    const mode = parseNetMode(rec.HostConfig.NetworkMode);
    if (mode.kind === "container") return out;
    const live = new Map(this.live(rec.ID).map((l) => [l.net.id, l]));
    for (const e of this.configFor(rec).endpoints) {
      let net: NetworkRecord;
      try {
        net = this.nets.get(e.networkId);
      } catch {
        continue;
      }
      const l = live.get(net.id);
      const prefix = Number(net.subnets[0]?.subnet.split("/")[1] ?? 0);
      const user = !net.builtin;
      out[net.name] = {
        IPAMConfig: e.ipv4 !== undefined ? { IPv4Address: e.ipv4 } : null,
        Links: null,
        Aliases: e.aliases.length > 0 ? [...e.aliases] : null,
        MacAddress: l?.ep.mac ?? e.mac ?? "",
        DriverOpts: null,
        GwPriority: 0,
        NetworkID: net.id,
        EndpointID: l?.ep.id ?? "",
        Gateway: l !== undefined && net.driver === "bridge" ? (net.subnets[0]?.gateway ?? "") : "",
        IPAddress: l?.ep.ip ?? "",
        IPPrefixLen: l !== undefined && l.ep.ip !== "" ? prefix : 0,
        IPv6Gateway: "",
        GlobalIPv6Address: "",
        GlobalIPv6PrefixLen: 0,
        DNSNames: user ? [shortName(rec), rec.ID.slice(0, 12), ...e.aliases] : null,
      };
    }
    return out;
  }

  /** NetworkSettings.Ports: published bindings while running, exposed ports as null. */
  private portsView(rec: ContainerRecord): PortMap {
    const out: PortMap = {};
    if (!rec.State.Running) return out;
    for (const key of Object.keys(rec.Config.ExposedPorts ?? {})) {
      const { port, proto } = parsePortKey(key);
      out[`${port}/${proto}`] = null;
    }
    for (const b of this.publishedOf(rec.ID)) {
      const key = `${b.containerPort}/${b.proto}`;
      const list = out[key] ?? [];
      list.push({ HostIp: b.hostIp, HostPort: String(b.hostPort) });
      out[key] = list;
    }
    return out;
  }

  /** The published ports of a running container (ephemeral ones as bound). */
  publishedOf(id: string): PortBinding[] {
    return this.live(id).flatMap((l) => l.ep.ports);
  }

  inspect(rec: ContainerRecord, out: ContainerInspect): void {
    const networks = this.networksView(rec);
    const ns = out.NetworkSettings as Record<string, unknown>;
    const mode = parseNetMode(rec.HostConfig.NetworkMode);
    ns.Networks = networks;
    ns.Ports = this.portsView(rec);
    ns.SandboxKey = rec.State.Running && (mode.kind === "networks" || mode.kind === "network" || mode.kind === "none") ? this.netnsPath(rec.ID) : "";
    ns.SandboxID = rec.State.Running ? rec.ID : "";
    const bridge = networks.bridge;
    ns.EndpointID = bridge?.EndpointID ?? "";
    ns.Gateway = bridge?.Gateway ?? "";
    ns.IPAddress = bridge?.IPAddress ?? "";
    ns.IPPrefixLen = bridge?.IPPrefixLen ?? 0;
    ns.MacAddress = bridge?.MacAddress ?? "";
    ns.HairpinMode = false;
    ns.LinkLocalIPv6Address = "";
    ns.LinkLocalIPv6PrefixLen = 0;
    ns.SecondaryIPAddresses = null;
    ns.SecondaryIPv6Addresses = null;
    ns.GlobalIPv6Address = "";
    ns.GlobalIPv6PrefixLen = 0;
    ns.IPv6Gateway = "";
  }

  summary(rec: ContainerRecord, out: ContainerSummary): void {
    out.NetworkSettings = { Networks: this.networksView(rec) };
    const ports: Array<{ IP?: string; PrivatePort: number; PublicPort?: number; Type: string }> = [];
    const published = rec.State.Running ? this.publishedOf(rec.ID) : [];
    const done = new Set<string>();
    for (const b of published) {
      ports.push({ IP: b.hostIp, PrivatePort: b.containerPort, PublicPort: b.hostPort, Type: b.proto });
      done.add(`${b.containerPort}/${b.proto}`);
    }
    for (const key of Object.keys(rec.Config.ExposedPorts ?? {})) {
      const { port, proto } = parsePortKey(key);
      if (!done.has(`${port}/${proto}`)) ports.push({ PrivatePort: port, Type: proto });
    }
    out.Ports = ports;
  }
}

/** Docker's hosts file, then one line per address with the network-scoped aliases of that endpoint. */
function hostsText(o: Parameters<typeof buildHostsFile>[0], aliases: ReadonlyArray<{ ip: string; aliases: readonly string[] }>): string {
  return buildHostsFile(o) + aliases.map((a) => `${a.ip}\t${a.aliases.join(" ")}\n`).join("");
}

function setNetns(spec: Parameters<SpecPatch>[0], path: string): void {
  const linux = spec.linux ?? (spec.linux = {});
  const list = linux.namespaces ?? (linux.namespaces = []);
  const ns = list.find((n) => n.type === "network");
  if (ns !== undefined) ns.path = path;
  else list.push({ type: "network", path });
}

function inSubnet(ip: string, cidr: string): boolean {
  const toN = (s: string) => s.split(".").reduce((a, x) => a * 256 + Number(x), 0);
  const [base, len] = cidr.split("/");
  const bits = Number(len);
  const size = 2 ** (32 - bits);
  const b = toN(base ?? "");
  const n = toN(ip);
  return n >= b && n < b + size;
}
