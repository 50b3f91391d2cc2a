/**
 * The `host` and `null` drivers: a container on `host` uses the host's namespace and on
 * `none` keeps only its own `lo`, so there is nothing to create per network. `lo` of a
 * `none` container is brought up, as Docker does (by the join unless the namespace was made
 * with it up).
 */
import type { NetKernel } from "../../../kernel/net/net-kernel.js";
import type { EndpointRecord, NetworkRecord } from "../network-record.js";
import type { JoinOptions, NetworkDriver } from "./network-driver.js";

/** A driver without kernel objects of its own. */
export class NullDriver implements NetworkDriver {
  readonly name: "host" | "null";
  private readonly kernel: NetKernel;

  constructor(name: "host" | "null", kernel: NetKernel) {
    this.name = name;
    this.kernel = kernel;
  }

  async createNetwork(_net: NetworkRecord): Promise<void> {}
  async deleteNetwork(_net: NetworkRecord): Promise<void> {}

  async join(_net: NetworkRecord, _ep: EndpointRecord, options: JoinOptions): Promise<void> {
    if (this.name === "null" && options.loopbackUp !== true) await this.kernel.ip([["link", "set", "lo", "up"]], options.netns);
  }

  async leave(_net: NetworkRecord, _ep: EndpointRecord): Promise<void> {}
}
