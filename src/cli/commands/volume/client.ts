/** The volume client for a command, on the daemon address the CLI uses. */
import type { Cli } from "../../cli.js";
import { VolumeClient } from "../../../client/volume-client.js";

const clients = new WeakMap<Cli, VolumeClient>();

/** The VolumeClient for this CLI (one per CLI). */
export function volumes(cli: Cli): VolumeClient {
  let c = clients.get(cli);
  if (c === undefined) {
    c = new VolumeClient(cli.client().host);
    clients.set(cli, c);
  }
  return c;
}

/** Collect a repeatable flag. */
export const collect = (v: string, prev: string[] = []): string[] => [...prev, v];

/** `key=value` flags into a map (docker's ListOpts into a map; a bare key has an empty value). */
export function keyValues(flags: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of flags) {
    const i = f.indexOf("=");
    if (i === -1) out[f] = "";
    else out[f.slice(0, i)] = f.slice(i + 1);
  }
  return out;
}
