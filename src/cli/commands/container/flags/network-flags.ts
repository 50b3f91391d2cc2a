/**
 * `run`/`create` networking flags, translated as the docker CLI does
 * (cli/command/container/opts.go and go-connections' nat.ParsePortSpec), with its error
 * texts: `--network`, `--ip`, `--network-alias`, `--mac-address`, `--add-host`, `--dns`,
 * `--dns-search`, `--dns-option`, `-p/--publish`, `-P/--publish-all`, `--expose`.
 */
import { Option, type Command } from "commander";
import { BerthError } from "../../../../shared/errors.js";
import { flagGroup } from "../flag-group.js";

/** The flags of this group as commander parses them. */
export interface NetworkFlags {
  network?: string;
  ip?: string;
  networkAlias?: string[];
  macAddress?: string;
  addHost?: string[];
  dns?: string[];
  dnsSearch?: string[];
  dnsOption?: string[];
  publish?: string[];
  publishAll?: boolean;
  expose?: string[];
}

const collect = (v: string, p: string[] = []): string[] => [...p, v];
const bad = (msg: string): BerthError => new BerthError("invalid-argument", msg);
const IPV4_RE = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/;

/** "8000" or "8000-8010" → [first, last]; throws `invalid <what>Port: x`. */
function parsePortRange(v: string, what: "container" | "host"): [number, number] {
  const m = /^(\d+)(?:-(\d+))?$/.exec(v);
  const lo = Number(m?.[1]);
  const hi = m?.[2] !== undefined ? Number(m[2]) : lo;
  if (m === null || lo > 65535 || hi > 65535 || hi < lo || (what === "container" && lo === 0)) throw bad(`invalid ${what}Port: ${v}`);
  return [lo, hi];
}

/** One published port as the API's PortBindings key and binding. */
export interface PortMapping {
  key: string;
  binding: { HostIp: string; HostPort: string };
}

/**
 * nat.ParsePortSpec: `[ip:][hostPort:]containerPort[/proto]`, ranges on both sides (equal
 * lengths, or a host range for one container port), `[::1]` for IPv6 host addresses.
 */
export function parsePublish(spec: string): PortMapping[] {
  let rest = spec;
  let proto = "tcp";
  const slash = rest.lastIndexOf("/");
  if (slash >= 0) {
    proto = rest.slice(slash + 1).toLowerCase();
    rest = rest.slice(0, slash);
    if (proto !== "tcp" && proto !== "udp" && proto !== "sctp") throw bad(`invalid proto: ${proto}`);
  }
  let ip = "";
  let hostPort = "";
  let containerPort: string;
  const v6 = /^\[([0-9a-fA-F:.]+)\]:(.*)$/.exec(rest);
  if (v6 !== null) {
    ip = v6[1] ?? "";
    const [h, c, ...more] = (v6[2] ?? "").split(":");
    if (c === undefined || more.length > 0) throw bad(`invalid port specification: "${spec}"`);
    hostPort = h ?? "";
    containerPort = c;
  } else {
    const parts = rest.split(":");
    if (parts.length === 1) containerPort = parts[0] ?? "";
    else if (parts.length === 2) {
      hostPort = parts[0] ?? "";
      containerPort = parts[1] ?? "";
    } else if (parts.length === 3) {
      ip = parts[0] ?? "";
      hostPort = parts[1] ?? "";
      containerPort = parts[2] ?? "";
    } else throw bad(`invalid port specification: "${spec}"`);
    if (ip !== "" && !IPV4_RE.test(ip)) throw bad(`invalid IP address: ${ip}`);
  }
  if (containerPort === "") throw bad(`no port specified: ${spec}<empty>`);
  const [cLo, cHi] = parsePortRange(containerPort, "container");
  const out: PortMapping[] = [];
  if (hostPort === "") {
    for (let p = cLo; p <= cHi; p++) out.push({ key: `${p}/${proto}`, binding: { HostIp: ip, HostPort: "" } });
    return out;
  }
  const [hLo, hHi] = parsePortRange(hostPort, "host");
  if (cHi - cLo !== hHi - hLo) {
    if (cHi !== cLo) throw bad(`invalid ranges specified for container and host Ports: ${containerPort} and ${hostPort}`);
    // One container port, a host range: the daemon picks from the range.
    return [{ key: `${cLo}/${proto}`, binding: { HostIp: ip, HostPort: hostPort } }];
  }
  for (let i = 0; i <= cHi - cLo; i++) out.push({ key: `${cLo + i}/${proto}`, binding: { HostIp: ip, HostPort: String(hLo + i) } });
  return out;
}

/** `--expose 80`, `--expose 7000-7002/udp` → ExposedPorts keys. */
export function parseExpose(spec: string): string[] {
  const [range = "", proto = "tcp"] = spec.split("/");
  if (proto !== "tcp" && proto !== "udp" && proto !== "sctp") throw bad(`invalid proto: ${proto}`);
  let lo: number;
  let hi: number;
  try {
    [lo, hi] = parsePortRange(range, "container");
  } catch {
    throw bad(`invalid range format for --expose: ${spec}, error: invalid port`);
  }
  const out: string[] = [];
  for (let p = lo; p <= hi; p++) out.push(`${p}/${proto}`);
  return out;
}

/** `--add-host name:ip` (also `name=ip`, `[v6]`, `host-gateway`), checked as docker's ValidateExtraHost. */
export function checkAddHost(v: string): string {
  const i = v.search(/[=:]/);
  if (i <= 0 || i === v.length - 1) throw bad(`invalid argument "${v}" for "--add-host" flag: bad format for add-host: "${v}"`);
  const ip = v.slice(i + 1).replace(/^\[(.*)\]$/, "$1");
  if (ip !== "host-gateway" && !IPV4_RE.test(ip) && !/^[0-9a-fA-F:]+$/.test(ip)) {
    throw bad(`invalid argument "${v}" for "--add-host" flag: invalid IP address in add-host: "${ip}"`);
  }
  return `${v.slice(0, i)}:${ip}`;
}

/** The networking flag group. */
export const networkFlags = flagGroup<NetworkFlags>({
  add(cmd: Command): Command {
    return cmd
      .addOption(new Option("--network <network>", "connect a container to a network").default(undefined))
      .option("--ip <address>", "IPv4 address (e.g., 172.30.100.104)")
      .option("--network-alias <alias>", "add network-scoped alias for the container", collect)
      .option("--mac-address <mac>", "container MAC address (e.g., 92:d0:c6:0a:29:33)")
      .option("--add-host <host:ip>", "add a custom host-to-IP mapping (host:ip)", collect)
      .option("--dns <ip>", "set custom DNS servers", collect)
      .option("--dns-search <domain>", "set custom DNS search domains", collect)
      .option("--dns-option <option>", "set DNS options", collect)
      .option("-p, --publish <spec>", "publish a container's port(s) to the host", collect)
      .option("-P, --publish-all", "publish all exposed ports to random ports")
      .option("--expose <port>", "expose a port or a range of ports", collect);
  },
  apply(f: NetworkFlags, body): void {
    const hc = body.HostConfig;
    const mode = f.network ?? "default";
    hc.NetworkMode = mode;
    if (f.macAddress !== undefined && !/^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$/.test(f.macAddress)) throw bad(`${f.macAddress} is not a valid mac address`);
    if (f.ip !== undefined && !IPV4_RE.test(f.ip)) throw bad(`invalid IPv4 address: ${f.ip}`);
    for (const d of f.dns ?? []) if (!IPV4_RE.test(d) && !/^[0-9a-fA-F:]+$/.test(d)) throw bad(`invalid argument "${d}" for "--dns" flag: ${d} is not an ip address`);
    const aliases = f.networkAlias ?? [];
    if (f.ip !== undefined || aliases.length > 0 || f.macAddress !== undefined) {
      const ep: Record<string, unknown> = {};
      if (f.ip !== undefined) ep.IPAMConfig = { IPv4Address: f.ip };
      if (aliases.length > 0) ep.Aliases = aliases;
      if (f.macAddress !== undefined) ep.MacAddress = f.macAddress;
      body.NetworkingConfig = { EndpointsConfig: { [mode]: ep } };
    }
    if ((f.addHost ?? []).length > 0) hc.ExtraHosts = (f.addHost ?? []).map(checkAddHost);
    if ((f.dns ?? []).length > 0) hc.Dns = f.dns;
    if ((f.dnsSearch ?? []).length > 0) hc.DnsSearch = f.dnsSearch;
    if ((f.dnsOption ?? []).length > 0) hc.DnsOptions = f.dnsOption;
    const exposed: Record<string, Record<string, never>> = { ...(body.ExposedPorts ?? {}) };
    for (const e of f.expose ?? []) for (const k of parseExpose(e)) exposed[k] = {};
    const bindings: Record<string, Array<{ HostIp: string; HostPort: string }>> = {};
    for (const p of f.publish ?? []) {
      for (const m of parsePublish(p)) {
        (bindings[m.key] ??= []).push(m.binding);
        // As docker: a published port is also exposed.
        exposed[m.key] = {};
      }
    }
    if (Object.keys(bindings).length > 0) hc.PortBindings = bindings;
    if (f.publishAll === true) hc.PublishAllPorts = true;
    if (Object.keys(exposed).length > 0) body.ExposedPorts = exposed;
  },
});
