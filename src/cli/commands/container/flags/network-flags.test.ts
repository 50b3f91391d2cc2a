import { test } from "node:test";
import assert from "node:assert/strict";
import { checkAddHost, networkFlags, parseExpose, parsePublish, type NetworkFlags } from "./network-flags.js";
import type { CreateBodyDraft } from "../flag-group.js";

const apply = (f: NetworkFlags): CreateBodyDraft => {
  const body: CreateBodyDraft = { Image: "busybox", HostConfig: {} };
  networkFlags.apply(f as Record<string, unknown>, body);
  return body;
};

test("-p: docker's forms, ranges, protocols and the IPv6 host form", () => {
  assert.deepEqual(parsePublish("80"), [{ key: "80/tcp", binding: { HostIp: "", HostPort: "" } }]);
  assert.deepEqual(parsePublish("8080:80"), [{ key: "80/tcp", binding: { HostIp: "", HostPort: "8080" } }]);
  assert.deepEqual(parsePublish("127.0.0.1:8080:80/udp"), [{ key: "80/udp", binding: { HostIp: "127.0.0.1", HostPort: "8080" } }]);
  assert.deepEqual(parsePublish("127.0.0.1::80"), [{ key: "80/tcp", binding: { HostIp: "127.0.0.1", HostPort: "" } }]);
  assert.deepEqual(parsePublish("[::1]:8080:80"), [{ key: "80/tcp", binding: { HostIp: "::1", HostPort: "8080" } }]);
  assert.deepEqual(parsePublish("8000-8001:80-81").map((m) => [m.key, m.binding.HostPort]), [["80/tcp", "8000"], ["81/tcp", "8001"]]);
  assert.deepEqual(parsePublish("8000-8010:80"), [{ key: "80/tcp", binding: { HostIp: "", HostPort: "8000-8010" } }]);
  assert.deepEqual(parsePublish("80-82").map((m) => m.key), ["80/tcp", "81/tcp", "82/tcp"]);
});

test("-p: malformed specs give docker's errors", () => {
  assert.throws(() => parsePublish("abc"), /invalid containerPort: abc/);
  assert.throws(() => parsePublish("99999:80"), /invalid hostPort: 99999/);
  assert.throws(() => parsePublish("80/foo"), /invalid proto: foo/);
  assert.throws(() => parsePublish("1.2.3:80:80"), /invalid IP address: 1.2.3/);
  assert.throws(() => parsePublish("8000:80-81"), /invalid ranges specified for container and host Ports/);
  assert.throws(() => parsePublish("a:b:c:d"), /invalid port specification/);
  assert.throws(() => parsePublish("8080:"), /no port specified/);
});

test("--expose and --add-host", () => {
  assert.deepEqual(parseExpose("7000-7001/udp"), ["7000/udp", "7001/udp"]);
  assert.throws(() => parseExpose("x"), /invalid range format for --expose: x/);
  assert.equal(checkAddHost("db=10.0.0.5"), "db:10.0.0.5");
  assert.equal(checkAddHost("gw:host-gateway"), "gw:host-gateway");
  assert.throws(() => checkAddHost("db"), /bad format for add-host/);
  assert.throws(() => checkAddHost("db:notanip"), /invalid IP address in add-host: "notanip"/);
});

test("the create body docker's CLI sends", () => {
  const b = apply({
    network: "net1", ip: "10.1.0.9", networkAlias: ["web"], macAddress: "02:42:0a:01:00:09", addHost: ["db:10.0.0.5"],
    dns: ["10.0.0.53"], dnsSearch: ["example"], dnsOption: ["ndots:2"], publish: ["127.0.0.1:8080:80", "53/udp"], publishAll: true, expose: ["9000"],
  });
  assert.equal(b.HostConfig.NetworkMode, "net1");
  assert.deepEqual(b.NetworkingConfig, { EndpointsConfig: { net1: { IPAMConfig: { IPv4Address: "10.1.0.9" }, Aliases: ["web"], MacAddress: "02:42:0a:01:00:09" } } });
  assert.deepEqual(b.HostConfig.PortBindings, { "80/tcp": [{ HostIp: "127.0.0.1", HostPort: "8080" }], "53/udp": [{ HostIp: "", HostPort: "" }] });
  assert.deepEqual(b.ExposedPorts, { "9000/tcp": {}, "80/tcp": {}, "53/udp": {} });
  assert.equal(b.HostConfig.PublishAllPorts, true);
  assert.deepEqual(b.HostConfig.ExtraHosts, ["db:10.0.0.5"]);
  assert.deepEqual([b.HostConfig.Dns, b.HostConfig.DnsSearch, b.HostConfig.DnsOptions], [["10.0.0.53"], ["example"], ["ndots:2"]]);
});

test("no networking flags: only the default mode, nothing else in the body", () => {
  assert.deepEqual(apply({}), { Image: "busybox", HostConfig: { NetworkMode: "default" } });
  assert.throws(() => apply({ macAddress: "zz" }), /zz is not a valid mac address/);
  assert.throws(() => apply({ dns: ["x"] }), /x is not an ip address/);
});
