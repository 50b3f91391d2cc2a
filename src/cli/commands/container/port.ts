/** `berth port` and docker's PORTS column (`DisplayablePorts` of docker/cli's formatter). */
import { Command } from "commander";
import type { ContainerSummary } from "../../../api/containers.js";
import { BerthError } from "../../../shared/errors.js";
import type { Cli } from "../../cli.js";
import { containers } from "./client.js";

type Port = ContainerSummary["Ports"][number] & { IP?: string; PrivatePort: number; PublicPort?: number; Type: string };

function comparePorts(i: Port, j: Port): number {
  if (i.PrivatePort !== j.PrivatePort) return i.PrivatePort - j.PrivatePort;
  if ((i.IP ?? "") !== (j.IP ?? "")) return (i.IP ?? "") < (j.IP ?? "") ? -1 : 1;
  if ((i.PublicPort ?? 0) !== (j.PublicPort ?? 0)) return (i.PublicPort ?? 0) - (j.PublicPort ?? 0);
  return i.Type < j.Type ? -1 : i.Type > j.Type ? 1 : 0;
}

function joinHostPort(ip: string, port: number): string {
  return ip.includes(":") ? `[${ip}]:${port}` : `${ip}:${port}`;
}

function formGroup(key: string, start: number, last: number): string {
  const parts = key.split("/");
  let type = parts[0] ?? "";
  let ip = "";
  if (parts.length > 1) {
    ip = parts[0] ?? "";
    type = parts[1] ?? "";
  }
  let group = String(start);
  if (start !== last) group = `${group}-${last}`;
  if (ip !== "") group = `${ip}:${group}->${group}`;
  return `${group}/${type}`;
}

/** The PORTS column: "0.0.0.0:8080->80/tcp, 443/tcp", ranges grouped as docker does. */
export function displayablePorts(ports: readonly unknown[]): string {
  const list = (ports as Port[]).slice().sort(comparePorts);
  const groups = new Map<string, { first: number; last: number }>();
  const result: string[] = [];
  const hostMappings: string[] = [];
  for (const p of list) {
    const current = p.PrivatePort;
    let key = p.Type;
    if (p.IP !== undefined && p.IP !== "") {
      if (p.PublicPort !== current) {
        hostMappings.push(`${joinHostPort(p.IP, p.PublicPort ?? 0)}->${p.PrivatePort}/${p.Type}`);
        continue;
      }
      key = `${p.IP}/${p.Type}`;
    }
    const g = groups.get(key);
    if (g === undefined) {
      groups.set(key, { first: current, last: current });
      continue;
    }
    if (current === g.last + 1) {
      g.last = current;
      continue;
    }
    result.push(formGroup(key, g.first, g.last));
    // Go's map keeps the key's first insertion order; re-set in place.
    g.first = current;
    g.last = current;
  }
  for (const [key, g] of groups) result.push(formGroup(key, g.first, g.last));
  result.push(...hostMappings);
  return result.join(", ");
}

/** Lines of `port`: every binding, or those of one private port ("80", "80/udp"). */
export function portLines(ports: Record<string, Array<{ HostIp: string; HostPort: string }> | null>, name: string, which?: string): string[] {
  if (which !== undefined) {
    const [port, proto = "tcp"] = which.split("/");
    if (!/^\d+$/.test(port ?? "")) throw new BerthError("invalid-argument", `Error: invalid port (${which})`);
    const key = `${port}/${proto}`;
    const bindings = ports[key];
    if (bindings === undefined || bindings === null || bindings.length === 0) throw new BerthError("not-found", `Error: No public port '${key}' published for ${name}`);
    return bindings.map((b) => joinHostPort(b.HostIp, Number(b.HostPort)));
  }
  const out: string[] = [];
  const keys = Object.keys(ports).sort((a, b) => Number(a.split("/")[0]) - Number(b.split("/")[0]) || a.localeCompare(b));
  for (const key of keys) for (const b of ports[key] ?? []) out.push(`${key} -> ${joinHostPort(b.HostIp, Number(b.HostPort))}`);
  return out;
}

/** The `port` command. */
export function createPortCommand(cli: Cli): Command {
  return new Command("port")
    .description("List port mappings or a specific mapping for the container")
    .argument("<container>")
    .argument("[privatePort]", "PRIVATE_PORT[/PROTO]")
    .action(async (ref: string, which: string | undefined) => {
      const c = await containers(cli).inspect(ref);
      const ports = (c.NetworkSettings.Ports ?? {}) as Record<string, Array<{ HostIp: string; HostPort: string }> | null>;
      for (const l of portLines(ports, ref, which)) cli.out.write(`${l}\n`);
    });
}
