/**
 * The networking fields of a create body, checked the way dockerd checks them at create:
 * NetworkMode, NetworkingConfig.EndpointsConfig, PortBindings/PublishAllPorts/ExposedPorts,
 * ExtraHosts, Dns/DnsSearch/DnsOptions, MacAddress. Pure: network lookups come in through
 * `findNetwork`.
 */
import type { ContainerCreateBody } from "../../api/containers.js";
import { invalidArgument } from "../../shared/errors.js";
import type { PortBinding } from "../networks/network-record.js";

/** How the container's namespace is made. */
export type NetMode =
  | { kind: "networks" }
  | { kind: "host" }
  | { kind: "none" }
  | { kind: "container"; ref: string };

/** One requested attachment, in join order. */
export interface EndpointConfig {
  networkId: string;
  aliases: string[];
  ipv4?: string;
  mac?: string;
}

/** What the extension keeps per container. */
export interface ContainerNetConfig {
  endpoints: EndpointConfig[];
}

const MAC_RE = /^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$/;
const IPV4_RE = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/;

/** Parse HostConfig.NetworkMode ("", "default", "bridge", "host", "none", "container:x", a network). */
export function parseNetMode(mode: string | undefined): NetMode | { kind: "network"; name: string } {
  const m = mode ?? "";
  if (m === "" || m === "default" || m === "bridge") return { kind: "networks" };
  if (m === "host") return { kind: "host" };
  if (m === "none") return { kind: "none" };
  if (m.startsWith("container:")) {
    const ref = m.slice("container:".length);
    if (ref === "") throw invalidArgument(`invalid network mode "${m}": container name or id is empty`);
    return { kind: "container", ref };
  }
  return { kind: "network", name: m };
}

/** The network a mode starts with ("bridge" for the default). */
export function primaryNetwork(mode: string | undefined): string | undefined {
  const p = parseNetMode(mode);
  if (p.kind === "networks") return "bridge";
  if (p.kind === "host") return "host";
  if (p.kind === "none") return "none";
  if (p.kind === "network") return p.name;
  return undefined;
}

type EndpointSettingsIn = { IPAMConfig?: { IPv4Address?: string } | null; Aliases?: string[] | null; MacAddress?: string };

/** EndpointsConfig of the body, checked for shape. */
export function endpointsConfig(body: ContainerCreateBody): Array<[string, EndpointSettingsIn]> {
  const nc = body.NetworkingConfig as { EndpointsConfig?: Record<string, EndpointSettingsIn | null> | null } | null | undefined;
  const ec = nc?.EndpointsConfig;
  if (ec === undefined || ec === null) return [];
  if (typeof ec !== "object" || Array.isArray(ec)) throw invalidArgument("NetworkingConfig.EndpointsConfig must be an object");
  return Object.entries(ec).map(([k, v]) => {
    const s = v ?? {};
    if (s.Aliases != null && (!Array.isArray(s.Aliases) || !s.Aliases.every((a) => typeof a === "string"))) throw invalidArgument(`invalid aliases for network "${k}"`);
    const ip = s.IPAMConfig?.IPv4Address;
    if (ip !== undefined && ip !== "" && !IPV4_RE.test(ip)) throw invalidArgument(`invalid IPv4 address: ${ip}`);
    if (s.MacAddress !== undefined && s.MacAddress !== "" && !MAC_RE.test(s.MacAddress)) throw invalidArgument(`invalid MAC address: ${s.MacAddress}`);
    return [k, s];
  });
}

/** Make an EndpointConfig from the body's settings for one network. */
export function endpointFrom(networkId: string, s: EndpointSettingsIn | undefined, mac?: string): EndpointConfig {
  const e: EndpointConfig = { networkId, aliases: [...(s?.Aliases ?? [])] };
  const ip = s?.IPAMConfig?.IPv4Address;
  if (ip !== undefined && ip !== "") e.ipv4 = ip;
  const m = s?.MacAddress !== undefined && s.MacAddress !== "" ? s.MacAddress : mac;
  if (m !== undefined && m !== "") e.mac = m;
  return e;
}

/** "80/tcp" → [80, "tcp"]; Docker's default protocol is tcp. */
export function parsePortKey(key: string): { port: number; proto: "tcp" | "udp" } {
  const m = /^(\d{1,5})(?:\/(tcp|udp|sctp))?$/.exec(key);
  const port = Number(m?.[1]);
  if (m === null || port < 1 || port > 65535) throw invalidArgument(`invalid port specification: "${key}"`);
  if (m[2] === "sctp") throw invalidArgument(`publish port ${key}: sctp is not supported`);
  return { port, proto: (m[2] ?? "tcp") as "tcp" | "udp" };
}

/** A HostPort value: "" or "0" (ephemeral), "8080", or a range "8000-8010" (its first free port is not searched: the first one is used). */
function parseHostPort(v: string | undefined): number {
  if (v === undefined || v === "") return 0;
  const m = /^(\d{1,5})(?:-(\d{1,5}))?$/.exec(v);
  const lo = Number(m?.[1]);
  const hi = m?.[2] !== undefined ? Number(m[2]) : lo;
  if (m === null || lo > 65535 || hi > 65535 || hi < lo) throw invalidArgument(`invalid hostPort: ${v}`);
  return lo;
}

/**
 * HostConfig.PortBindings (+ PublishAllPorts over ExposedPorts) as bindings: one per host
 * binding, ephemeral host ports as 0, "" host addresses left for the network's default.
 */
export function portBindings(hc: Record<string, unknown>, exposed: Record<string, unknown> | undefined): PortBinding[] {
  const pb = hc.PortBindings as Record<string, Array<{ HostIp?: string; HostPort?: string }> | null> | null | undefined;
  const out: PortBinding[] = [];
  const seen = new Set<string>();
  if (pb !== undefined && pb !== null) {
    if (typeof pb !== "object" || Array.isArray(pb)) throw invalidArgument("HostConfig.PortBindings must be an object");
    for (const [key, list] of Object.entries(pb)) {
      const { port, proto } = parsePortKey(key);
      seen.add(`${port}/${proto}`);
      for (const b of list ?? []) {
        const hostIp = b.HostIp ?? "";
        if (hostIp !== "" && !IPV4_RE.test(hostIp)) {
          if (hostIp.includes(":")) continue; // IPv6 host addresses: berth has no IPv6 yet
          throw invalidArgument(`invalid IP address: ${hostIp}`);
        }
        out.push({ hostIp, hostPort: parseHostPort(b.HostPort), containerPort: port, proto });
      }
    }
  }
  if (hc.PublishAllPorts === true) {
    for (const key of Object.keys(exposed ?? {})) {
      const { port, proto } = parsePortKey(key);
      if (seen.has(`${port}/${proto}`)) continue;
      out.push({ hostIp: "", hostPort: 0, containerPort: port, proto });
    }
  }
  return out;
}

/** ExtraHosts entries ("name:ip" or "name=ip"; "host-gateway" is replaced by `gateway`). */
export function extraHosts(list: unknown, gateway: string | undefined): Array<{ host: string; ip: string }> {
  if (list === undefined || list === null) return [];
  if (!Array.isArray(list)) throw invalidArgument("HostConfig.ExtraHosts must be a list");
  return list.map((e: unknown) => {
    if (typeof e !== "string") throw invalidArgument("HostConfig.ExtraHosts must be a list of strings");
    const i = e.search(/[=:]/);
    const host = i < 0 ? "" : e.slice(0, i);
    let ip = i < 0 ? "" : e.slice(i + 1);
    if (ip.startsWith("[") && ip.endsWith("]")) ip = ip.slice(1, -1);
    if (host === "" || ip === "") throw invalidArgument(`invalid argument "${e}" for "--add-host" flag: bad format for add-host: "${e}"`);
    if (ip === "host-gateway") {
      if (gateway === undefined) throw invalidArgument("unable to derive the IP value for host-gateway");
      ip = gateway;
    } else if (!IPV4_RE.test(ip) && !/^[0-9a-fA-F:]+$/.test(ip)) {
      throw invalidArgument(`invalid argument "${e}" for "--add-host" flag: invalid IP address in add-host: "${ip}"`);
    }
    return { host, ip };
  });
}

/** Dns servers (IP addresses), search domains and options, checked. */
export function dnsSettings(hc: Record<string, unknown>): { dns: string[]; dnsSearch: string[]; dnsOptions: string[] } {
  const list = (k: string): string[] => {
    const v = hc[k];
    if (v === undefined || v === null) return [];
    if (!Array.isArray(v) || !v.every((x) => typeof x === "string")) throw invalidArgument(`HostConfig.${k} must be a list of strings`);
    return v as string[];
  };
  const dns = list("Dns");
  for (const d of dns) if (!IPV4_RE.test(d) && !/^[0-9a-fA-F:]+$/.test(d)) throw invalidArgument(`${d} is not an ip address`);
  const dnsSearch = list("DnsSearch");
  for (const s of dnsSearch) if (s !== "." && !/^[A-Za-z0-9_.-]{1,253}$/.test(s)) throw invalidArgument(`${s} is not a valid domain`);
  return { dns, dnsSearch, dnsOptions: list("DnsOptions") };
}

/** Checks MacAddress (Config.MacAddress, deprecated but still sent). */
export function checkMac(mac: unknown): string | undefined {
  if (mac === undefined || mac === null || mac === "") return undefined;
  if (typeof mac !== "string" || !MAC_RE.test(mac)) throw invalidArgument(`invalid MAC address: ${String(mac)}`);
  return mac;
}
