/**
 * Every touch of the kernel's networking (links, addresses, routes, namespaces, nftables,
 * sysctls, port reservations) goes through `NetKernel`, so the network service and its
 * drivers can be unit-tested with the recording `FakeNetKernel`.
 *
 * Node cannot open netlink sockets, so the real implementation drives iproute2 and nft in
 * batches: callers hand over whole batches (one process per batch), never single commands.
 */

/** A network namespace: that of a process, or a namespace file (`/run/netns/x`, `/proc/1/ns/net`). */
export type NetnsRef = { pid: number } | { path: string };

/** The path of a namespace reference's nsfs file. */
export function netnsPath(ns: NetnsRef): string {
  return "pid" in ns ? `/proc/${ns.pid}/ns/net` : ns.path;
}

/** One link of the host's namespace, as `ip -j link` reports it. */
export interface LinkInfo {
  ifname: string;
  ifindex: number;
  mtu: number;
  /** The bridge (or bond) this link is enslaved to. */
  master?: string;
  /** `ifalias`: berth marks its own links here ("berth-net:<id>", "berth-ep:<id>"). */
  alias?: string;
}

/** One IPv4 address configured on the host. */
export interface HostAddress {
  ifname: string;
  /** Dotted quad. */
  local: string;
  prefixlen: number;
}

/** A port held open on the host so nothing else can take it while it is published. */
export interface PortReservation {
  readonly hostIp: string;
  readonly port: number;
  readonly proto: "tcp" | "udp";
  /** Close the socket; idempotent. */
  release(): Promise<void>;
}

/** The kernel networking operations berth's network service needs. */
export interface NetKernel {
  /**
   * Run iproute2 commands (each one argv without the leading "ip") in one process, in
   * `netns` when given (the host's namespace otherwise). Stops at the first failure.
   */
  ip(batch: readonly (readonly string[])[], netns?: NetnsRef): Promise<void>;
  /** Apply an nftables script atomically (`nft -f -`: all of it or nothing). */
  nft(script: string): Promise<void>;
  /** The host namespace's links. */
  links(): Promise<LinkInfo[]>;
  /** The host namespace's IPv4 addresses. */
  addresses(): Promise<HostAddress[]>;
  /** Destinations (CIDR) of the host's IPv4 routes in the main table, without the default route. */
  routes(): Promise<string[]>;
  /** Read a sysctl under /proc/sys ("net/ipv4/ip_forward"); trimmed. */
  readSysctl(key: string): Promise<string>;
  /** Write a sysctl under /proc/sys. */
  writeSysctl(key: string, value: string): Promise<void>;
  /** Bind `hostIp:port` (port > 0) to prove it free and hold it; throws KernelError EADDRINUSE. */
  reservePort(hostIp: string, port: number, proto: "tcp" | "udp"): Promise<PortReservation>;
}
