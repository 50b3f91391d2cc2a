/**
 * What the embedded DNS answers, as pure functions over the network records: container
 * names, aliases, short ids and `<name>.<network>` (A), `<name>.<network>` for addresses
 * (PTR), seen from the asking container's user networks (Docker's per-container resolver).
 */
import type { NetworkRecord } from "./network-record.js";

type Nets = ReadonlyMap<string, NetworkRecord>;

/** The addresses of `name` (case-insensitive, trailing dot ignored) on network `id`. */
export function namesOn(nets: Nets, id: string, name: string): string[] | undefined {
  const n = nets.get(id);
  if (n === undefined) return undefined;
  const q = name.toLowerCase().replace(/\.$/, "");
  const suffix = `.${n.name.toLowerCase()}`;
  const base = q.endsWith(suffix) ? q.slice(0, -suffix.length) : q;
  const out: string[] = [];
  for (const ep of Object.values(n.endpoints)) {
    if (ep.ip === "") continue;
    const names = [ep.name, ep.containerId.slice(0, 12), ...ep.aliases].map((s) => s.toLowerCase());
    if (names.includes(base) || names.includes(q)) out.push(ep.ip);
  }
  return out.length > 0 ? out : undefined;
}

/** The PTR name of `ip` on network `id`. */
export function addressOn(nets: Nets, id: string, ip: string): string | undefined {
  const n = nets.get(id);
  if (n === undefined) return undefined;
  const ep = Object.values(n.endpoints).find((e) => e.ip === ip);
  return ep === undefined ? undefined : `${ep.name}.${n.name}`;
}

/**
 * The networks whose names a client on network `id` sees: `id` first, then the other
 * user-defined networks of the container that owns address `client` on `id`.
 */
export function visibleNetworks(nets: Nets, id: string, client: string): string[] {
  const n = nets.get(id);
  if (n === undefined) return [];
  const me = Object.values(n.endpoints).find((e) => e.ip === client && e.ip !== "");
  if (me === undefined) return [id];
  const out = [id];
  for (const other of nets.values()) {
    if (other.id === id || other.builtin || other.driver !== "bridge") continue;
    if (Object.values(other.endpoints).some((e) => e.containerId === me.containerId)) out.push(other.id);
  }
  return out;
}
