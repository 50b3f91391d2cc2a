/**
 * dockerd's `--iptables=false` for berth: a `NetKernel` that applies no nftables script, so
 * the daemon leaves the host's firewall entirely alone (no isolation, no masquerade, no
 * published ports through DNAT). Every other operation goes to the wrapped kernel.
 */
import type { NetKernel } from "./net-kernel.js";

/** Wrap `k` so that `nft()` does nothing. */
export function withoutFirewall(k: NetKernel): NetKernel {
  return {
    ip: (batch, netns) => k.ip(batch, netns),
    nft: async () => undefined,
    links: () => k.links(),
    addresses: () => k.addresses(),
    routes: () => k.routes(),
    readSysctl: (key) => k.readSysctl(key),
    writeSysctl: (key, value) => k.writeSysctl(key, value),
    reservePort: (hostIp, port, proto) => k.reservePort(hostIp, port, proto),
  };
}
