import { test } from "node:test";
import assert from "node:assert/strict";
import { request } from "node:http";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { conflict, invalidArgument, notFound } from "../../shared/errors.js";
import type { ImageSummary } from "../../api/images.js";
import { EventBus } from "../../services/events/event-bus.js";
import { createServer, parseHost, type Backends } from "./server.js";
import { parseTimestamp, readJsonBody } from "./http-util.js";

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function call(socketPath: string, method: string, path: string, body?: string | Buffer): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, method, path }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString() }));
    });
    req.on("error", reject);
    req.end(body);
  });
}

interface Recorded { calls: unknown[][] }

function fakeBackends(): Backends & Recorded & { bus: EventBus } {
  const calls: unknown[][] = [];
  const bus = new EventBus();
  const summary: ImageSummary = { Id: "sha256:1", ParentId: "", RepoTags: ["a:latest"], RepoDigests: [], Created: 1, Size: 2, SharedSize: -1, Labels: {}, Containers: -1 };
  return {
    calls,
    bus,
    events: bus,
    system: {
      version: async () => ({ Version: "0.1.0", ApiVersion: "1.50" } as never),
      info: async () => ({ Images: 3 } as never),
    },
    images: {
      list: async (o) => { calls.push(["list", o]); return [summary]; },
      inspect: async (n) => {
        calls.push(["inspect", n]);
        if (n === "missing") throw notFound("No such image: missing:latest");
        if (n === "boom") throw new Error("secret internal detail");
        return { Id: "sha256:1", Size: 5 } as never;
      },
      history: async (n) => { calls.push(["history", n]); return []; },
      tag: async (s, r, t) => { calls.push(["tag", s, r, t]); },
      remove: async (n, o) => {
        calls.push(["remove", n, o]);
        if (n === "used") throw conflict("conflict: unable to delete 1 (must be forced)");
        return [{ Untagged: "a:latest" }, { Deleted: "sha256:1" }];
      },
      importImage: async (input, o) => {
        let size = 0;
        for await (const c of input) size += (c as Buffer).length;
        calls.push(["import", size, o]);
        return "sha256:abc";
      },
      load: async (input) => {
        let size = 0;
        for await (const c of input) size += (c as Buffer).length;
        if (size === 0) throw invalidArgument("load images: archive is empty");
        return ["Loaded image: busybox:latest"];
      },
      save: async (names) => { calls.push(["save", names]); return Readable.from([Buffer.from("TARBYTES")]); },
    },
  };
}

async function serve(t: { after: (fn: () => Promise<void>) => void }) {
  const d = await mkdtemp(join(tmpdir(), "berth-api-"));
  const b = fakeBackends();
  const server = createServer(b);
  const sock = join(d, "api.sock");
  await server.listen(`unix://${sock}`);
  t.after(async () => {
    await server.close();
    await rm(d, { recursive: true, force: true });
  });
  return { sock, b };
}

test("GET and HEAD /_ping carry dockerd's negotiation headers", async (t) => {
  const { sock } = await serve(t);
  for (const method of ["GET", "HEAD"]) {
    const r = await call(sock, method, "/_ping");
    assert.equal(r.status, 200);
    assert.equal(r.body, method === "GET" ? "OK" : "");
    assert.equal(r.headers["api-version"], "1.50");
    assert.equal(r.headers.ostype, "linux");
    assert.equal(r.headers["docker-experimental"], "false");
    assert.equal(r.headers["cache-control"], "no-cache, no-store, must-revalidate");
    assert.equal(r.headers.pragma, "no-cache");
    assert.ok(r.headers["builder-version"] !== undefined);
  }
});

const versions: Array<[string, number, string | undefined]> = [
  ["/version", 200, undefined],
  ["/v1.24/version", 200, undefined],
  ["/v1.41/version", 200, undefined],
  ["/v1.50/version", 200, undefined],
  ["/v1.51/version", 400, "client version 1.51 is too new. Maximum supported API version is 1.50"],
  ["/v1.23/version", 400, "client version 1.23 is too old. Minimum supported API version is 1.24, please upgrade your client to a newer version"],
  ["/v1.12/_ping", 400, "client version 1.12 is too old. Minimum supported API version is 1.24, please upgrade your client to a newer version"],
];
test("API version negotiation follows dockerd's range and texts", async (t) => {
  const { sock } = await serve(t);
  for (const [path, status, message] of versions) {
    const r = await call(sock, "GET", path);
    assert.equal(r.status, status, path);
    if (message !== undefined) assert.deepEqual(JSON.parse(r.body), { message }, path);
  }
});

test("unknown endpoints and methods get 404 page not found", async (t) => {
  const { sock } = await serve(t);
  for (const [m, p] of [["GET", "/nope"], ["GET", "/v1.50/containers/x/nonsense"], ["PUT", "/images/json"]] as const) {
    const r = await call(sock, m, p);
    assert.equal(r.status, 404);
    assert.deepEqual(JSON.parse(r.body), { message: "page not found" });
  }
});

test("errors map to Docker statuses with {message} bodies; 500s hide internals", async (t) => {
  const { sock } = await serve(t);
  const nf = await call(sock, "GET", "/v1.50/images/missing/json");
  assert.equal(nf.status, 404);
  assert.deepEqual(JSON.parse(nf.body), { message: "No such image: missing:latest" });
  assert.equal(nf.headers["content-type"], "application/json");
  const c = await call(sock, "DELETE", "/images/used");
  assert.equal(c.status, 409);
  const boom = await call(sock, "GET", "/images/boom/json");
  assert.equal(boom.status, 500);
  assert.deepEqual(JSON.parse(boom.body), { message: "internal server error" });
  const badFilter = await call(sock, "GET", "/images/json?filters=%7Bnot-json");
  assert.equal(badFilter.status, 400);
  assert.match(JSON.parse(badFilter.body).message, /^invalid filter/);
});

test("image routes pass parameters through and encode Docker's responses", async (t) => {
  const { sock, b } = await serve(t);
  const list = await call(sock, "GET", "/v1.50/images/json?all=1&digests=true&filters=%7B%22dangling%22%3A%7B%22true%22%3Atrue%7D%7D");
  assert.equal(list.status, 200);
  assert.equal(JSON.parse(list.body)[0].Id, "sha256:1");
  assert.deepEqual(b.calls.at(-1), ["list", { all: true, filters: { dangling: ["true"] }, digests: true }]);
  const ins = await call(sock, "GET", "/images/localhost:5000/my/app:v1/json");
  assert.equal(ins.status, 200);
  assert.deepEqual(b.calls.at(-1), ["inspect", "localhost:5000/my/app:v1"]);
  const tag = await call(sock, "POST", "/v1.50/images/busybox/tag?repo=me%2Fbb&tag=2");
  assert.equal(tag.status, 201);
  assert.deepEqual(b.calls.at(-1), ["tag", "busybox", "me/bb", "2"]);
  const del = await call(sock, "DELETE", "/images/a?force=1&noprune=0");
  assert.deepEqual(JSON.parse(del.body), [{ Untagged: "a:latest" }, { Deleted: "sha256:1" }]);
  assert.deepEqual(b.calls.at(-1), ["remove", "a", { force: true, noprune: false }]);
  const imp = await call(sock, "POST", "/images/create?fromSrc=-&repo=x&tag=1&changes=CMD%20sh&changes=ENV%20A%3D1&message=m", Buffer.alloc(100));
  assert.equal(imp.status, 200);
  assert.deepEqual(JSON.parse(imp.body), { status: "sha256:abc" });
  assert.deepEqual(b.calls.at(-1), ["import", 100, { changes: ["CMD sh", "ENV A=1"], source: "-", repo: "x", tag: "1", message: "m" }]);
  const pull = await call(sock, "POST", "/images/create?fromImage=alpine&tag=latest");
  assert.equal(pull.status, 501);
  const load = await call(sock, "POST", "/images/load?quiet=1", Buffer.alloc(10));
  assert.equal(load.status, 200);
  assert.deepEqual(JSON.parse(load.body), { stream: "Loaded image: busybox:latest\n" });
  const emptyLoad = await call(sock, "POST", "/images/load");
  assert.equal(emptyLoad.status, 400);
  const save = await call(sock, "GET", "/images/get?names=a&names=b");
  assert.equal(save.body, "TARBYTES");
  assert.equal(save.headers["content-type"], "application/x-tar");
  assert.deepEqual(b.calls.at(-1), ["save", ["a", "b"]]);
  await call(sock, "GET", "/images/busybox/get");
  assert.deepEqual(b.calls.at(-1), ["save", ["busybox"]]);
});

const sizeFields: Array<[string, boolean]> = [["/v1.24", true], ["/v1.41", true], ["/v1.43", true], ["/v1.44", false], ["/v1.50", false], ["", false]];
test("image inspect carries the legacy Container fields for API versions before 1.45", async (t) => {
  const { sock } = await serve(t);
  for (const [prefix, has] of [["/v1.44", true], ["/v1.45", false]] as const) {
    const ins = JSON.parse((await call(sock, "GET", `${prefix}/images/a/json`)).body) as Record<string, unknown>;
    assert.equal("ContainerConfig" in ins && ins.Container === "", has, prefix);
  }
});
test("image list and inspect carry VirtualSize only for API versions before 1.44", async (t) => {
  const { sock } = await serve(t);
  for (const [prefix, has] of sizeFields) {
    const list = JSON.parse((await call(sock, "GET", `${prefix}/images/json`)).body) as Array<Record<string, unknown>>;
    assert.equal("VirtualSize" in (list[0] ?? {}), has, `${prefix} list`);
    if (has) assert.equal(list[0]?.VirtualSize, list[0]?.Size);
    const ins = JSON.parse((await call(sock, "GET", `${prefix}/images/a/json`)).body) as Record<string, unknown>;
    assert.equal("VirtualSize" in ins, has, `${prefix} inspect`);
  }
});

test("GET /events streams past events for since and stops at until", async (t) => {
  const { sock, b } = await serve(t);
  const start = BigInt(Date.now()) * 1_000_000n;
  b.bus.publish("image", "tag", "sha256:1", { name: "a:latest" });
  b.bus.publish("image", "delete", "sha256:2", {});
  const sinceS = `${start / 1_000_000_000n}`;
  const untilS = `${Math.floor(Date.now() / 1000) + 1}`;
  const filters = encodeURIComponent(JSON.stringify({ event: { tag: true } }));
  const r = await call(sock, "GET", `/events?since=${sinceS}&until=${untilS}&filters=${filters}`);
  assert.equal(r.status, 200);
  const lines = r.body.trim().split("\n").map((l) => JSON.parse(l));
  assert.equal(lines.length, 1);
  assert.equal(lines[0].Action, "tag");
  assert.equal(lines[0].Actor.Attributes.name, "a:latest");
  assert.match(r.body, /"timeNano":\d{19}/);
  const bad = await call(sock, "GET", `/events?filters=${encodeURIComponent('{"bogus":["x"]}')}`);
  assert.equal(bad.status, 400);
});

test("readJsonBody() turns malformed JSON into a 400 kind", async () => {
  await assert.rejects(readJsonBody(Readable.from([Buffer.from("{bad")]) as never), (e: Error & { kind?: string }) => e.kind === "invalid-argument");
  assert.deepEqual(await readJsonBody(Readable.from([Buffer.from('{"a":1}')]) as never), { a: 1 });
});

test("parseTimestamp() reads unix seconds, RFC 3339 and durations; parseHost() validates hosts", () => {
  assert.equal(parseTimestamp("1700000000.5"), 1_700_000_000_500_000_000n);
  assert.equal(parseTimestamp("2024-01-01T00:00:00Z"), 1_704_067_200_000_000_000n);
  assert.equal(parseTimestamp("10m", 1_000_000), BigInt(1_000_000 - 600_000) * 1_000_000n);
  assert.throws(() => parseTimestamp("yesterday"), /invalid timestamp/);
  assert.deepEqual(parseHost("unix:///run/x.sock"), { kind: "unix", path: "/run/x.sock" });
  assert.deepEqual(parseHost("tcp://127.0.0.1:2375"), { kind: "tcp", host: "127.0.0.1", port: 2375 });
  assert.throws(() => parseHost("ftp://x"), /invalid host/);
});

test("createServer().listen() also serves tcp on loopback", async (t) => {
  const server = createServer(fakeBackends());
  t.after(() => server.close());
  const addr = await server.listen("tcp://127.0.0.1:0");
  const m = /^tcp:\/\/127\.0\.0\.1:(\d+)$/.exec(addr);
  assert.ok(m !== null, addr);
  const res = await fetch(`http://127.0.0.1:${m[1]}/v1.50/_ping`);
  assert.equal(res.status, 200);
  assert.equal(await res.text(), "OK");
  assert.equal(res.headers.get("api-version"), "1.50");
});
