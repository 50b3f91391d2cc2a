/** Engine API client for volumes (`/volumes`), errors as `DaemonError`s like the rest of the client. */
import type { Volume, VolumeCreateOptions, VolumeListResponse, VolumePruneResponse } from "../api/volumes.js";
import { filtersQuery, JsonApiClient } from "./json-api-client.js";

/** Volumes over the Engine API. */
export class VolumeClient extends JsonApiClient {
  /** POST /volumes/create. */
  create(o: VolumeCreateOptions): Promise<Volume> {
    return this.json("POST", this.path("/volumes/create"), o);
  }

  /** GET /volumes. */
  list(filters?: Record<string, string[]>): Promise<VolumeListResponse> {
    return this.json("GET", this.path("/volumes", { filters: filtersQuery(filters) }));
  }

  /** GET /volumes/{name}. */
  inspect(name: string): Promise<Volume> {
    return this.json("GET", this.path(`/volumes/${encodeURIComponent(name)}`));
  }

  /** DELETE /volumes/{name}. */
  async remove(name: string, o: { force?: boolean } = {}): Promise<void> {
    await this.call("DELETE", this.path(`/volumes/${encodeURIComponent(name)}`, { force: o.force === true ? "1" : undefined }));
  }

  /** POST /volumes/prune. */
  prune(filters?: Record<string, string[]>): Promise<VolumePruneResponse> {
    return this.json("POST", this.path("/volumes/prune", { filters: filtersQuery(filters) }));
  }
}
