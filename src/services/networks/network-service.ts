/**
 * The network service: network records (`<dataRoot>/networks/<id>.json`), the predefined
 * networks (`bridge` on `berth0`, `host`, `none`), user-defined bridge networks with IPAM,
 * endpoints (connect/disconnect), published ports, the embedded DNS of user networks and
 * reconciliation of kernel state after a crash. Knows nothing of HTTP; errors carry kinds
 * and Docker's texts. Operations are serialised by one lock.
 */
import { createHash, randomBytes } from "node:crypto";
import { readFile } from "node:fs/promises";
import type { NetKernel, NetnsRef } from "../../kernel/net/net-kernel.js";
import { BerthError, conflict, invalidArgument, notFound } from "../../shared/errors.js";
import { nullLogger, type Logger } from "../../shared/logger.js";
import { RecordStore } from "../../store/records/index.js";
import type { EventBus } from "../events/event-bus.js";
import { buildResolvConf, parseResolvConf, type ResolvConfOptions } from "./container-files.js";
import {
  OPT_BRIDGE_NAME,
  OPT_DEFAULT_BRIDGE,
  OPT_HOST_BINDING,
  OPT_ICC,
  OPT_MASQUERADE,
  OPT_MTU,
  PREDEFINED,
  validateCreate,
  validateIfname,
  type NetworkCreateRequest,
} from "./create-request.js";
import { DnsServer, type DnsUpstream } from "./dns/dns-server.js";
import { BridgeDriver } from "./drivers/bridge-driver.js";
import type { NetworkDriver } from "./drivers/network-driver.js";
import { NullDriver } from "./drivers/null-driver.js";
import { allocateAddress, chooseSubnet, checkUserSubnet, DEFAULT_ADDRESS_POOLS, defaultGateway, macFromIp, type AddressPool } from "./ipam.js";
import { formatCidr, formatIp, isIp, parseCidr, type Prefix } from "./ipv4.js";
import { deleteTableScript, DEFAULT_TABLE, portsScript, renderRuleset } from "./nft-ruleset.js";
import { reservePorts, validatePorts } from "./port-bindings.js";
import { collectAbandoned, removeLease, writeLease } from "./owner-leases.js";
import { addressOn, namesOn, visibleNetworks } from "./name-resolution.js";
import { listPredicate, prunePredicate, type NetworkFilters } from "./network-filters.js";
import { rfc3339Nano, toInspect, validateRecord, type EndpointRecord, type NetworkInspect, type NetworkRecord, type PortBinding } from "./network-record.js";
import { compareStrings } from "../../shared/compare.js";

/** The default bridge's settings. */
export interface DefaultBridgeOptions {
  /** @default "berth0" */
  name?: string;
  /** @default the first free subnet of the pools (172.17.0.0/16 when free) */
  subnet?: string;
  gateway?: string;
  mtu?: number;
  /** Masquerade its outbound traffic (dockerd's --ip-masq). @default true */
  masquerade?: boolean;
}

/** Options of `NetworkService.open`. */
export interface NetworkServiceOptions {
  /** Directory of the network records (`<dataRoot>/networks`). */
  recordsDir: string;
  kernel: NetKernel;
  events?: EventBus;
  log?: Logger;
  /** @default DEFAULT_ADDRESS_POOLS */
  addressPools?: readonly AddressPool[];
  /** `false`: no default bridge network (tests). @default { name: "berth0" } */
  defaultBridge?: DefaultBridgeOptions | false;
  /** berth's nftables table (`table ip <name>`). @default "berth" */
  nftTable?: string;
  /** Turn on net.ipv4.ip_forward when a non-internal bridge exists (dockerd's --ip-forward). @default true */
  ipForward?: boolean;
  /** Embedded DNS: the port on each user network's gateway and the upstreams. `false` disables it. */
  dns?: { port?: number; upstreams?: readonly DnsUpstream[]; resolvConfPath?: string } | false;
  /** The host resolv.conf read for upstreams and container files. @default "/etc/resolv.conf" */
  resolvConfPath?: string;
  /**
   * Host-wide directory of owner leases (owner-leases.ts): this service records its own and
   * removes the kernel state of owners whose records directory vanished. Off when absent.
   */
  leasesDir?: string;
  /** @default Date.now */
  now?: () => number;
  /** Random integer in [lo, hi] for ephemeral ports. @default crypto-random */
  randomInt?: (lo: number, hi: number) => number;
}

/** What the container service passes to `connect`. */
export interface ConnectOptions {
  containerId: string;
  /** The container's name (without "/"). */
  name: string;
  netns: NetnsRef;
  /** `lo` in `netns` is up already (the caller made the namespace so): the join leaves it. */
  loopbackUp?: boolean;
  aliases?: readonly string[];
  /** `--ip` */
  ipv4Address?: string;
  /** `--mac-address` */
  macAddress?: string;
  /** Install the default route via this network. @default true for the container's first bridge endpoint */
  defaultRoute?: boolean;
  /**
   * Ports to publish with the join: reserved before any kernel change, and their DNAT
   * elements added while the veth is plumbed (one nft process in parallel with the ip ones).
   */
  ports?: readonly PortBinding[];
}

/** What `connect` returns to the container service (NetworkSettings.Networks entry material). */
export interface EndpointInfo {
  networkId: string;
  endpointId: string;
  ifname: string;
  ipAddress: string;
  prefixLen: number;
  gateway: string;
  macAddress: string;
  aliases: string[];
  /** The published ports as bound (ephemeral host ports filled in). */
  ports: PortBinding[];
}


const MAC_RE = /^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$/;

function newId(): string {
  return randomBytes(32).toString("hex");
}

function defaultRandomInt(lo: number, hi: number): number {
  return lo + (randomBytes(4).readUInt32BE(0) % (hi - lo + 1));
}



/** The network service. */
export class NetworkService {
  private readonly o: NetworkServiceOptions;
  private readonly store: RecordStore<NetworkRecord>;
  private readonly nets = new Map<string, NetworkRecord>();
  private readonly drivers: Record<NetworkRecord["driver"], NetworkDriver>;
  private readonly dns = new Map<string, DnsServer>();
  private readonly reservations = new Map<string, Array<{ release(): Promise<void> }>>();
  private readonly log: Logger;
  private readonly table: string;
  /** Marks berth's links in `ifalias`, scoped to this records directory. */
  private readonly owner: string;
  private upstreams: readonly DnsUpstream[] = [];
  private hostResolvConf = "";
  private lock: Promise<unknown> = Promise.resolve();

  private constructor(o: NetworkServiceOptions, store: RecordStore<NetworkRecord>) {
    this.o = o;
    this.store = store;
    this.log = o.log ?? nullLogger;
    this.table = o.nftTable ?? DEFAULT_TABLE;
    if (!/^[A-Za-z][A-Za-z0-9_]{0,30}$/.test(this.table)) throw new RangeError(`invalid nftables table name "${this.table}"`);
    this.owner = createHash("sha256").update(o.recordsDir).digest("hex").slice(0, 8);
    this.drivers = {
      bridge: new BridgeDriver(o.kernel, { marks: { net: (id) => this.netAlias(id), ep: (id) => this.epAlias(id) } }),
      host: new NullDriver("host", o.kernel),
      null: new NullDriver("null", o.kernel),
    };
  }

  /** Open the records, create the predefined networks, reconcile the kernel, start DNS. */
  static async open(o: NetworkServiceOptions): Promise<NetworkService> {
    const store = await RecordStore.open<NetworkRecord>(o.recordsDir);
    const svc = new NetworkService(o, store);
    for (const [file, raw] of await store.list()) {
      try {
        const rec = validateRecord(raw);
        if (rec.id !== file) throw new RangeError(`network record "${file}": id "${rec.id}" does not match the file name`);
        svc.nets.set(rec.id, rec);
      } catch (err) {
        // Left on disk for inspection; the network is not served.
        svc.log.error({ record: file, err: String(err) }, "skipping an invalid network record");
      }
    }
    await svc.loadResolvConf();
    if (o.leasesDir !== undefined) {
      // Before the default bridge picks a subnet: abandoned bridges hold theirs.
      await collectAbandoned(o.leasesDir, svc.owner, o.kernel, svc.log).catch((err: unknown) => svc.log.warn({ err: String(err) }, "collect abandoned network state"));
      await writeLease(o.leasesDir, svc.owner, { recordsDir: o.recordsDir, table: svc.table, pid: process.pid });
    }
    await svc.ensurePredefined();
    await svc.reconcile();
    return svc;
  }

  private serialize<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.lock.then(fn, fn);
    this.lock = next.catch(() => undefined);
    return next;
  }

  private now(): number {
    return (this.o.now ?? Date.now)();
  }

  private netAlias(id: string): string {
    return `berth:${this.owner}:net:${id}`;
  }

  private epAlias(id: string): string {
    return `berth:${this.owner}:ep:${id}`;
  }

  private async loadResolvConf(): Promise<void> {
    const path = (this.o.dns !== false ? this.o.dns?.resolvConfPath : undefined) ?? this.o.resolvConfPath ?? "/etc/resolv.conf";
    try {
      this.hostResolvConf = await readFile(path, "utf8");
    } catch {
      this.hostResolvConf = "";
    }
    const configured = this.o.dns !== false ? this.o.dns?.upstreams : undefined;
    this.upstreams = configured ?? parseResolvConf(this.hostResolvConf).nameservers.filter(isIp).map((host) => ({ host, port: 53 }));
  }

  // ---------------------------------------------------------------- predefined networks

  private async ensurePredefined(): Promise<void> {
    const byName = new Map([...this.nets.values()].map((n) => [n.name, n]));
    for (const [name, driver] of [["host", "host"], ["none", "null"]] as const) {
      if (byName.has(name)) continue;
      const rec = this.newRecord(name, driver);
      rec.builtin = true;
      await this.store.put(rec.id, rec);
      this.nets.set(rec.id, rec);
    }
    if (this.o.defaultBridge === false || byName.has("bridge")) return;
    const d = this.o.defaultBridge ?? {};
    const bridge = validateIfname(OPT_BRIDGE_NAME, d.name ?? "berth0");
    const rec = this.newRecord("bridge", "bridge");
    rec.builtin = true;
    rec.bridge = bridge;
    if (d.mtu !== undefined) rec.mtu = d.mtu;
    const taken = await this.takenPrefixes(bridge);
    let subnet: Prefix;
    if (d.subnet !== undefined) {
      subnet = parseCidr(d.subnet, true);
      checkUserSubnet(subnet, taken);
    } else {
      try {
        subnet = chooseSubnet(this.o.addressPools ?? DEFAULT_ADDRESS_POOLS, taken);
      } catch (err) {
        // Every pool is taken (by the host's routes or other engines): the daemon still
        // serves user networks with explicit subnets, host and none; it retries at next start.
        this.log.error({ err: String(err) }, "no free subnet for the default bridge; starting without it");
        return;
      }
    }
    rec.subnets = [{ subnet: formatCidr(subnet), gateway: d.gateway ?? formatIp(defaultGateway(subnet)), userSubnet: d.subnet !== undefined }];
    rec.options = {
      [OPT_DEFAULT_BRIDGE]: "true",
      [OPT_ICC]: "true",
      [OPT_MASQUERADE]: String(d.masquerade ?? true),
      [OPT_HOST_BINDING]: "0.0.0.0",
      [OPT_BRIDGE_NAME]: bridge,
      [OPT_MTU]: String(d.mtu ?? 1500),
    };
    if (d.masquerade === false) rec.masquerade = false;
    // The record first: a crash before the bridge exists is repaired by reconcile.
    await this.store.put(rec.id, rec);
    this.nets.set(rec.id, rec);
  }

  private newRecord(name: string, driver: NetworkRecord["driver"]): NetworkRecord {
    return {
      id: newId(),
      name,
      created: rfc3339Nano(this.now(), Number(process.hrtime.bigint() % 1_000_000n)),
      driver,
      internal: false,
      attachable: false,
      builtin: false,
      ipamDriver: "default",
      ipamOptions: {},
      subnets: [],
      options: {},
      labels: {},
      masquerade: driver === "bridge",
      endpoints: {},
    };
  }

  /** Prefixes no new subnet may overlap: host routes, host addresses, berth's networks. */
  private async takenPrefixes(ownBridge?: string): Promise<Prefix[]> {
    const out: Prefix[] = [];
    const [routes, addrs, links] = await Promise.all([this.o.kernel.routes(), this.o.kernel.addresses(), this.o.kernel.links()]);
    const ours = new Set(links.filter((l) => l.alias?.startsWith(`berth:${this.owner}:net:`)).map((l) => l.ifname));
    if (ownBridge !== undefined) ours.add(ownBridge);
    const addrIfByPrefix = new Map<string, string>();
    for (const a of addrs) addrIfByPrefix.set(formatCidr(parseCidr(`${a.local}/${a.prefixlen}`)), a.ifname);
    for (const r of routes) {
      const p = parseCidr(r);
      // Our own bridges' routes are covered by the records (a stale one must not block reuse).
      const dev = addrIfByPrefix.get(formatCidr(p));
      if (dev !== undefined && ours.has(dev)) continue;
      out.push(p);
    }
    for (const a of addrs) {
      if (ours.has(a.ifname)) continue;
      out.push(parseCidr(`${a.local}/${a.prefixlen}`));
    }
    for (const n of this.nets.values()) for (const s of n.subnets) out.push(parseCidr(s.subnet));
    return out;
  }

  // ---------------------------------------------------------------- reconcile

  /**
   * Make the kernel match the records: delete berth's (this records directory's) bridges
   * and veths that no record owns, recreate missing bridges, replace the nft table,
   * re-reserve published ports, start the DNS servers.
   */
  private async reconcile(): Promise<void> {
    const links = await this.o.kernel.links();
    const endpointIds = new Set<string>();
    const netIds = new Set<string>();
    for (const n of this.nets.values()) {
      netIds.add(n.id);
      for (const id of Object.keys(n.endpoints)) endpointIds.add(id);
    }
    const stale: string[][] = [];
    const prefix = `berth:${this.owner}:`;
    for (const l of links) {
      if (l.alias === undefined || !l.alias.startsWith(prefix)) continue;
      const [kind, id] = l.alias.slice(prefix.length).split(":");
      if (kind === "ep" && id !== undefined && !endpointIds.has(id)) stale.push(["link", "del", "dev", l.ifname]);
      if (kind === "net" && id !== undefined && !netIds.has(id)) stale.push(["link", "del", "dev", l.ifname]);
    }
    for (const cmd of stale) {
      try {
        await this.o.kernel.ip([cmd]);
        this.log.info({ link: cmd[3] }, "removed a stale berth link");
      } catch (err) {
        this.log.warn({ link: cmd[3], err: String(err) }, "could not remove a stale berth link");
      }
    }
    const byName = new Map(links.map((l) => [l.ifname, l]));
    for (const n of this.nets.values()) {
      if (n.driver !== "bridge" || n.bridge === undefined) continue;
      const link = byName.get(n.bridge);
      if (link?.alias === this.netAlias(n.id)) continue;
      if (link !== undefined) {
        this.log.error({ network: n.name, bridge: n.bridge }, "bridge name is taken by a link berth did not create");
        continue;
      }
      await this.createBridge(n);
      // Veths of recorded endpoints outlive their bridge: put them back on the new one.
      const orphans = Object.values(n.endpoints).filter((ep) => byName.get(ep.hostVeth)?.alias === this.epAlias(ep.id));
      if (orphans.length > 0) await this.o.kernel.ip(orphans.map((ep) => ["link", "set", "dev", ep.hostVeth, "master", n.bridge ?? "", "up"]));
    }
    await this.o.kernel.nft(renderRuleset(this.table, this.bridgeNets()));
    await this.ensureIpForward();
    for (const n of this.nets.values()) {
      for (const ep of Object.values(n.endpoints)) {
        if (ep.ports.length === 0) continue;
        const held: Array<{ release(): Promise<void> }> = [];
        for (const p of ep.ports) {
          try {
            held.push(await this.o.kernel.reservePort(p.hostIp, p.hostPort, p.proto));
          } catch (err) {
            this.log.warn({ port: p, err: String(err) }, "published port is now held by another process");
          }
        }
        this.reservations.set(ep.id, held);
      }
    }
    for (const n of this.nets.values()) await this.startDns(n);
  }

  private bridgeNets(): NetworkRecord[] {
    return [...this.nets.values()].filter((n) => n.driver === "bridge");
  }

  private async createBridge(n: NetworkRecord): Promise<void> {
    await this.drivers.bridge.createNetwork(n);
  }

  private async ensureIpForward(): Promise<void> {
    if (this.o.ipForward === false) return;
    if (!this.bridgeNets().some((n) => !n.internal)) return;
    if ((await this.o.kernel.readSysctl("net/ipv4/ip_forward")) !== "1") {
      await this.o.kernel.writeSysctl("net/ipv4/ip_forward", "1");
    }
  }

  private async startDns(n: NetworkRecord): Promise<void> {
    if (this.o.dns === false || n.driver !== "bridge" || n.builtin) return;
    const gw = n.subnets[0]?.gateway;
    if (gw === undefined || this.dns.has(n.id)) return;
    try {
      const server = await DnsServer.start({
        host: gw,
        port: this.o.dns?.port ?? 53,
        lookup: (name, client) => this.lookupFrom(n.id, name, client),
        reverse: (ip, client) => this.reverseFrom(n.id, ip, client),
        upstreams: n.internal ? [] : this.upstreams,
      });
      this.dns.set(n.id, server);
    } catch (err) {
      this.log.warn({ network: n.name, address: gw, err: String(err) }, "embedded DNS server could not start");
    }
  }

  private async stopDns(id: string): Promise<void> {
    const s = this.dns.get(id);
    if (s === undefined) return;
    this.dns.delete(id);
    await s.close();
  }

  /** The addresses of `name` on network `id`: container names, aliases, short ids, `<name>.<network>`. */
  lookupName(id: string, name: string): string[] | undefined {
    return namesOn(this.nets, id, name);
  }

  /** The PTR name of an address on network `id`: `<container name>.<network name>`, as Docker answers. */
  lookupAddress(id: string, ip: string): string | undefined {
    return addressOn(this.nets, id, ip);
  }

  /** `lookupName` over every user network of the container at address `client` on network `id`. */
  lookupFrom(id: string, name: string, client: string): string[] | undefined {
    for (const net of visibleNetworks(this.nets, id, client)) {
      const found = namesOn(this.nets, net, name);
      if (found !== undefined) return found;
    }
    return undefined;
  }

  /** `lookupAddress` over every user network of the container at address `client` on network `id`. */
  reverseFrom(id: string, ip: string, client: string): string | undefined {
    for (const net of visibleNetworks(this.nets, id, client)) {
      const found = addressOn(this.nets, net, ip);
      if (found !== undefined) return found;
    }
    return undefined;
  }

  /** The port of the DNS server of network `id` (tests and diagnostics). */
  dnsPort(id: string): number | undefined {
    return this.dns.get(id)?.port;
  }

  // ---------------------------------------------------------------- lookup

  private find(idOrName: string): NetworkRecord {
    const byId = this.nets.get(idOrName);
    if (byId !== undefined) return byId;
    for (const n of this.nets.values()) if (n.name === idOrName) return n;
    if (/^[0-9a-f]+$/.test(idOrName)) {
      const matches = [...this.nets.values()].filter((n) => n.id.startsWith(idOrName));
      if (matches.length === 1 && matches[0] !== undefined) return matches[0];
      if (matches.length > 1) throw invalidArgument(`network ${idOrName} is ambiguous (${matches.length} matches found based on ID prefix)`);
    }
    throw notFound(`network ${idOrName} not found`);
  }

  /** The record of a network (by id, name or unique id prefix). */
  get(idOrName: string): NetworkRecord {
    return structuredClone(this.find(idOrName));
  }

  // ---------------------------------------------------------------- create / inspect / list

  /** Create a user-defined bridge network (Docker's `POST /networks/create`). */
  create(req: NetworkCreateRequest): Promise<{ Id: string; Warning: string }> {
    return this.serialize(async () => {
      const v = validateCreate(req);
      for (const n of this.nets.values()) {
        if (n.name === v.name) throw conflict(`network with name ${v.name} already exists`);
      }
      const rec = this.newRecord(v.name, "bridge");
      rec.internal = v.internal;
      rec.attachable = v.attachable;
      rec.ipamOptions = v.ipamOptions;
      rec.options = v.options;
      rec.labels = v.labels;
      rec.masquerade = v.masquerade && !v.internal;
      if (!v.icc) rec.icc = false;
      rec.bridge = v.bridgeName ?? `br-${rec.id.slice(0, 12)}`;
      if (v.mtu !== undefined) rec.mtu = v.mtu;
      for (const n of this.nets.values()) {
        if (n.bridge === rec.bridge) throw conflict(`bridge name ${rec.bridge} is already used by network ${n.name}`);
      }
      const links = await this.o.kernel.links();
      if (links.some((l) => l.ifname === rec.bridge)) throw conflict(`bridge name ${rec.bridge} is already used by another interface on the host`);
      const taken = await this.takenPrefixes();
      if (v.pool !== undefined) {
        const subnet = parseCidr(v.pool.subnet, true);
        checkUserSubnet(subnet, taken);
        const s: NetworkRecord["subnets"][number] = { subnet: formatCidr(subnet), gateway: v.pool.gateway ?? formatIp(defaultGateway(subnet)), userSubnet: true };
        if (v.pool.ipRange !== undefined) s.ipRange = v.pool.ipRange;
        rec.subnets = [s];
      } else {
        const subnet = chooseSubnet(this.o.addressPools ?? DEFAULT_ADDRESS_POOLS, taken);
        rec.subnets = [{ subnet: formatCidr(subnet), gateway: formatIp(defaultGateway(subnet)), userSubnet: false }];
      }
      // The record first: a crash before the bridge exists is repaired by reconcile.
      await this.store.put(rec.id, rec);
      this.nets.set(rec.id, rec);
      try {
        // Rules match interface names, so they need not wait for the bridge.
        const [made, ruled] = await Promise.allSettled([this.createBridge(rec), this.o.kernel.nft(renderRuleset(this.table, this.bridgeNets()))]);
        if (made.status === "rejected") throw made.reason;
        if (ruled.status === "rejected") throw ruled.reason;
        await this.ensureIpForward();
      } catch (err) {
        this.nets.delete(rec.id);
        await this.drivers.bridge.deleteNetwork(rec).catch(() => undefined);
        await this.o.kernel.nft(renderRuleset(this.table, this.bridgeNets())).catch(() => undefined);
        await this.store.delete(rec.id);
        throw new BerthError("internal", `create network "${v.name}": ${err instanceof Error ? err.message : String(err)}`, { cause: err });
      }
      await this.startDns(rec);
      this.o.events?.publish("network", "create", rec.id, { name: rec.name, type: rec.driver });
      return { Id: rec.id, Warning: "" };
    });
  }

  /** Docker's `GET /networks/{id}`. */
  inspect(idOrName: string): NetworkInspect {
    return toInspect(this.find(idOrName));
  }

  /** Docker's `GET /networks` with filters (name, id, label, driver, type, dangling, scope). */
  list(filters: NetworkFilters = {}): NetworkInspect[] {
    const keep = listPredicate(filters);
    return [...this.nets.values()]
      .sort((a, b) => compareStrings(a.created, b.created))
      .filter(keep)
      // The list shows no containers (as dockerd).
      .map((n) => ({ ...toInspect(n), Containers: {} }));
  }

  // ---------------------------------------------------------------- remove / prune

  /** Remove a network; refused for predefined networks and while endpoints exist. */
  remove(idOrName: string): Promise<void> {
    return this.serialize(async () => {
      const n = this.find(idOrName);
      if (n.builtin || PREDEFINED.has(n.name)) throw new BerthError("permission-denied", `${n.name} is a pre-defined network and cannot be removed`);
      await this.removeUnlocked(n);
    });
  }

  private async removeUnlocked(n: NetworkRecord): Promise<void> {
    const eps = Object.values(n.endpoints);
    if (eps.length > 0) {
      const list = eps.map((e) => `name:"${e.name}" id:"${e.containerId.slice(0, 12)}"`).join(", ");
      throw conflict(`error while removing network: network ${n.name} has active endpoints (${list})`);
    }
    await this.stopDns(n.id);
    this.nets.delete(n.id);
    try {
      await this.o.kernel.nft(renderRuleset(this.table, this.bridgeNets()));
      await this.drivers[n.driver].deleteNetwork(n);
    } catch (err) {
      this.nets.set(n.id, n);
      throw err;
    }
    await this.store.delete(n.id);
    this.o.events?.publish("network", "destroy", n.id, { name: n.name, type: n.driver });
  }

  /** Remove every unused user-defined network (filters: label, label!, until). */
  prune(filters: NetworkFilters = {}): Promise<{ NetworksDeleted: string[] }> {
    const keep = prunePredicate(filters);
    return this.serialize(async () => {
      const deleted: string[] = [];
      for (const n of [...this.nets.values()].filter(keep)) {
        await this.removeUnlocked(n);
        deleted.push(n.name);
      }
      return { NetworksDeleted: deleted };
    });
  }

  // ---------------------------------------------------------------- endpoints

  /** The endpoints of a container on every network. */
  endpointsOf(containerId: string): Array<{ network: string; endpoint: EndpointRecord }> {
    const out: Array<{ network: string; endpoint: EndpointRecord }> = [];
    for (const n of this.nets.values()) {
      for (const ep of Object.values(n.endpoints)) if (ep.containerId === containerId) out.push({ network: n.id, endpoint: structuredClone(ep) });
    }
    return out;
  }

  /** Attach a container's namespace to a network (veth, address, routes for bridges). */
  connect(idOrName: string, c: ConnectOptions): Promise<EndpointInfo> {
    return this.serialize(async () => {
      const n = this.find(idOrName);
      if (!/^[0-9a-f]{12,64}$/.test(c.containerId)) throw invalidArgument(`invalid container id "${c.containerId}"`);
      if (!/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/.test(c.name)) throw invalidArgument(`invalid container name "${c.name}"`);
      for (const a of c.aliases ?? []) {
        if (typeof a !== "string" || !/^[A-Za-z0-9_.-]{1,253}$/.test(a)) throw invalidArgument(`invalid network alias "${String(a)}"`);
      }
      for (const ep of Object.values(n.endpoints)) {
        if (ep.containerId === c.containerId || ep.name === c.name) {
          throw conflict(`endpoint with name ${c.name} already exists in network ${n.name}`);
        }
      }
      if (c.macAddress !== undefined && c.macAddress !== "" && !MAC_RE.test(c.macAddress)) {
        throw invalidArgument(`invalid MAC address: ${c.macAddress}`);
      }
      if (n.driver !== "bridge" && c.ipv4Address !== undefined && c.ipv4Address !== "") {
        throw invalidArgument("user specified IP address is supported on user defined networks only");
      }
      const aliases = [...(c.aliases ?? [])];
      if (aliases.length > 0 && n.builtin) throw invalidArgument("network-scoped alias is supported only for containers in user defined networks");
      const id = newId();
      const ep: EndpointRecord = {
        id,
        containerId: c.containerId,
        name: c.name,
        aliases,
        ip: "",
        mac: "",
        ifname: "",
        hostVeth: "",
        ports: [],
      };
      // The default route goes via the first non-internal network the container joins.
      let hasRoute = false;
      if (n.driver === "bridge") {
        const pool = n.subnets[0];
        if (pool === undefined) throw new BerthError("internal", `network ${n.name} has no subnet`);
        const used = new Set(Object.values(n.endpoints).map((e) => e.ip));
        ep.ip = allocateAddress(pool, used, c.ipv4Address);
        ep.mac = c.macAddress !== undefined && c.macAddress !== "" ? c.macAddress.toLowerCase() : macFromIp(ep.ip);
        const inUse = new Set<string>();
        for (const other of this.nets.values()) {
          for (const e of Object.values(other.endpoints)) {
            if (e.containerId !== c.containerId || e.ifname === "") continue;
            inUse.add(e.ifname);
            if (!other.internal) hasRoute = true;
          }
        }
        let i = 0;
        while (inUse.has(`eth${i}`)) i++;
        ep.ifname = `eth${i}`;
        ep.hostVeth = `veth${id.slice(0, 7)}`;
      }
      const defaultRoute = c.defaultRoute ?? (!hasRoute && !n.internal);
      const wanted = validatePorts(n, c.ports ?? []);
      const { out, held } = await reservePorts(this.o.kernel, ep, wanted, this.o.randomInt ?? defaultRandomInt);
      // The DNAT elements only name the address; adding them while the veth is made saves a serial spawn.
      const [joined, ruled] = await Promise.allSettled([
        this.drivers[n.driver].join(n, ep, { netns: c.netns, defaultRoute, loopbackUp: c.loopbackUp === true }),
        out.length > 0 ? this.o.kernel.nft(portsScript(this.table, "add", out, ep.ip)) : Promise.resolve(),
      ]);
      const undo = async (): Promise<void> => {
        if (joined.status === "fulfilled") await this.drivers[n.driver].leave(n, ep).catch(() => undefined);
        if (ruled.status === "fulfilled" && out.length > 0) await this.o.kernel.nft(portsScript(this.table, "delete", out, ep.ip)).catch(() => undefined);
        for (const h of held) await h.release();
      };
      if (joined.status === "rejected" || ruled.status === "rejected") {
        await undo();
        throw joined.status === "rejected" ? joined.reason : (ruled as PromiseRejectedResult).reason;
      }
      ep.ports = out;
      n.endpoints[id] = ep;
      try {
        await this.store.put(n.id, n);
      } catch (err) {
        delete n.endpoints[id];
        await undo();
        throw err;
      }
      if (held.length > 0) this.reservations.set(ep.id, held);
      this.o.events?.publish("network", "connect", n.id, { container: c.containerId, name: n.name, type: n.driver });
      return {
        networkId: n.id,
        endpointId: id,
        ifname: ep.ifname,
        ipAddress: ep.ip,
        prefixLen: Number(n.subnets[0]?.subnet.split("/")[1] ?? 0),
        gateway: n.driver === "bridge" ? (n.subnets[0]?.gateway ?? "") : "",
        macAddress: ep.mac,
        aliases,
        ports: out.map((b) => ({ ...b })),
      };
    });
  }

  /** Detach a container from a network: unpublish its ports, delete the veth, release the address. */
  disconnect(idOrName: string, containerId: string): Promise<void> {
    return this.serialize(async () => {
      const n = this.find(idOrName);
      const ep = Object.values(n.endpoints).find((e) => e.containerId === containerId || e.containerId.startsWith(containerId) || e.name === containerId);
      if (ep === undefined) throw notFound(`container ${containerId} is not connected to network ${n.name}`);
      await this.detach(n, ep);
      delete n.endpoints[ep.id];
      await this.store.put(n.id, n);
      this.o.events?.publish("network", "disconnect", n.id, { container: ep.containerId, name: n.name, type: n.driver });
    });
  }

  /**
   * Detach a container from every network (its stop or removal): ports unpublished, veths
   * deleted (already gone with a dead namespace is fine), addresses released. Returns the
   * names of the networks it left.
   */
  releaseContainer(containerId: string): Promise<string[]> {
    return this.serialize(async () => {
      const left: string[] = [];
      for (const n of this.nets.values()) {
        for (const ep of Object.values(n.endpoints)) {
          if (ep.containerId !== containerId) continue;
          await this.detach(n, ep);
          delete n.endpoints[ep.id];
          await this.store.put(n.id, n);
          left.push(n.name);
          this.o.events?.publish("network", "disconnect", n.id, { container: ep.containerId, name: n.name, type: n.driver });
        }
      }
      return left;
    });
  }

  /** Unpublish and unplumb an endpoint; the nft and ip processes run side by side. */
  private async detach(n: NetworkRecord, ep: EndpointRecord): Promise<void> {
    const [unpublished, left] = await Promise.allSettled([this.unpublishUnlocked(n, ep), this.drivers[n.driver].leave(n, ep)]);
    if (unpublished.status === "rejected") throw unpublished.reason;
    if (left.status === "rejected") throw left.reason;
  }

  private findEndpoint(endpointId: string): { n: NetworkRecord; ep: EndpointRecord } {
    for (const n of this.nets.values()) {
      const ep = n.endpoints[endpointId];
      if (ep !== undefined) return { n, ep };
    }
    throw notFound(`endpoint ${endpointId} not found`);
  }

  // ---------------------------------------------------------------- published ports

  /**
   * Publish ports of an endpoint. Every host port is reserved (bound) first, ephemeral ones
   * (hostPort 0) chosen from 32768-60999, so a clash fails before any rule changes.
   * Returns the actual bindings.
   */
  publish(endpointId: string, bindings: readonly PortBinding[]): Promise<PortBinding[]> {
    return this.serialize(async () => {
      const { n, ep } = this.findEndpoint(endpointId);
      const wanted = validatePorts(n, bindings);
      const { out, held } = await reservePorts(this.o.kernel, ep, wanted, this.o.randomInt ?? defaultRandomInt);
      try {
        await this.o.kernel.nft(portsScript(this.table, "add", out, ep.ip));
      } catch (err) {
        for (const h of held) await h.release();
        throw err;
      }
      ep.ports.push(...out);
      this.reservations.set(ep.id, [...(this.reservations.get(ep.id) ?? []), ...held]);
      await this.store.put(n.id, n);
      return out.map((b) => ({ ...b }));
    });
  }

  /** Remove every published port of an endpoint and free the host ports. */
  unpublish(endpointId: string): Promise<void> {
    return this.serialize(async () => {
      const { n, ep } = this.findEndpoint(endpointId);
      await this.unpublishUnlocked(n, ep);
      await this.store.put(n.id, n);
    });
  }

  private async unpublishUnlocked(n: NetworkRecord, ep: EndpointRecord): Promise<void> {
    if (ep.ports.length > 0) {
      try {
        await this.o.kernel.nft(portsScript(this.table, "delete", ep.ports, ep.ip));
      } catch (err) {
        // A missing element (table replaced by hand) leaves nothing to undo; re-render to be sure.
        this.log.warn({ endpoint: ep.id, err: String(err) }, "deleting port rules failed; re-rendering the table");
        const ports = ep.ports;
        ep.ports = [];
        try {
          await this.o.kernel.nft(renderRuleset(this.table, this.bridgeNets()));
        } catch (e2) {
          ep.ports = ports;
          throw e2;
        }
      }
    }
    for (const h of this.reservations.get(ep.id) ?? []) await h.release();
    this.reservations.delete(ep.id);
    ep.ports = [];
  }

  // ---------------------------------------------------------------- container files

  /** /etc/resolv.conf text for a container whose first network is `idOrName`. */
  resolvConf(idOrName: string, o: Omit<ResolvConfOptions, "hostResolvConf" | "embeddedDns"> = {}): string {
    const n = this.find(idOrName);
    const opts: ResolvConfOptions = { ...o, hostResolvConf: this.hostResolvConf };
    const gw = n.subnets[0]?.gateway;
    if (this.o.dns !== false && n.driver === "bridge" && !n.builtin && gw !== undefined) opts.embeddedDns = gw;
    return buildResolvConf(opts);
  }

  // ---------------------------------------------------------------- shutdown

  /** Stop the DNS servers and drop port reservations; kernel state stays (live restore). */
  close(): Promise<void> {
    return this.serialize(async () => {
      for (const id of [...this.dns.keys()]) await this.stopDns(id);
      for (const hs of this.reservations.values()) for (const h of hs) await h.release();
      this.reservations.clear();
    });
  }

  /**
   * The daemon's orderly stop: `close()`, and when no container is attached anywhere (its
   * containers were stopped first) also the bridges and the nft table, so a stopped daemon
   * leaves no kernel state behind. Records stay: the next `open()` recreates the bridges.
   * With endpoints left (containers that outlive the daemon) everything stays, as `close()`.
   */
  async shutdown(): Promise<void> {
    await this.close();
    await this.serialize(async () => {
      const nets = [...this.nets.values()];
      if (nets.some((n) => Object.keys(n.endpoints).length > 0)) return;
      for (const n of nets) {
        await this.drivers[n.driver].deleteNetwork(n).catch((err: unknown) => this.log.warn({ network: n.name, err: String(err) }, "delete bridge at shutdown"));
      }
      await this.o.kernel.nft(deleteTableScript(this.table)).catch((err: unknown) => this.log.warn({ err: String(err) }, "delete nft table at shutdown"));
      if (this.o.leasesDir !== undefined) await removeLease(this.o.leasesDir, this.owner).catch(() => undefined);
    });
  }

  /**
   * Remove everything this service made: endpoints (their veths), bridges, the nft table,
   * and the records. For tests and uninstall.
   */
  teardown(): Promise<void> {
    return this.serialize(async () => {
      for (const id of [...this.dns.keys()]) await this.stopDns(id);
      for (const n of [...this.nets.values()]) {
        for (const ep of Object.values(n.endpoints)) {
          await this.unpublishUnlocked(n, ep).catch(() => undefined);
          await this.drivers[n.driver].leave(n, ep);
        }
        await this.drivers[n.driver].deleteNetwork(n);
        await this.store.delete(n.id);
        this.nets.delete(n.id);
      }
      for (const hs of this.reservations.values()) for (const h of hs) await h.release();
      this.reservations.clear();
      await this.o.kernel.nft(deleteTableScript(this.table));
    });
  }
}

