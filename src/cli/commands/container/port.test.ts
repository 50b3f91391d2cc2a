import { test } from "node:test";
import assert from "node:assert/strict";
import { displayablePorts, portLines } from "./port.js";

test("PORTS column as docker prints it: ranges grouped, exposed ports bare, remaps listed", () => {
  assert.equal(displayablePorts([]), "");
  assert.equal(displayablePorts([{ IP: "0.0.0.0", PrivatePort: 80, PublicPort: 8080, Type: "tcp" }]), "0.0.0.0:8080->80/tcp");
  assert.equal(displayablePorts([{ PrivatePort: 443, Type: "tcp" }, { PrivatePort: 80, Type: "tcp" }]), "80/tcp, 443/tcp");
  assert.equal(displayablePorts([
    { IP: "0.0.0.0", PrivatePort: 8000, PublicPort: 8000, Type: "tcp" },
    { IP: "0.0.0.0", PrivatePort: 8001, PublicPort: 8001, Type: "tcp" },
    { PrivatePort: 53, Type: "udp" },
  ]), "53/udp, 0.0.0.0:8000-8001->8000-8001/tcp");
  assert.equal(displayablePorts([{ PrivatePort: 80, Type: "tcp" }, { PrivatePort: 81, Type: "tcp" }, { PrivatePort: 83, Type: "tcp" }]), "80-81/tcp, 83/tcp");
});

test("port: every binding, or one private port", () => {
  const ports = { "80/tcp": [{ HostIp: "127.0.0.1", HostPort: "8080" }], "53/udp": [{ HostIp: "0.0.0.0", HostPort: "40000" }], "9000/tcp": null };
  assert.deepEqual(portLines(ports, "web"), ["53/udp -> 0.0.0.0:40000", "80/tcp -> 127.0.0.1:8080"]);
  assert.deepEqual(portLines(ports, "web", "80"), ["127.0.0.1:8080"]);
  assert.throws(() => portLines(ports, "web", "9000"), /No public port '9000\/tcp' published for web/);
});
