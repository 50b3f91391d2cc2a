import { test } from "node:test";
import assert from "node:assert/strict";
import { request } from "node:http";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createServer } from "../../server.js";
import { EventBus } from "../../../../services/events/event-bus.js";
import { conflict, notFound } from "../../../../shared/errors.js";
import type { VolumesBackend } from "./backend.js";

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

test("/volumes routes: status codes, bodies, filters and the pre-1.42 prune rule", async (t) => {
  const calls: unknown[][] = [];
  const vol = { Name: "v", Driver: "local", Mountpoint: "/m", CreatedAt: "2026-01-01T00:00:00Z", Labels: {}, Scope: "local" as const, Options: null };
  const backend: VolumesBackend = {
    create: async (req) => { calls.push(["create", req]); return { ...vol, Name: req.Name ?? "gen" }; },
    inspect: (name) => { if (name !== "v") throw notFound(`get ${name}: no such volume`); return vol; },
    list: (filters) => { calls.push(["list", filters]); return [vol]; },
    remove: async (name, o) => { calls.push(["remove", name, o]); if (name === "busy") throw conflict("remove busy: volume is in use - [c1]"); },
    prune: async (filters) => { calls.push(["prune", filters]); return { VolumesDeleted: null, SpaceReclaimed: 0 }; },
  };
  const dir = await mkdtemp(join(tmpdir(), "berth-volroutes-"));
  const server = createServer({ system: {} as never, images: {} as never, events: new EventBus(), volumes: backend });
  const sock = join(dir, "s.sock");
  await server.listen(`unix://${sock}`);
  t.after(async () => {
    await server.close();
    await rm(dir, { recursive: true, force: true });
  });
  const created = await call(sock, "POST", "/v1.50/volumes/create", JSON.stringify({ Name: "v", Labels: { a: "b" }, DriverOpts: { type: "tmpfs" } }));
  assert.equal(created.status, 201);
  assert.equal((JSON.parse(created.body) as { Name: string }).Name, "v");
  assert.deepEqual(calls.pop(), ["create", { Name: "v", Labels: { a: "b" }, DriverOpts: { type: "tmpfs" } }]);
  const badBody = await call(sock, "POST", "/volumes/create", JSON.stringify({ Labels: { a: 1 } }));
  assert.equal(badBody.status, 400);
  assert.match(badBody.body, /Labels must map strings to strings/);
  const list = await call(sock, "GET", `/v1.50/volumes?filters=${encodeURIComponent(JSON.stringify({ dangling: { true: true } }))}`);
  assert.deepEqual(JSON.parse(list.body), { Volumes: [vol], Warnings: null });
  assert.deepEqual(calls.pop(), ["list", { dangling: ["true"] }]);
  assert.equal((await call(sock, "GET", "/volumes/v")).status, 200);
  const missing = await call(sock, "GET", "/volumes/nope");
  assert.deepEqual([missing.status, JSON.parse(missing.body)], [404, { message: "get nope: no such volume" }]);
  assert.equal((await call(sock, "DELETE", "/volumes/v?force=1")).status, 204);
  assert.deepEqual(calls.pop(), ["remove", "v", { force: true }]);
  assert.equal((await call(sock, "DELETE", "/volumes/busy")).status, 409);
  for (const [version, filters] of [["1.50", {}], ["1.41", { all: ["true"] }]] as const) {
    const r = await call(sock, "POST", `/v${version}/volumes/prune`);
    assert.deepEqual(JSON.parse(r.body), { VolumesDeleted: null, SpaceReclaimed: 0 });
    assert.deepEqual(calls.pop(), ["prune", filters], version);
  }
});
