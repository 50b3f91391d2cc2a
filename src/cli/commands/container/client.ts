/** The container client for a command, on the daemon address the CLI uses. */
import type { Cli } from "../../cli.js";
import { ContainerClient } from "../../../client/container-client.js";

const clients = new WeakMap<Cli, ContainerClient>();

/** The ContainerClient for this CLI (one per CLI). */
export function containers(cli: Cli): ContainerClient {
  let c = clients.get(cli);
  if (c === undefined) {
    c = new ContainerClient(cli.client().host);
    clients.set(cli, c);
  }
  return c;
}
