/**
 * Where a registry domain is reached: Docker Hub's real host, mirrors first for Docker
 * Hub (as dockerd uses `registry-mirrors`), plain http for loopback and configured
 * insecure registries, https otherwise.
 */
import { isIP } from "node:net";

/** Daemon-wide registry settings (daemon.json `insecure-registries`, `registry-mirrors`). */
export interface RegistryConfig {
  /** Hosts ("host:port" or "host") or CIDRs ("10.0.0.0/8") reached over plain http. */
  insecureRegistries?: readonly string[];
  /** Mirror base URLs tried first for Docker Hub, e.g. "http://127.0.0.1:5000". */
  mirrors?: readonly string[];
}

/** One place to talk to for a domain. */
export interface Endpoint {
  /** "http://127.0.0.1:5000" (no trailing slash). */
  base: string;
  /** True for a mirror: failures fall through to the next endpoint. */
  mirror: boolean;
}

/** Docker Hub's API host for the "docker.io" domain. */
export const DOCKER_HUB_HOST = "registry-1.docker.io";

function hostOf(domain: string): string {
  if (domain.startsWith("[")) return domain.slice(1, domain.indexOf("]"));
  const i = domain.lastIndexOf(":");
  return i === -1 ? domain : domain.slice(0, i);
}

function ipv4ToInt(ip: string): number {
  return ip.split(".").reduce((a, b) => (a << 8) + Number(b), 0) >>> 0;
}

function inCidr(ip: string, cidr: string): boolean {
  const [net, bitsText] = cidr.split("/");
  if (net === undefined || bitsText === undefined || isIP(net) !== 4 || isIP(ip) !== 4) return false;
  const bits = Number(bitsText);
  if (!Number.isInteger(bits) || bits < 0 || bits > 32) return false;
  const mask = bits === 0 ? 0 : (~0 << (32 - bits)) >>> 0;
  return (ipv4ToInt(ip) & mask) === (ipv4ToInt(net) & mask);
}

/** True when `domain` is spoken to over plain http (loopback always, as dockerd allows). */
export function isInsecure(domain: string, config: RegistryConfig = {}): boolean {
  const host = hostOf(domain);
  if (host === "localhost" || host === "::1" || (isIP(host) === 4 && inCidr(host, "127.0.0.0/8"))) return true;
  for (const entry of config.insecureRegistries ?? []) {
    if (entry === domain || entry === host) return true;
    if (entry.includes("/") && inCidr(host, entry)) return true;
  }
  return false;
}

/** The endpoints of `domain`, in the order they are tried. */
export function endpointsFor(domain: string, config: RegistryConfig = {}): Endpoint[] {
  const out: Endpoint[] = [];
  if (domain === "docker.io") {
    for (const m of config.mirrors ?? []) out.push({ base: m.replace(/\/+$/, ""), mirror: true });
    out.push({ base: `https://${DOCKER_HUB_HOST}`, mirror: false });
    return out;
  }
  out.push({ base: `${isInsecure(domain, config) ? "http" : "https"}://${domain}`, mirror: false });
  return out;
}
