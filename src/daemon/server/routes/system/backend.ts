/** What the system routes need from the daemon. */
import type { InfoResponse, VersionResponse } from "../../../../api/system.js";

/** Backend of /version and /info. */
export interface SystemBackend {
  version(): Promise<VersionResponse>;
  info(): Promise<InfoResponse>;
}
