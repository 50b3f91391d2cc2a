/**
 * A network driver creates and removes the kernel objects of a network and of its
 * endpoints. Rules shared by all networks (NAT, isolation, published ports) are not the
 * driver's: the service renders them for every network at once (`nft-ruleset.ts`).
 */
import type { NetnsRef } from "../../../kernel/net/net-kernel.js";
import type { EndpointRecord, NetworkRecord } from "../network-record.js";

/** Where an endpoint goes and how it is configured there. */
export interface JoinOptions {
  /** The container's network namespace. */
  netns: NetnsRef;
  /** Install the default route via this network's gateway (the container's first network). */
  defaultRoute: boolean;
  /** `lo` is up already: the join need not bring it up (one command less for `none`). */
  loopbackUp?: boolean;
}

/** The contract of a network driver (bridge, host, null). */
export interface NetworkDriver {
  readonly name: NetworkRecord["driver"];
  /** Create the network's kernel objects (idempotence is not required: reconcile checks first). */
  createNetwork(net: NetworkRecord): Promise<void>;
  /** Remove the network's kernel objects; a missing object is not an error. */
  deleteNetwork(net: NetworkRecord): Promise<void>;
  /** Plumb an endpoint into the container's namespace. */
  join(net: NetworkRecord, ep: EndpointRecord, options: JoinOptions): Promise<void>;
  /** Remove an endpoint's kernel objects; a missing object is not an error. */
  leave(net: NetworkRecord, ep: EndpointRecord): Promise<void>;
}
