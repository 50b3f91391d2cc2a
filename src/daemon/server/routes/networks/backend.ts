/** What the network routes need (wire-networks.ts builds it from the network service and the networks extension). */
import type { NetworkConnectBody, NetworkCreateBody, NetworkCreateResponse, NetworkDisconnectBody, NetworkPruneResponse, NetworkResource } from "../../../../api/networks.js";

/** Backend of /networks. */
export interface NetworksBackend {
  list(filters: Record<string, string[]>): NetworkResource[];
  inspect(idOrName: string): NetworkResource;
  create(body: NetworkCreateBody): Promise<NetworkCreateResponse>;
  remove(idOrName: string): Promise<void>;
  prune(filters: Record<string, string[]>): Promise<NetworkPruneResponse>;
  connect(idOrName: string, body: NetworkConnectBody): Promise<void>;
  disconnect(idOrName: string, body: NetworkDisconnectBody): Promise<void>;
}
