/** Engine API client for networks (`/networks`), errors as `DaemonError`s like the rest of the client. */
import type { NetworkConnectBody, NetworkCreateBody, NetworkCreateResponse, NetworkPruneResponse, NetworkResource } from "../api/networks.js";
import { filtersQuery, JsonApiClient } from "./json-api-client.js";

/** Networks over the Engine API. */
export class NetworkClient extends JsonApiClient {
  /** GET /networks */
  list(filters?: Record<string, string[]>): Promise<NetworkResource[]> {
    return this.json("GET", this.path("/networks", { filters: filtersQuery(filters) }));
  }

  /** GET /networks/{id} */
  inspect(id: string): Promise<NetworkResource> {
    return this.json("GET", this.path(`/networks/${encodeURIComponent(id)}`));
  }

  /** POST /networks/create */
  create(body: NetworkCreateBody): Promise<NetworkCreateResponse> {
    return this.json("POST", this.path("/networks/create"), body);
  }

  /** DELETE /networks/{id} */
  async remove(id: string): Promise<void> {
    await this.call("DELETE", this.path(`/networks/${encodeURIComponent(id)}`));
  }

  /** POST /networks/prune */
  prune(filters?: Record<string, string[]>): Promise<NetworkPruneResponse> {
    return this.json("POST", this.path("/networks/prune", { filters: filtersQuery(filters) }));
  }

  /** POST /networks/{id}/connect */
  async connect(id: string, body: NetworkConnectBody): Promise<void> {
    await this.call("POST", this.path(`/networks/${encodeURIComponent(id)}/connect`), body);
  }

  /** POST /networks/{id}/disconnect */
  async disconnect(id: string, container: string, force = false): Promise<void> {
    await this.call("POST", this.path(`/networks/${encodeURIComponent(id)}/disconnect`), { Container: container, Force: force });
  }
}
