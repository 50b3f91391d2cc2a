import { test } from "node:test";
import assert from "node:assert/strict";
import { request } from "node:http";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createServer } from "../../server.js";
import { EventBus } from "../../../../services/events/event-bus.js";
import { conflict, notFound, BerthError } from "../../../../shared/errors.js";
import type { NetworkResource } from "../../../../api/networks.js";
import type { NetworksBackend } from "./backend.js";

function call(sock: string, method: string, path: string, body?: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath: sock, method, path, headers: body !== undefined ? { "Content-Type": "application/json" } : {} }, (res) => {
      let b = "";
      res.on("data", (c: Buffer) => { b += c.toString(); });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: b }));
    });
    req.on("error", reject);
    req.end(body);
  });
}

test("/networks routes: status codes, bodies, filters and Docker's error statuses", async (t) => {
  const calls: unknown[][] = [];
  const net = { Name: "n1", Id: "a".repeat(64) } as NetworkResource;
  const backend: NetworksBackend = {
    list: (filters) => { calls.push(["list", filters]); return [net]; },
    inspect: (id) => { if (id !== "n1") throw notFound(`network ${id} not found`); return net; },
    create: async (body) => {
      calls.push(["create", body]);
      if (body.Name === "dup") throw conflict("network with name dup already exists");
      return { Id: net.Id, Warning: "" };
    },
    remove: async (id) => {
      calls.push(["remove", id]);
      if (id === "bridge") throw new BerthError("permission-denied", "bridge is a pre-defined network and cannot be removed");
    },
    prune: async (filters) => { calls.push(["prune", filters]); return { NetworksDeleted: ["n2"] }; },
    connect: async (id, body) => { calls.push(["connect", id, body]); },
    disconnect: async (id, body) => { calls.push(["disconnect", id, body]); },
  };
  const dir = await mkdtemp(join(tmpdir(), "berth-netroutes-"));
  const server = createServer({ system: {} as never, images: {} as never, events: new EventBus(), networks: backend });
  const sock = join(dir, "s.sock");
  await server.listen(`unix://${sock}`);
  t.after(async () => {
    await server.close();
    await rm(dir, { recursive: true, force: true });
  });
  const list = await call(sock, "GET", `/v1.50/networks?filters=${encodeURIComponent(JSON.stringify({ driver: { bridge: true } }))}`);
  assert.deepEqual([list.status, JSON.parse(list.body)], [200, [net]]);
  assert.deepEqual(calls.pop(), ["list", { driver: ["bridge"] }]);
  assert.equal((await call(sock, "GET", "/networks/n1")).status, 200);
  assert.deepEqual(await call(sock, "GET", "/networks/nope"), { status: 404, body: '{"message":"network nope not found"}\n' });
  const created = await call(sock, "POST", "/v1.50/networks/create", JSON.stringify({ Name: "n1", Internal: true }));
  assert.deepEqual([created.status, JSON.parse(created.body)], [201, { Id: net.Id, Warning: "" }]);
  assert.deepEqual(calls.pop(), ["create", { Name: "n1", Internal: true }]);
  assert.equal((await call(sock, "POST", "/networks/create", JSON.stringify({ Name: "dup" }))).status, 409);
  const noName = await call(sock, "POST", "/networks/create", JSON.stringify({}));
  assert.equal(noName.status, 400);
  assert.equal((await call(sock, "DELETE", "/networks/n1")).status, 204);
  assert.equal((await call(sock, "DELETE", "/networks/bridge")).status, 403);
  const pruned = await call(sock, "POST", "/networks/prune");
  assert.deepEqual(JSON.parse(pruned.body), { NetworksDeleted: ["n2"] });
  const conn = await call(sock, "POST", "/networks/n1/connect", JSON.stringify({ Container: "c1", EndpointConfig: { Aliases: ["x"] } }));
  assert.equal(conn.status, 200);
  assert.deepEqual(calls.pop(), ["connect", "n1", { Container: "c1", EndpointConfig: { Aliases: ["x"] } }]);
  assert.equal((await call(sock, "POST", "/networks/n1/connect", JSON.stringify({}))).status, 400);
  assert.equal((await call(sock, "POST", "/networks/n1/disconnect", JSON.stringify({ Container: "c1", Force: true }))).status, 200);
  assert.deepEqual(calls.pop(), ["disconnect", "n1", { Container: "c1", Force: true }]);
});
