import { test } from "node:test";
import assert from "node:assert/strict";
import { checkMac, dnsSettings, endpointsConfig, extraHosts, parseNetMode, parsePortKey, portBindings, primaryNetwork } from "./container-network-config.js";

test("NetworkMode forms", () => {
  assert.deepEqual(parseNetMode(""), { kind: "networks" });
  assert.deepEqual(parseNetMode("default"), { kind: "networks" });
  assert.deepEqual(parseNetMode("host"), { kind: "host" });
  assert.deepEqual(parseNetMode("none"), { kind: "none" });
  assert.deepEqual(parseNetMode("container:web"), { kind: "container", ref: "web" });
  assert.deepEqual(parseNetMode("mynet"), { kind: "network", name: "mynet" });
  assert.throws(() => parseNetMode("container:"), /container name or id is empty/);
  assert.equal(primaryNetwork("default"), "bridge");
  assert.equal(primaryNetwork("container:x"), undefined);
});

test("PortBindings and PublishAllPorts become bindings; ephemeral ports are 0", () => {
  const hc = { PortBindings: { "80/tcp": [{ HostIp: "127.0.0.1", HostPort: "8080" }, { HostIp: "", HostPort: "" }], "53/udp": [{ HostPort: "5353" }], "81": null }, PublishAllPorts: true };
  assert.deepEqual(portBindings(hc, { "80/tcp": {}, "9000/tcp": {} }), [
    { hostIp: "127.0.0.1", hostPort: 8080, containerPort: 80, proto: "tcp" },
    { hostIp: "", hostPort: 0, containerPort: 80, proto: "tcp" },
    { hostIp: "", hostPort: 5353, containerPort: 53, proto: "udp" },
    { hostIp: "", hostPort: 0, containerPort: 9000, proto: "tcp" },
  ]);
  // IPv6 host addresses are skipped (no IPv6 yet), a range uses its first port.
  assert.deepEqual(portBindings({ PortBindings: { "80/tcp": [{ HostIp: "::", HostPort: "80" }, { HostIp: "0.0.0.0", HostPort: "8000-8010" }] } }, undefined),
    [{ hostIp: "0.0.0.0", hostPort: 8000, containerPort: 80, proto: "tcp" }]);
  assert.throws(() => portBindings({ PortBindings: { "abc/tcp": [] } }, undefined), /invalid port specification: "abc\/tcp"/);
  assert.throws(() => portBindings({ PortBindings: { "80/tcp": [{ HostPort: "70000" }] } }, undefined), /invalid hostPort: 70000/);
  assert.throws(() => portBindings({ PortBindings: { "80/tcp": [{ HostIp: "1.2.3", HostPort: "1" }] } }, undefined), /invalid IP address: 1\.2\.3/);
  assert.throws(() => parsePortKey("80/sctp"), /sctp is not supported/);
});

test("EndpointsConfig, ExtraHosts, Dns and MacAddress are checked", () => {
  assert.deepEqual(endpointsConfig({ NetworkingConfig: { EndpointsConfig: { n: { Aliases: ["a"], IPAMConfig: { IPv4Address: "10.0.0.2" } } } } }).map(([k]) => k), ["n"]);
  assert.throws(() => endpointsConfig({ NetworkingConfig: { EndpointsConfig: { n: { IPAMConfig: { IPv4Address: "10.0.0" } } } } }), /invalid IPv4 address: 10\.0\.0/);
  assert.throws(() => endpointsConfig({ NetworkingConfig: { EndpointsConfig: { n: { MacAddress: "zz" } } } }), /invalid MAC address: zz/);
  assert.deepEqual(extraHosts(["db:10.0.0.5", "gw:host-gateway", "v6:[::1]"], "172.17.0.1"), [
    { host: "db", ip: "10.0.0.5" }, { host: "gw", ip: "172.17.0.1" }, { host: "v6", ip: "::1" },
  ]);
  assert.throws(() => extraHosts(["nocolon"], undefined), /bad format for add-host/);
  assert.throws(() => extraHosts(["db:nope"], undefined), /invalid IP address in add-host/);
  assert.throws(() => extraHosts(["gw:host-gateway"], undefined), /host-gateway/);
  assert.deepEqual(dnsSettings({ Dns: ["1.1.1.1"], DnsSearch: ["corp"], DnsOptions: ["ndots:1"] }), { dns: ["1.1.1.1"], dnsSearch: ["corp"], dnsOptions: ["ndots:1"] });
  assert.throws(() => dnsSettings({ Dns: ["x"] }), /x is not an ip address/);
  assert.equal(checkMac(""), undefined);
  assert.throws(() => checkMac("02:42"), /invalid MAC address/);
});
