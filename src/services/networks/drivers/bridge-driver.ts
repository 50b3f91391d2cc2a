/**
 * The bridge driver: a Linux bridge holding the gateway address, and per endpoint a veth
 * pair whose container end is created directly inside the container's namespace (named,
 * addressed with its MAC, MTU set, in the same netlink request), so that joining costs two
 * `ip -batch` processes: one in the host namespace, one in the container's.
 *
 * Berth marks its links with `ifalias` ("berth-net:<id>", "berth-ep:<id>") so that reconcile
 * after a crash removes only what berth made.
 */
import type { NetKernel } from "../../../kernel/net/net-kernel.js";
import { netnsPath } from "../../../kernel/net/net-kernel.js";
import { KernelError } from "../../../shared/errors.js";
import type { EndpointRecord, NetworkRecord } from "../network-record.js";
import type { JoinOptions, NetworkDriver } from "./network-driver.js";

/** The default `ifalias` berth puts on a network's bridge. */
export const netAlias = (id: string): string => `berth-net:${id}`;
/** The default `ifalias` berth puts on an endpoint's host veth. */
export const epAlias = (id: string): string => `berth-ep:${id}`;

/** How links are marked (the service scopes the marks to its records directory). */
export interface LinkMarks {
  net: (networkId: string) => string;
  ep: (endpointId: string) => string;
}

const DEFAULT_MARKS: LinkMarks = { net: netAlias, ep: epAlias };

/** True when a kernel error only says that the link is already gone. */
export function isMissingLink(err: unknown): boolean {
  return err instanceof KernelError && /Cannot find device|No such device|does not exist/i.test(err.message);
}

/** Options of the bridge driver. */
export interface BridgeDriverOptions {
  /** Set `route_localnet` on non-internal bridges so DNAT from 127.0.0.1 reaches containers. @default true */
  routeLocalnet?: boolean;
  /** @default "berth-net:<id>" and "berth-ep:<id>" */
  marks?: LinkMarks;
}

/** The iproute2 batch that creates a network's bridge (exported for tests and reconcile). */
export function bridgeCreateBatch(net: NetworkRecord, marks: LinkMarks = DEFAULT_MARKS): string[][] {
  const br = net.bridge;
  if (br === undefined) throw new RangeError(`network "${net.name}" has no bridge name`);
  const add = ["link", "add", "name", br];
  if (net.mtu !== undefined) add.push("mtu", String(net.mtu));
  add.push("type", "bridge");
  const batch: string[][] = [add, ["link", "set", "dev", br, "alias", marks.net(net.id)]];
  for (const s of net.subnets) {
    const len = s.subnet.split("/")[1] ?? "32";
    batch.push(["addr", "add", `${s.gateway}/${len}`, "dev", br]);
  }
  batch.push(["link", "set", "dev", br, "up"]);
  return batch;
}

/** The host-side batch of a join: the veth pair (peer created in the container's namespace). */
export function joinHostBatch(net: NetworkRecord, ep: EndpointRecord, options: JoinOptions, marks: LinkMarks = DEFAULT_MARKS): string[][] {
  const br = net.bridge;
  if (br === undefined) throw new RangeError(`network "${net.name}" has no bridge name`);
  const mtu = net.mtu !== undefined ? ["mtu", String(net.mtu)] : [];
  return [
    ["link", "add", "name", ep.hostVeth, ...mtu, "type", "veth", "peer", "name", ep.ifname, ...mtu, "address", ep.mac, "netns", netnsPath(options.netns)],
    ["link", "set", "dev", ep.hostVeth, "alias", marks.ep(ep.id)],
    ["link", "set", "dev", ep.hostVeth, "master", br, "up"],
    // Hairpin: a container reaching its own published port comes back out of its own port.
    ["link", "set", "dev", ep.hostVeth, "type", "bridge_slave", "hairpin", "on"],
  ];
}

/** The container-side batch of a join: lo up, the address, the interface up, the default route. */
export function joinContainerBatch(net: NetworkRecord, ep: EndpointRecord, options: JoinOptions): string[][] {
  const s = net.subnets[0];
  if (s === undefined) throw new RangeError(`network "${net.name}" has no subnet`);
  const len = s.subnet.split("/")[1] ?? "32";
  const batch = [
    ...(options.loopbackUp === true ? [] : [["link", "set", "dev", "lo", "up"]]),
    ["addr", "add", `${ep.ip}/${len}`, "dev", ep.ifname],
    ["link", "set", "dev", ep.ifname, "up"],
  ];
  if (options.defaultRoute && !net.internal) batch.push(["route", "add", "default", "via", s.gateway, "dev", ep.ifname]);
  return batch;
}

/** Linux bridge networks. */
export class BridgeDriver implements NetworkDriver {
  readonly name = "bridge" as const;
  private readonly kernel: NetKernel;
  private readonly routeLocalnet: boolean;
  private readonly marks: LinkMarks;

  constructor(kernel: NetKernel, options: Readonly<BridgeDriverOptions> = {}) {
    this.kernel = kernel;
    this.routeLocalnet = options.routeLocalnet ?? true;
    this.marks = options.marks ?? DEFAULT_MARKS;
  }

  async createNetwork(net: NetworkRecord): Promise<void> {
    await this.kernel.ip(bridgeCreateBatch(net, this.marks));
    if (!net.internal && net.bridge !== undefined) {
      // Forwarding for packets entering from this bridge only (outbound NAT, hairpin);
      // the global ip_forward (inbound from other interfaces) is the service's choice.
      await this.kernel.writeSysctl(`net/ipv4/conf/${net.bridge}/forwarding`, "1");
      if (this.routeLocalnet) await this.kernel.writeSysctl(`net/ipv4/conf/${net.bridge}/route_localnet`, "1");
    }
  }

  async deleteNetwork(net: NetworkRecord): Promise<void> {
    if (net.bridge === undefined) return;
    try {
      await this.kernel.ip([["link", "del", "dev", net.bridge]]);
    } catch (err) {
      if (!isMissingLink(err)) throw err;
    }
  }

  async join(net: NetworkRecord, ep: EndpointRecord, options: JoinOptions): Promise<void> {
    try {
      await this.kernel.ip(joinHostBatch(net, ep, options, this.marks));
      await this.kernel.ip(joinContainerBatch(net, ep, options), options.netns);
    } catch (err) {
      // "File exists": the name belongs to a link berth did not just make; leave it alone.
      if (!(err instanceof KernelError && /File exists/.test(err.message))) await this.leave(net, ep).catch(() => undefined);
      throw err;
    }
  }

  async leave(_net: NetworkRecord, ep: EndpointRecord): Promise<void> {
    try {
      // Deleting one end of a veth pair deletes the other, wherever it is.
      await this.kernel.ip([["link", "del", "dev", ep.hostVeth]]);
    } catch (err) {
      if (!isMissingLink(err)) throw err;
    }
  }
}
