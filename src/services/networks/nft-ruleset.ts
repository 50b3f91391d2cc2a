/**
 * Berth's packet rules, all in its own nftables table (`table ip berth` by default), so
 * removal is one `delete table` and nothing of dockerd's, podman's or the admin's is
 * touched. The whole table is rendered from the network records and replaced atomically
 * (`add table; delete table; table {...}` in one `nft -f`) when a network comes or goes;
 * published ports are elements of two DNAT maps, added and deleted per endpoint without
 * re-rendering.
 *
 * - nat prerouting/output: traffic to a local address (`fib daddr type local`, which
 *   includes 127.0.0.1) is DNATed through `dnat_addr` (host ip . proto . port) then
 *   `dnat_any` (proto . port, for 0.0.0.0 bindings);
 * - nat postrouting: masquerade per network (`ip saddr <subnet> oifname != <bridge>`),
 *   masquerade of 127.0.0.0/8 sources DNATed onto a bridge (the container must answer the
 *   host), and of DNATed traffic from a bridge back onto it (hairpin);
 * - filter forward: per bridge, `from-<id>` (leaving the bridge: same bridge ok, another berth
 *   bridge dropped = inter-network isolation, internal networks drop everything else) and
 *   `to-<id>` (entering: replies and DNATed connections only);
 * - filter input: internal networks reach only the embedded DNS on their gateway. Without an
 *   internal network there is no input chain at all: a base chain is a hook that every packet
 *   delivered to the host (loopback included) passes, so an empty one is pure per-packet cost.
 */
import type { NetworkRecord, PortBinding } from "./network-record.js";

/** The default table name. */
export const DEFAULT_TABLE = "berth";

/** Short chain suffix of a network. */
const tag = (n: NetworkRecord): string => n.id.slice(0, 12);
const q = (s: string): string => `"${s}"`;

function elements(items: readonly string[]): string {
  return items.length === 0 ? "" : ` elements = { ${items.join(", ")} };`;
}

/** One DNAT map element of a published port. */
export function portElement(p: PortBinding, containerIp: string): { map: "dnat_any" | "dnat_addr"; key: string; value: string } {
  if (p.hostIp === "0.0.0.0" || p.hostIp === "") {
    return { map: "dnat_any", key: `${p.proto} . ${p.hostPort}`, value: `${containerIp} . ${p.containerPort}` };
  }
  return { map: "dnat_addr", key: `${p.hostIp} . ${p.proto} . ${p.hostPort}`, value: `${containerIp} . ${p.containerPort}` };
}

/** The nft script adding (or deleting) the DNAT elements of published ports. */
export function portsScript(table: string, action: "add" | "delete", ports: readonly PortBinding[], containerIp: string): string {
  return ports
    .map((p) => {
      const e = portElement(p, containerIp);
      return action === "add"
        ? `add element ip ${table} ${e.map} { ${e.key} : ${e.value} }\n`
        : `delete element ip ${table} ${e.map} { ${e.key} }\n`;
    })
    .join("");
}

/** The script that removes the table (no error when it does not exist). */
export function deleteTableScript(table: string): string {
  return `add table ip ${table}\ndelete table ip ${table}\n`;
}

/** The whole table for these networks (bridge networks only are considered). */
export function renderRuleset(table: string, networks: readonly NetworkRecord[]): string {
  const bridges = networks.filter((n) => n.driver === "bridge" && n.bridge !== undefined);
  const fwdFrom: string[] = [];
  const fwdTo: string[] = [];
  const inputFrom: string[] = [];
  const dnatAny: string[] = [];
  const dnatAddr: string[] = [];
  const post: string[] = [];
  const chains: string[] = [];
  for (const n of bridges) {
    const br = q(n.bridge ?? "");
    const t = tag(n);
    fwdFrom.push(`${br} : jump from-${t}`);
    fwdTo.push(`${br} : jump to-${t}`);
    if (n.internal) {
      chains.push(`  chain from-${t} {\n    oifname ${br} accept\n    drop\n  }`);
      chains.push(`  chain to-${t} {\n    drop\n  }`);
      const gws = n.subnets.map((s) => s.gateway).join(", ");
      inputFrom.push(`${br} : jump in-${t}`);
      chains.push(
        `  chain in-${t} {\n    ct state established,related accept\n    ip daddr { ${gws} } meta l4proto { tcp, udp } th dport 53 accept\n    drop\n  }`,
      );
    } else {
      // Same bridge: accepted, or dropped with ICC off (seen only when br_netfilter passes bridged frames).
      chains.push(`  chain from-${t} {\n    oifname ${br} ${n.icc === false ? "drop" : "accept"}\n    oifname @bridges drop\n  }`);
      chains.push(`  chain to-${t} {\n    ct state established,related accept\n    ct status dnat accept\n    drop\n  }`);
      if (n.masquerade) for (const s of n.subnets) post.push(`    ip saddr ${s.subnet} oifname != ${br} masquerade`);
      // Hairpin: a published port reached from the same bridge must answer through the host.
      for (const s of n.subnets) post.push(`    ip saddr ${s.subnet} oifname ${br} ct status dnat masquerade`);
    }
    for (const ep of Object.values(n.endpoints)) {
      for (const p of ep.ports) {
        const e = portElement(p, ep.ip);
        (e.map === "dnat_any" ? dnatAny : dnatAddr).push(`${e.key} : ${e.value}`);
      }
    }
  }
  const lines = [
    `add table ip ${table}`,
    `delete table ip ${table}`,
    `table ip ${table} {`,
    `  set bridges { type ifname;${elements(bridges.map((n) => q(n.bridge ?? "")))} }`,
    `  map fwd_from { type ifname : verdict;${elements(fwdFrom)} }`,
    `  map fwd_to { type ifname : verdict;${elements(fwdTo)} }`,
    `  map input_from { type ifname : verdict;${elements(inputFrom)} }`,
    `  map dnat_any { type inet_proto . inet_service : ipv4_addr . inet_service;${elements(dnatAny)} }`,
    `  map dnat_addr { type ipv4_addr . inet_proto . inet_service : ipv4_addr . inet_service;${elements(dnatAddr)} }`,
    ...chains,
    `  chain ports {`,
    `    meta l4proto { tcp, udp } dnat ip to ip daddr . meta l4proto . th dport map @dnat_addr`,
    `    meta l4proto { tcp, udp } dnat ip to meta l4proto . th dport map @dnat_any`,
    `  }`,
    `  chain prerouting {\n    type nat hook prerouting priority -100; policy accept;\n    fib daddr type local jump ports\n  }`,
    `  chain output {\n    type nat hook output priority -100; policy accept;\n    fib daddr type local jump ports\n  }`,
    `  chain postrouting {`,
    `    type nat hook postrouting priority 100; policy accept;`,
    `    oifname @bridges ip saddr 127.0.0.0/8 masquerade`,
    ...post,
    `  }`,
    `  chain forward {\n    type filter hook forward priority 0; policy accept;\n    iifname vmap @fwd_from\n    oifname vmap @fwd_to\n  }`,
    ...(inputFrom.length > 0 ? [`  chain input {\n    type filter hook input priority 0; policy accept;\n    iifname vmap @input_from\n  }`] : []),
    `}`,
  ];
  return `${lines.join("\n")}\n`;
}
