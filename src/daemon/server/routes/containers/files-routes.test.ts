import { test } from "node:test";
import assert from "node:assert/strict";
import { request } from "node:http";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { createServer } from "../../server.js";
import { EventBus } from "../../../../services/events/event-bus.js";
import { invalidArgument, notFound } from "../../../../shared/errors.js";
import type { ContainerPathStat } from "../../../../api/container-files.js";
import type { ContainerFilesBackend, DiskBackend } from "./files-routes.js";

const STAT: ContainerPathStat = { name: "etc", size: 4096, mode: 2 ** 31 + 0o755, mtime: "2024-01-01T00:00:00Z", linkTarget: "" };

function call(sock: string, method: string, path: string, body?: string): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath: sock, method, path }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString() }));
    });
    req.on("error", reject);
    req.end(body);
  });
}

test("file and disk routes: stat header, archive streams, commit and prune parameters, errors", async (t) => {
  const calls: unknown[][] = [];
  const files: ContainerFilesBackend = {
    statPath: async (ref, path) => {
      if (path === "/missing") throw notFound(`Could not find the file ${path} in container ${ref}`);
      calls.push(["stat", ref, path]);
      return STAT;
    },
    getArchive: async (ref, path) => {
      if (path === "/missing") throw notFound(`Could not find the file ${path} in container ${ref}`);
      calls.push(["get", ref, path]);
      return { stat: STAT, stream: Readable.from([Buffer.from("TAR")]) };
    },
    putArchive: async (ref, path, input, o) => {
      let body = "";
      for await (const c of input) body += (c as Buffer).toString();
      calls.push(["put", ref, path, body, o]);
    },
    export: async (ref) => { calls.push(["export", ref]); return Readable.from([Buffer.from("ROOTFS")]); },
    changes: async (ref) => (ref === "clean" ? [] : [{ Path: "/a", Kind: 1 }]),
    commit: async (ref, o) => { calls.push(["commit", ref, o]); return "sha256:abc"; },
  };
  const disk: DiskBackend = {
    pruneContainers: async (f) => { calls.push(["pruneContainers", f]); return { ContainersDeleted: null, SpaceReclaimed: 0 }; },
    pruneImages: async (f) => {
      if (f.bad !== undefined) throw invalidArgument("invalid filter 'bad'");
      calls.push(["pruneImages", f]);
      return { ImagesDeleted: [{ Deleted: "sha256:x" }], SpaceReclaimed: 5 };
    },
    diskUsage: async (types) => { calls.push(["df", types]); return { LayersSize: 1, Images: [], Containers: [], Volumes: [], BuildCache: [] }; },
  };
  const dir = await mkdtemp(join(tmpdir(), "berth-files-routes-"));
  const sock = join(dir, "s.sock");
  const server = createServer({ system: {} as never, images: {} as never, events: new EventBus(), containerFiles: files, disk });
  await server.listen(`unix://${sock}`);
  t.after(async () => {
    await server.close();
    await rm(dir, { recursive: true, force: true });
  });

  const head = await call(sock, "HEAD", "/v1.50/containers/c1/archive?path=%2Fetc");
  assert.equal(head.status, 200);
  assert.deepEqual(JSON.parse(Buffer.from(String(head.headers["x-docker-container-path-stat"]), "base64").toString()),
    { name: "etc", size: 4096, mode: 2147484141, mtime: "2024-01-01T00:00:00Z", linkTarget: "" });
  assert.equal((await call(sock, "HEAD", "/containers/c1/archive?path=/missing")).status, 404);
  const missing = await call(sock, "GET", "/containers/c1/archive?path=/missing");
  assert.deepEqual([missing.status, JSON.parse(missing.body)], [404, { message: "Could not find the file /missing in container c1" }]);
  const noPath = await call(sock, "GET", "/containers/c1/archive");
  assert.deepEqual([noPath.status, JSON.parse(noPath.body)], [400, { message: "bad parameter: 'path' cannot be empty" }]);
  const get = await call(sock, "GET", "/containers/c1/archive?path=/etc");
  assert.deepEqual([get.status, get.headers["content-type"], get.body], [200, "application/x-tar", "TAR"]);
  const put = await call(sock, "PUT", "/containers/c1/archive?path=/tmp&noOverwriteDirNonDir=1&copyUIDGID=true", "DATA");
  assert.equal(put.status, 200);
  assert.deepEqual(calls.find((c) => c[0] === "put"), ["put", "c1", "/tmp", "DATA", { noOverwriteDirNonDir: true, copyUIDGID: true }]);
  assert.equal((await call(sock, "GET", "/containers/c1/export")).body, "ROOTFS");
  assert.equal((await call(sock, "GET", "/containers/c1/changes")).body, '[{"Path":"/a","Kind":1}]\n');
  assert.equal((await call(sock, "GET", "/containers/clean/changes")).body, "null\n");

  const commit = await call(sock, "POST", "/commit?container=c1&repo=r&tag=t&comment=m&author=a&changes=ENV%20A%3D1&changes=CMD%20x", '{"User":"nobody"}');
  assert.deepEqual([commit.status, JSON.parse(commit.body)], [201, { Id: "sha256:abc" }]);
  assert.deepEqual(calls.find((c) => c[0] === "commit"), ["commit", "c1", {
    repo: "r", tag: "t", comment: "m", author: "a", pause: true, changes: ["ENV A=1", "CMD x"], config: { User: "nobody" },
  }]);
  await call(sock, "POST", "/commit?container=c2&pause=0");
  assert.equal((calls.find((c) => c[0] === "commit" && c[1] === "c2")?.[2] as { pause: boolean }).pause, false);
  assert.equal((await call(sock, "POST", "/commit?repo=x")).status, 400);
  assert.equal((await call(sock, "POST", "/commit?container=c1", "[1]")).status, 400);

  const pi = await call(sock, "POST", `/images/prune?filters=${encodeURIComponent('{"dangling":{"false":true},"label":["a=b"]}')}`);
  assert.deepEqual(JSON.parse(pi.body), { ImagesDeleted: [{ Deleted: "sha256:x" }], SpaceReclaimed: 5 });
  assert.deepEqual(calls.find((c) => c[0] === "pruneImages"), ["pruneImages", { dangling: ["false"], label: ["a=b"] }]);
  const badPrune = await call(sock, "POST", `/images/prune?filters=${encodeURIComponent('{"bad":["1"]}')}`);
  assert.deepEqual([badPrune.status, JSON.parse(badPrune.body)], [400, { message: "invalid filter 'bad'" }]);
  assert.equal((await call(sock, "POST", "/containers/prune")).status, 200);
  assert.deepEqual(JSON.parse((await call(sock, "POST", "/build/prune")).body), { CachesDeleted: null, SpaceReclaimed: 0 });
  await call(sock, "GET", "/system/df?type=image&type=container");
  assert.deepEqual(calls.find((c) => c[0] === "df"), ["df", ["image", "container"]]);
});
