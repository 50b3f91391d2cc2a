/**
 * Push an image from one berth data root to `berth registry` (serveRegistry on
 * loopback) and pull it into a fresh data root through the image service; with no
 * auth and with the bearer-token flow.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { htpasswdLine, serveRegistry } from "../../../src/registry/index.js";
import { push, RegistryClient } from "../../../src/distribution/index.js";
import { dataRoot, importImage, recorder } from "./helpers.js";

type T = { after(fn: () => Promise<void>): void };

async function registry(t: T, auth = false): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), "berth-dist-reg-"));
  let htpasswd: string | undefined;
  if (auth) {
    htpasswd = join(root, "htpasswd");
    await writeFile(htpasswd, `${htpasswdLine("alice", "wonderland")}\n`);
  }
  const reg = await serveRegistry({
    addr: "127.0.0.1:0", root: join(root, "data"),
    ...(htpasswd !== undefined ? { htpasswd, tokenRealm: "/token", tokenService: "berth-test" } : {}),
  });
  t.after(async () => {
    reg.server.closeAllConnections();
    await reg.close();
    await rm(root, { recursive: true, force: true });
  });
  return reg.address;
}

test("push to berth registry, then pull into a fresh data root", async (t) => {
  const addr = await registry(t);
  const a = await dataRoot(t);
  const id = await importImage(a, `${addr}/team/app`, "v1", "hello from a\n");
  const pushed = recorder();
  const res = await a.images.push({ name: `${addr}/team/app:v1`, progress: pushed.sink });
  assert.equal(pushed.statuses()[0], `The push refers to repository [${addr}/team/app]`);
  assert.ok(pushed.statuses().includes("Pushed"));
  assert.ok(pushed.statuses().includes(`v1: digest: ${res.digest} size: ${res.size}`));

  const again = recorder();
  await a.images.push({ name: `${addr}/team/app`, tag: "v1", progress: again.sink });
  assert.ok(again.statuses().includes("Layer already exists"));
  assert.ok(!again.statuses().includes("Pushed"));

  const b = await dataRoot(t);
  const pulled = recorder();
  const p = await b.images.pull({ fromImage: `${addr}/team/app`, tag: "v1", progress: pulled.sink });
  assert.equal(p.id, id);
  assert.equal(p.digest, res.digest);
  const s = pulled.statuses();
  assert.equal(s[0], `Pulling from ${addr}/team/app`);
  assert.ok(s.includes("Pull complete"));
  assert.equal(s.at(-2), `Digest: ${res.digest}`);
  assert.equal(s.at(-1), `Status: Downloaded newer image for ${addr}/team/app:v1`);
  const ins = await b.images.inspect(`${addr}/team/app:v1`);
  assert.equal(ins.Id, id);
  assert.deepEqual(ins.RepoTags, [`${addr}/team/app:v1`]);
  assert.deepEqual(ins.RepoDigests, [`${addr}/team/app@${res.digest}`]);
  assert.deepEqual(ins.Config?.Cmd, ["/hello"]);
  const [layer] = await b.layers.list();
  assert.ok(layer !== undefined);
  assert.equal(await readFile(join(b.layers.diffPath(layer.chainId), "hello"), "utf8"), "hello from a\n");

  const up = recorder();
  await b.images.pull({ fromImage: `${addr}/team/app:v1`, progress: up.sink });
  assert.ok(up.statuses().includes("Already exists"));
  assert.equal(up.statuses().at(-1), `Status: Image is up to date for ${addr}/team/app:v1`);

  await assert.rejects(b.images.pull({ fromImage: `${addr}/team/app`, tag: "nope" }), { kind: "not-found" } as object);
  await assert.rejects(b.images.pull({ fromImage: `${addr}/Team/app` }), /invalid reference format/);
  await assert.rejects(a.images.push({ name: `${addr}/team/missing:v1` }), /No such image/);
});

test("the bearer-token flow of berth registry: anonymous refused, credentials work both ways", async (t) => {
  const addr = await registry(t, true);
  const a = await dataRoot(t);
  const id = await importImage(a, `${addr}/secret/app`, "latest", "secret\n");
  await assert.rejects(a.images.push({ name: `${addr}/secret/app` }), { kind: "unauthenticated" } as object);
  await assert.rejects(a.images.push({ name: `${addr}/secret/app`, auth: { username: "alice", password: "bad" } }), { kind: "unauthenticated" } as object);
  const auth = { username: "alice", password: "wonderland" };
  await a.images.push({ name: `${addr}/secret/app`, auth });
  const b = await dataRoot(t);
  await assert.rejects(b.images.pull({ fromImage: `${addr}/secret/app` }), { kind: "unauthenticated" } as object);
  const p = await b.images.pull({ fromImage: `${addr}/secret/app`, auth });
  assert.equal(p.id, id);
});

test("chunked uploads and cross-repository mounts against berth registry", async (t) => {
  const addr = await registry(t);
  const a = await dataRoot(t);
  const id = await importImage(a, `${addr}/src/app`, "v1", "chunky layer content\n".repeat(100));
  const manifestDigest = a.images.manifestOf(id);
  const chunked = new RegistryClient({ domain: addr, chunkSize: 100 });
  const first = await push({ client: chunked, ref: { domain: addr, path: "src/app", tag: "v1" }, content: a.content, manifestDigest });
  assert.equal(first.uploaded.length, 1);
  const layer = first.uploaded[0]!;
  const size = await chunked.blobSize("src/app", layer);
  assert.equal(size, (await a.content.info(layer))?.size);

  const mounted = recorder();
  const second = await push({
    client: new RegistryClient({ domain: addr }), ref: { domain: addr, path: "dst/app", tag: "v1" }, content: a.content, manifestDigest,
    mountFrom: () => "src/app", progress: mounted.sink,
  });
  assert.deepEqual(second.mounted, [layer]);
  assert.deepEqual(second.uploaded, []);
  assert.ok(mounted.statuses().includes("Mounted from src/app"));
  assert.equal(second.digest, first.digest);

  const b = await dataRoot(t);
  assert.equal((await b.images.pull({ fromImage: `${addr}/dst/app:v1` })).id, id);
});

test("Docker Hub names are pulled from a configured mirror (berth registry on loopback)", async (t) => {
  const addr = await registry(t);
  const a = await dataRoot(t);
  const id = await importImage(a, `${addr}/library/mirrored`, "latest", "from the mirror\n");
  await a.images.push({ name: `${addr}/library/mirrored:latest` });
  const b = await dataRoot(t, { mirrors: [`http://${addr}`] });
  const pulled = recorder();
  const p = await b.images.pull({ fromImage: "mirrored", progress: pulled.sink });
  assert.equal(p.id, id);
  assert.equal(pulled.statuses()[0], "Pulling from library/mirrored");
  assert.equal(pulled.statuses().at(-1), "Status: Downloaded newer image for mirrored:latest");
  assert.deepEqual((await b.images.inspect("mirrored")).RepoTags, ["mirrored:latest"]);
});
