/**
 * The daemon's networking, built for `wire.ts`: the network service on
 * `<data-root>/networks` (default bridge, pools, forwarding, masquerade and nftables as
 * configured), the containers' networks extension, and the backend of the /networks routes.
 */
import { join } from "node:path";
import type { NetworkConnectBody, NetworkDisconnectBody } from "../api/networks.js";
import { IprouteNetKernel } from "../kernel/net/iproute-net-kernel.js";
import { withoutFirewall } from "../kernel/net/no-firewall.js";
import type { Logger } from "../shared/logger.js";
import type { EventBus } from "../services/events/event-bus.js";
import { NetworkService, type DefaultBridgeOptions } from "../services/networks/network-service.js";
import { ContainerNetworks, type ContainerLookup } from "../services/containers/container-network.js";
import type { DaemonConfig } from "./config.js";
import type { NetworksBackend } from "./server/routes/networks/backend.js";

/** The networking parts of the daemon. */
export interface DaemonNetworks {
  service: NetworkService;
  extension: ContainerNetworks;
  backend: NetworksBackend;
  /** Release endpoints of containers that are not running (after a crash). */
  reconcile(running: (id: string) => boolean): Promise<void>;
  /** Orderly stop (after the containers stopped): no kernel state left when nothing is attached. */
  shutdown(): Promise<void>;
}

/** Build the daemon's networking. */
export async function openDaemonNetworks(o: {
  config: DaemonConfig;
  events: EventBus;
  log: Logger;
  containers: () => ContainerLookup | undefined;
}): Promise<DaemonNetworks> {
  const c = o.config.network;
  const kernel = c.iptables ? new IprouteNetKernel() : withoutFirewall(new IprouteNetKernel());
  let defaultBridge: DefaultBridgeOptions | false = false;
  if (c.bridge !== "none") {
    defaultBridge = { name: c.bridge, masquerade: c.ipMasq };
    if (c.bip !== undefined) {
      const [gw, len] = c.bip.split("/");
      const n = (gw ?? "").split(".").reduce((a, x) => a * 256 + Number(x), 0);
      const mask = Number(len) === 0 ? 0 : (0xffffffff << (32 - Number(len))) >>> 0;
      const base = (n & mask) >>> 0;
      defaultBridge.subnet = `${[24, 16, 8, 0].map((s) => (base >>> s) & 255).join(".")}/${len}`;
      defaultBridge.gateway = gw ?? "";
    }
  }
  const service = await NetworkService.open({
    recordsDir: join(o.config.dataRoot, "networks"),
    kernel,
    events: o.events,
    log: o.log.child({ service: "networks" }),
    defaultBridge,
    nftTable: c.nftTable,
    ipForward: c.ipForward,
    // Host-wide: a test daemon killed before its stop leaves a bridge that the next daemon removes.
    leasesDir: "/run/berth-networks",
    ...(c.defaultAddressPools !== undefined ? { addressPools: c.defaultAddressPools } : {}),
  });
  const extension = await ContainerNetworks.open({
    networks: service,
    netnsDir: join(o.config.execRoot, "netns"),
    configDir: join(o.config.dataRoot, "container-networks"),
    containers: o.containers,
    log: o.log.child({ service: "container-networks" }),
  });
  const backend: NetworksBackend = {
    list: (filters) => service.list(filters),
    inspect: (id) => service.inspect(id),
    create: (body) => service.create(body),
    remove: (id) => service.remove(id),
    prune: async (filters) => {
      const r = await service.prune(filters);
      return { NetworksDeleted: r.NetworksDeleted };
    },
    connect: (id, body: NetworkConnectBody) => {
      const ec = body.EndpointConfig ?? {};
      const s: { aliases?: string[]; ipv4?: string; mac?: string } = {};
      if (ec.Aliases != null) s.aliases = ec.Aliases;
      if (ec.IPAMConfig?.IPv4Address !== undefined) s.ipv4 = ec.IPAMConfig.IPv4Address;
      if (ec.MacAddress !== undefined) s.mac = ec.MacAddress;
      return extension.connect(id, body.Container, s);
    },
    disconnect: (id, body: NetworkDisconnectBody) => extension.disconnect(id, body.Container, body.Force === true),
  };
  return {
    service,
    extension,
    backend,
    reconcile: (running) => extension.reconcile((id) => {
      try {
        return running(id);
      } catch {
        return false;
      }
    }),
    shutdown: () => service.shutdown(),
  };
}
