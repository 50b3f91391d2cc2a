/** The /etc/hostname, /etc/hosts and /etc/resolv.conf a container gets (moby's defaults). */

/** /etc/hosts for a container with only loopback (or the host's, for host networking). */
export function hostsFile(hostname: string): string {
  return [
    "127.0.0.1\tlocalhost",
    "::1\tlocalhost ip6-localhost ip6-loopback",
    "fe00::\tip6-localnet",
    "ff00::\tip6-mcastprefix",
    "ff02::1\tip6-allnodes",
    "ff02::2\tip6-allrouters",
    `127.0.1.1\t${hostname}`,
    "",
  ].join("\n");
}

/**
 * resolv.conf from the host's: loopback nameservers cannot work from another network
 * namespace, so they are dropped, and Docker's public defaults used when none is left.
 */
export function resolvConf(hostText: string, hostNetwork: boolean): string {
  if (hostNetwork) return hostText;
  const lines = hostText.split("\n");
  const kept = lines.filter((l) => !/^\s*nameserver\s+(127\.|::1\b)/.test(l));
  const hasNs = kept.some((l) => /^\s*nameserver\s/.test(l));
  const out = kept.filter((l, i) => !(l === "" && i === kept.length - 1));
  if (!hasNs) out.push("nameserver 8.8.8.8", "nameserver 8.8.4.4");
  return `${out.join("\n")}\n`;
}
