import { test } from "node:test";
import assert from "node:assert/strict";
import type { NetworkRecord } from "./network-record.js";
import { deleteTableScript, portsScript, renderRuleset } from "./nft-ruleset.js";

function net(id: string, name: string, bridge: string, subnet: string, gw: string, over: Partial<NetworkRecord> = {}): NetworkRecord {
  return {
    id: id.repeat(64 / id.length),
    name,
    created: "2026-01-01T00:00:00.000000000Z",
    driver: "bridge",
    internal: false,
    attachable: false,
    builtin: false,
    ipamDriver: "default",
    ipamOptions: {},
    subnets: [{ subnet, gateway: gw, userSubnet: false }],
    options: {},
    labels: {},
    bridge,
    masquerade: true,
    endpoints: {},
    ...over,
  };
}

test("renderRuleset() replaces the whole table: isolation, masquerade, internal input rules, port maps", () => {
  const a = net("a", "a", "berth0", "172.17.0.0/16", "172.17.0.1", {
    endpoints: {
      e1: { id: "e1", containerId: "c1", name: "c1", aliases: [], ip: "172.17.0.2", mac: "", ifname: "eth0", hostVeth: "v1", ports: [
        { hostIp: "0.0.0.0", hostPort: 8080, containerPort: 80, proto: "tcp" },
        { hostIp: "127.0.0.1", hostPort: 5353, containerPort: 53, proto: "udp" },
      ] },
    },
  });
  const b = net("b", "b", "br-b", "10.9.0.0/24", "10.9.0.1", { internal: true, masquerade: false });
  const c = net("c", "c", "br-c", "10.8.0.0/24", "10.8.0.1", { masquerade: false });
  const host = { ...net("d", "host", "x", "", ""), driver: "host" as const, bridge: undefined, subnets: [] };
  const A = "a".repeat(12);
  const B = "b".repeat(12);
  const C = "c".repeat(12);
  assert.equal(
    renderRuleset("berth", [a, b, c, host as unknown as NetworkRecord]),
    [
      "add table ip berth",
      "delete table ip berth",
      "table ip berth {",
      '  set bridges { type ifname; elements = { "berth0", "br-b", "br-c" }; }',
      `  map fwd_from { type ifname : verdict; elements = { "berth0" : jump from-${A}, "br-b" : jump from-${B}, "br-c" : jump from-${C} }; }`,
      `  map fwd_to { type ifname : verdict; elements = { "berth0" : jump to-${A}, "br-b" : jump to-${B}, "br-c" : jump to-${C} }; }`,
      `  map input_from { type ifname : verdict; elements = { "br-b" : jump in-${B} }; }`,
      "  map dnat_any { type inet_proto . inet_service : ipv4_addr . inet_service; elements = { tcp . 8080 : 172.17.0.2 . 80 }; }",
      "  map dnat_addr { type ipv4_addr . inet_proto . inet_service : ipv4_addr . inet_service; elements = { 127.0.0.1 . udp . 5353 : 172.17.0.2 . 53 }; }",
      `  chain from-${A} {\n    oifname "berth0" accept\n    oifname @bridges drop\n  }`,
      `  chain to-${A} {\n    ct state established,related accept\n    ct status dnat accept\n    drop\n  }`,
      `  chain from-${B} {\n    oifname "br-b" accept\n    drop\n  }`,
      `  chain to-${B} {\n    drop\n  }`,
      `  chain in-${B} {\n    ct state established,related accept\n    ip daddr { 10.9.0.1 } meta l4proto { tcp, udp } th dport 53 accept\n    drop\n  }`,
      `  chain from-${C} {\n    oifname "br-c" accept\n    oifname @bridges drop\n  }`,
      `  chain to-${C} {\n    ct state established,related accept\n    ct status dnat accept\n    drop\n  }`,
      "  chain ports {",
      "    meta l4proto { tcp, udp } dnat ip to ip daddr . meta l4proto . th dport map @dnat_addr",
      "    meta l4proto { tcp, udp } dnat ip to meta l4proto . th dport map @dnat_any",
      "  }",
      "  chain prerouting {\n    type nat hook prerouting priority -100; policy accept;\n    fib daddr type local jump ports\n  }",
      "  chain output {\n    type nat hook output priority -100; policy accept;\n    fib daddr type local jump ports\n  }",
      "  chain postrouting {",
      "    type nat hook postrouting priority 100; policy accept;",
      "    oifname @bridges ip saddr 127.0.0.0/8 masquerade",
      '    ip saddr 172.17.0.0/16 oifname != "berth0" masquerade',
      '    ip saddr 172.17.0.0/16 oifname "berth0" ct status dnat masquerade',
      '    ip saddr 10.8.0.0/24 oifname "br-c" ct status dnat masquerade',
      "  }",
      "  chain forward {\n    type filter hook forward priority 0; policy accept;\n    iifname vmap @fwd_from\n    oifname vmap @fwd_to\n  }",
      "  chain input {\n    type filter hook input priority 0; policy accept;\n    iifname vmap @input_from\n  }",
      "}",
      "",
    ].join("\n"),
  );
});

test("renderRuleset() drops traffic within a bridge when ICC is off", () => {
  const text = renderRuleset("t", [net("e", "e", "br-e", "10.7.0.0/24", "10.7.0.1", { icc: false })]);
  assert.match(text, /chain from-e{12} \{\n    oifname "br-e" drop\n    oifname @bridges drop\n  \}/);
});

test("renderRuleset() hooks no input chain without an internal network (no per-packet cost for the host's own traffic)", () => {
  const text = renderRuleset("t", [net("f", "f", "br-f", "10.6.0.0/24", "10.6.0.1")]);
  assert.doesNotMatch(text, /hook input/);
  assert.match(text, /map input_from \{ type ifname : verdict; \}/, "the map stays declared");
  assert.match(renderRuleset("t", [net("g", "g", "br-g", "10.5.0.0/24", "10.5.0.1", { internal: true })]), /chain input \{\n    type filter hook input priority 0; policy accept;\n    iifname vmap @input_from\n  \}/);
});

test("renderRuleset() with no networks declares empty sets and maps", () => {
  const text = renderRuleset("t1", []);
  assert.match(text, /set bridges \{ type ifname; \}/);
  assert.match(text, /map dnat_any \{ type inet_proto \. inet_service : ipv4_addr \. inet_service; \}/);
});

test("portsScript() adds and deletes DNAT elements by key", () => {
  const ports = [
    { hostIp: "0.0.0.0", hostPort: 32768, containerPort: 80, proto: "tcp" as const },
    { hostIp: "192.0.2.2", hostPort: 53, containerPort: 53, proto: "udp" as const },
  ];
  assert.equal(
    portsScript("berth", "add", ports, "10.0.0.2"),
    "add element ip berth dnat_any { tcp . 32768 : 10.0.0.2 . 80 }\nadd element ip berth dnat_addr { 192.0.2.2 . udp . 53 : 10.0.0.2 . 53 }\n",
  );
  assert.equal(portsScript("berth", "delete", ports, "10.0.0.2"), "delete element ip berth dnat_any { tcp . 32768 }\ndelete element ip berth dnat_addr { 192.0.2.2 . udp . 53 }\n");
  assert.equal(deleteTableScript("berth"), "add table ip berth\ndelete table ip berth\n");
});
