import { test } from "node:test";
import assert from "node:assert/strict";
import { request, type IncomingMessage, type ServerResponse } from "node:http";
import { connect, type Socket } from "node:net";
import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { listenGated, type ReadyGate } from "./ready-gate.js";

interface Reply { status: number; headers: Record<string, string | string[] | undefined>; body: string; at: number }

function call(socketPath: string, method: string, path: string, body?: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, method, path }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString(), at: performance.now() }));
    });
    req.on("error", reject);
    req.end(body);
  });
}

async function gated(t: import("node:test").TestContext): Promise<{ gate: ReadyGate; sock: string }> {
  const dir = await mkdtemp(join(tmpdir(), "berth-gate-"));
  const sock = join(dir, "api.sock");
  const gate = await listenGated([`unix://${sock}`]);
  t.after(async () => {
    await gate.close();
    await rm(dir, { recursive: true, force: true });
  });
  return { gate, sock };
}

/** A stand-in API: echoes method, path and body once it has read the whole body. */
const echoApi = {
  request(req: IncomingMessage, res: ServerResponse) {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      res.writeHead(200, { "Content-Type": "application/json" });
      res.end(JSON.stringify({ method: req.method, url: req.url, body: Buffer.concat(chunks).toString() }));
    });
  },
  upgrade(req: IncomingMessage, socket: Socket) {
    socket.end(`HTTP/1.1 101 UPGRADED\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\nhello ${req.url ?? ""}`);
  },
};

test("ping is answered before the API is ready; other requests wait and get the API's answer", async (t) => {
  const { gate, sock } = await gated(t);
  assert.equal(gate.addresses[0], `unix://${sock}`);
  assert.equal(((await stat(sock)).mode & 0o777), 0o660);
  const ping = await call(sock, "GET", "/v1.45/_ping");
  assert.equal(ping.status, 200);
  assert.equal(ping.body, "OK");
  assert.equal(ping.headers["api-version"], "1.50");
  assert.equal(ping.headers.ostype, "linux");
  const head = await call(sock, "HEAD", "/_ping");
  assert.equal(head.status, 200);
  const big = "x".repeat(256 * 1024);
  const list = call(sock, "GET", "/containers/json?all=1");
  const post = call(sock, "POST", "/containers/create?name=a", big);
  const version = call(sock, "GET", "/version");
  // Held: nothing is answered while the API is not there.
  await new Promise((r) => setTimeout(r, 100));
  const openedAt = performance.now();
  gate.open(echoApi);
  const [l, p, v] = await Promise.all([list, post, version]);
  for (const r of [l, p, v]) {
    assert.equal(r.status, 200);
    assert.ok(r.at >= openedAt, "answered after the API was ready");
  }
  assert.deepEqual(JSON.parse(l.body), { method: "GET", url: "/containers/json?all=1", body: "" });
  assert.deepEqual(JSON.parse(p.body), { method: "POST", url: "/containers/create?name=a", body: big });
  assert.equal(JSON.parse(v.body).url, "/version");
  // After open, everything (ping included) goes to the API.
  assert.equal(JSON.parse((await call(sock, "GET", "/_ping")).body).url, "/_ping");
});

test("an upgrade request is held until the API is ready, then handed over with its socket", async (t) => {
  const { gate, sock } = await gated(t);
  const got = new Promise<string>((resolve, reject) => {
    const s = connect(sock);
    const chunks: Buffer[] = [];
    s.on("data", (c: Buffer) => chunks.push(c));
    s.on("end", () => resolve(Buffer.concat(chunks).toString()));
    s.on("error", reject);
    s.write("POST /containers/x/attach?stream=1 HTTP/1.1\r\nHost: berth\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n");
  });
  await new Promise((r) => setTimeout(r, 50));
  gate.open(echoApi);
  const text = await got;
  assert.match(text, /^HTTP\/1\.1 101 UPGRADED/);
  assert.match(text, /hello \/containers\/x\/attach\?stream=1$/);
});

test("a failed start answers held and later requests with a 500 carrying the reason; ping still answers", async (t) => {
  const { gate, sock } = await gated(t);
  const held = call(sock, "GET", "/info");
  await new Promise((r) => setTimeout(r, 50));
  await gate.fail(new Error("open content store: disk on fire"));
  const r = await held;
  assert.equal(r.status, 500);
  assert.deepEqual(JSON.parse(r.body), { message: "start daemon: open content store: disk on fire" });
  const later = await call(sock, "DELETE", "/containers/x");
  assert.equal(later.status, 500);
  assert.equal((await call(sock, "GET", "/_ping")).status, 200);
});

test("a version the daemon does not speak is not taken for a ping", async (t) => {
  const { gate, sock } = await gated(t);
  const r = call(sock, "GET", "/v9.99/_ping");
  await new Promise((res) => setTimeout(res, 50));
  gate.open({ request: (_req, res) => { res.writeHead(400); res.end("api says no"); }, upgrade: (_r, s) => s.destroy() });
  const got = await r;
  assert.equal(got.status, 400);
  assert.equal(got.body, "api says no");
});
