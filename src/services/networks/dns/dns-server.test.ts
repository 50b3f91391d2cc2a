import { test } from "node:test";
import assert from "node:assert/strict";
import { createSocket, type Socket } from "node:dgram";
import { connect, createServer } from "node:net";
import { buildQuery, buildResponse, parseQuery, parseResponse, RCODE_FORMERR, RCODE_SERVFAIL, TYPE_AAAA, TYPE_PTR } from "./dns-codec.js";
import { DnsServer, type DnsUpstream } from "./dns-server.js";

const NAMES: Record<string, string[]> = { beta: ["10.0.0.3"], web: ["10.0.0.3", "10.0.0.4"] };

function ask(port: number, msg: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const s = createSocket("udp4");
    const timer = setTimeout(() => {
      s.close();
      reject(new Error("dns query timed out"));
    }, 3000);
    s.on("message", (m) => {
      clearTimeout(timer);
      s.close();
      resolve(m);
    });
    s.send(msg, port, "127.0.0.1");
  });
}

function askTcp(port: number, msg: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const s = connect(port, "127.0.0.1");
    let buf = Buffer.alloc(0);
    s.on("data", (b: Buffer) => {
      buf = Buffer.concat([buf, b]);
      if (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        s.end();
        resolve(buf.subarray(2, 2 + buf.readUInt16BE(0)));
      }
    });
    s.on("error", reject);
    const len = Buffer.alloc(2);
    len.writeUInt16BE(msg.length, 0);
    s.write(Buffer.concat([len, msg]));
  });
}

async function fakeUpstream(): Promise<{ sock: Socket; up: DnsUpstream; seen: string[] }> {
  const sock = createSocket("udp4");
  const seen: string[] = [];
  sock.on("message", (m, r) => {
    const q = parseQuery(m);
    seen.push(q.name);
    sock.send(buildResponse(m, q, 0, [{ type: "A", address: "203.0.113.9", ttl: 5 }]), r.port, r.address);
  });
  await new Promise<void>((r) => sock.bind(0, "127.0.0.1", () => r()));
  return { sock, up: { host: "127.0.0.1", port: sock.address().port }, seen };
}

test("DnsServer answers the network's names over UDP and TCP, and forwards the rest", async (t) => {
  const upstream = await fakeUpstream();
  const server = await DnsServer.start({ host: "127.0.0.1", port: 0, lookup: (n) => NAMES[n], upstreams: [upstream.up] });
  t.after(async () => {
    await server.close();
    upstream.sock.close();
  });
  assert.deepEqual(parseResponse(await ask(server.port, buildQuery(1, "beta"))), { id: 1, rcode: 0, addresses: ["10.0.0.3"] });
  assert.deepEqual(parseResponse(await ask(server.port, buildQuery(2, "WEB."))).addresses, ["10.0.0.3", "10.0.0.4"]);
  assert.deepEqual(parseResponse(await askTcp(server.port, buildQuery(3, "beta"))), { id: 3, rcode: 0, addresses: ["10.0.0.3"] });
  // A known name without an AAAA record: NOERROR and no answer (not forwarded).
  assert.deepEqual(parseResponse(await ask(server.port, buildQuery(4, "beta", TYPE_AAAA))), { id: 4, rcode: 0, addresses: [] });
  assert.deepEqual(parseResponse(await ask(server.port, buildQuery(5, "outside.example"))), { id: 5, rcode: 0, addresses: ["203.0.113.9"] });
  assert.deepEqual(upstream.seen, ["outside.example"]);
});

test("DnsServer answers PTR for the network's addresses and forwards other reverse lookups", async (t) => {
  const upstream = await fakeUpstream();
  const server = await DnsServer.start({
    host: "127.0.0.1",
    port: 0,
    lookup: () => undefined,
    reverse: (ip) => (ip === "10.0.0.3" ? "beta.mynet" : undefined),
    upstreams: [upstream.up],
  });
  t.after(async () => {
    await server.close();
    upstream.sock.close();
  });
  const resp = await ask(server.port, buildQuery(21, "3.0.0.10.in-addr.arpa", TYPE_PTR));
  assert.equal(parseResponse(resp).rcode, 0);
  // The answer's rdata is the name in labels: "beta.mynet".
  assert.ok(resp.includes(Buffer.from("\x04beta\x05mynet\x00", "latin1")));
  await ask(server.port, buildQuery(22, "9.0.0.10.in-addr.arpa", TYPE_PTR));
  assert.deepEqual(upstream.seen, ["9.0.0.10.in-addr.arpa"]);
});

test("DnsServer tells lookup who asks (the client address decides which networks are visible)", async (t) => {
  const clients: string[] = [];
  const server = await DnsServer.start({ host: "127.0.0.1", port: 0, lookup: (_n, c) => (clients.push(c), ["10.0.0.9"]), upstreams: [] });
  t.after(() => server.close());
  await ask(server.port, buildQuery(41, "x"));
  await askTcp(server.port, buildQuery(42, "x"));
  assert.deepEqual(clients, ["127.0.0.1", "127.0.0.1"]);
});

test("DnsServer forwards a TCP query over TCP", async (t) => {
  const seen: string[] = [];
  const up = createServer((sock) => {
    sock.on("data", (b: Buffer) => {
      const q = b.subarray(2, 2 + b.readUInt16BE(0));
      seen.push(parseQuery(q).name);
      const resp = buildResponse(q, parseQuery(q), 0, [{ type: "A", address: "198.51.100.4", ttl: 5 }]);
      const len = Buffer.alloc(2);
      len.writeUInt16BE(resp.length, 0);
      sock.end(Buffer.concat([len, resp]));
    });
  });
  await new Promise<void>((r) => up.listen(0, "127.0.0.1", () => r()));
  const port = (up.address() as { port: number }).port;
  const server = await DnsServer.start({ host: "127.0.0.1", port: 0, lookup: () => undefined, upstreams: [{ host: "127.0.0.1", port }], timeoutMs: 1000 });
  t.after(async () => {
    await server.close();
    up.close();
  });
  assert.deepEqual(parseResponse(await askTcp(server.port, buildQuery(31, "big.example"))), { id: 31, rcode: 0, addresses: ["198.51.100.4"] });
  assert.deepEqual(seen, ["big.example"]);
});

test("DnsServer gives SERVFAIL without a working upstream and FORMERR for garbage", async (t) => {
  const dead = createSocket("udp4");
  await new Promise<void>((r) => dead.bind(0, "127.0.0.1", () => r()));
  const server = await DnsServer.start({ host: "127.0.0.1", port: 0, lookup: () => undefined, upstreams: [{ host: "127.0.0.1", port: dead.address().port }], timeoutMs: 100 });
  const none = await DnsServer.start({ host: "127.0.0.1", port: 0, lookup: () => undefined, upstreams: [] });
  t.after(async () => {
    await server.close();
    await none.close();
    dead.close();
  });
  assert.equal(parseResponse(await ask(server.port, buildQuery(9, "x.example"))).rcode, RCODE_SERVFAIL);
  assert.equal(parseResponse(await ask(none.port, buildQuery(10, "x.example"))).rcode, RCODE_SERVFAIL);
  const garbage = Buffer.from([0, 11, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0]);
  const resp = await ask(none.port, garbage);
  assert.equal(resp.readUInt16BE(0), 11);
  assert.equal(resp.readUInt16BE(2) & 0xf, RCODE_FORMERR);
});

test("DnsServer.start() refuses a port already taken", async (t) => {
  const a = await DnsServer.start({ host: "127.0.0.1", port: 0, lookup: () => undefined, upstreams: [] });
  t.after(() => a.close());
  await assert.rejects(DnsServer.start({ host: "127.0.0.1", port: a.port, lookup: () => undefined, upstreams: [] }), /EADDRINUSE/);
});
