import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import tar from "tar-stream";
import { FakeHost } from "../../kernel/fake-host.js";
import { ContentStore } from "../../store/content/content-store.js";
import { OverlayStore } from "../../store/snapshots/overlay-store.js";
import { makeTar } from "../../store/snapshots/tar-fixture.js";
import { EventBus } from "../events/event-bus.js";
import { ImageService, type ImageUsers } from "./image-service.js";

type T = { after: (fn: () => Promise<void>) => void };

async function service(t: T, usedBy?: ImageUsers) {
  const root = await mkdtemp(join(tmpdir(), "berth-images-"));
  t.after(() => rm(root, { recursive: true, force: true }));
  const events = new EventBus();
  const layers = await OverlayStore.open(join(root, "overlay"), new FakeHost());
  const content = await ContentStore.open(join(root, "content"));
  let clock = Date.parse("2024-01-01T00:00:00Z");
  const images = await ImageService.open({
    content, layers, events, recordsDir: join(root, "images"), tmpDir: join(root, "tmp"),
    ...(usedBy !== undefined ? { usedBy } : {}),
    now: () => (clock += 1000),
  });
  return { root, events, layers, content, images };
}

async function collect(s: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of s) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

async function rootfs(data = "hello"): Promise<Readable> {
  return Readable.from([await makeTar([{ name: "bin/", type: "directory" }, { name: "bin/hello", data, mode: 0o755 }])]);
}

test("ImageService.importImage() creates a one-layer image with changes, visible in list/inspect/history", async (t) => {
  const { images, events } = await service(t);
  const seen: string[] = [];
  const sub = events.subscribe();
  (async () => { for await (const e of sub) seen.push(`${e.message.Action}:${e.message.Actor.Attributes.name ?? ""}`); })();
  const id = await images.importImage(await rootfs(), { repo: "me/app", tag: "v1", changes: ["CMD [\"/bin/hello\"]", "ENV A=1"], message: "first" });
  assert.match(id, /^sha256:[a-f0-9]{64}$/);
  const [summary] = await images.list();
  assert.equal(summary?.Id, id);
  assert.deepEqual(summary?.RepoTags, ["me/app:v1"]);
  assert.equal(summary?.Size, 5);
  const ins = await images.inspect("me/app:v1");
  assert.deepEqual(ins.Config, { Cmd: ["/bin/hello"], Env: ["A=1"] });
  assert.equal(ins.Comment, "first");
  assert.equal(ins.RootFS.Layers.length, 1);
  assert.equal(ins.Os, "linux");
  assert.equal(ins.GraphDriver.Name, "overlay2");
  assert.equal((await images.inspect(id.slice(7, 19))).Id, id);
  const hist = await images.history("docker.io/me/app:v1");
  assert.deepEqual(hist.map((h) => [h.Id, h.Size, h.Comment, h.Tags]), [[id, 5, "first", ["me/app:v1"]]]);
  await new Promise((r) => setImmediate(r));
  sub.close();
  assert.deepEqual(seen, ["import:", "tag:me/app:v1"]);
});

test("ImageService.open() on an existing root sees the same images and tags", async (t) => {
  const a = await service(t);
  const id = await a.images.importImage(await rootfs(), { repo: "keep", tag: "1" });
  const again = await ImageService.open({
    content: a.content, layers: a.layers, events: a.events, recordsDir: join(a.root, "images"), tmpDir: join(a.root, "tmp"),
  });
  assert.equal((await again.inspect("keep:1")).Id, id);
  assert.equal(again.count(), 1);
  assert.equal((await a.layers.list()).length, 1);
});

test("ImageService.resolve() errors use Docker's texts and kinds", async (t) => {
  const { images } = await service(t);
  assert.throws(() => images.resolve("nope"), (e: Error & { kind?: string }) => e.message === "No such image: nope:latest" && e.kind === "not-found");
  assert.throws(() => images.resolve("Bad:Ref"), (e: Error & { kind?: string }) => e.kind === "invalid-argument");
});

test("ImageService.tag() and remove(): untag while other tags remain, then delete layers and blobs", async (t) => {
  const { images, layers, content } = await service(t);
  const id = await images.importImage(await rootfs(), { repo: "a" });
  await images.tag("a", "b", "1");
  await images.tag(id, "localhost:5000/c:2", undefined);
  assert.deepEqual((await images.inspect(id)).RepoTags.sort(), ["a:latest", "b:1", "localhost:5000/c:2"]);
  await assert.rejects(images.tag("a", "b", "bad tag!"), /invalid tag format/);
  await assert.rejects(images.remove(id.slice(7, 19)), (e: Error & { kind?: string }) => e.kind === "conflict" && /referenced in multiple repositories/.test(e.message));
  assert.deepEqual(await images.remove("b:1"), [{ Untagged: "b:1" }]);
  assert.deepEqual(await images.remove("localhost:5000/c:2"), [{ Untagged: "localhost:5000/c:2" }]);
  const res = await images.remove("a");
  assert.deepEqual(res.slice(0, 2), [{ Untagged: "a:latest" }, { Deleted: id }]);
  assert.equal(res.length, 3);
  assert.deepEqual(await images.list(), []);
  assert.deepEqual(await layers.list(), []);
  assert.deepEqual(await content.list(), []);
});

test("ImageService.remove() by id with force untags every reference", async (t) => {
  const { images } = await service(t);
  const id = await images.importImage(await rootfs(), { repo: "a" });
  await images.tag("a", "b", undefined);
  const res = await images.remove(id, { force: true });
  assert.deepEqual(res.slice(0, 3), [{ Untagged: "a:latest" }, { Untagged: "b:latest" }, { Deleted: id }]);
});

test("ImageService.remove() refuses images used by containers as Docker does", async (t) => {
  let user: { id: string; running: boolean } | undefined = { id: "c0ffee0000001111", running: true };
  const { images } = await service(t, () => user);
  const id = await images.importImage(await rootfs(), { repo: "a" });
  await assert.rejects(images.remove("a"), /unable to remove repository reference "a" \(must force\) - container c0ffee000000 is using its referenced image/);
  await assert.rejects(images.remove(id, { force: true }), /\(cannot be forced\) - image is being used by running container c0ffee000000/);
  user = { id: "c0ffee0000001111", running: false };
  // Untagging an image a stopped container uses leaves it as an untagged image.
  assert.deepEqual(await images.remove("a"), [{ Untagged: "a:latest" }]);
  assert.equal((await images.list())[0]?.Id, id);
  await assert.rejects(images.remove(id), /\(must be forced\) - image is being used by stopped container/);
  assert.deepEqual((await images.remove(id, { force: true }))[0], { Deleted: id });
});

test("ImageService.save() then load() round-trips the image and its tags", async (t) => {
  const a = await service(t);
  const id = await a.images.importImage(await rootfs(), { repo: "me/app", tag: "v1" });
  const archive = await collect(await a.images.save(["me/app:v1"]));
  const names: string[] = [];
  const ex = tar.extract();
  const reading = (async () => { for await (const e of ex) { names.push(e.header.name); e.resume(); } })();
  Readable.from([archive]).pipe(ex);
  await reading;
  assert.ok(names.includes("manifest.json") && names.includes("index.json") && names.includes("oci-layout") && names.includes("repositories"));
  const b = await service(t);
  assert.deepEqual(await b.images.load(Readable.from([archive])), ["Loaded image: me/app:v1"]);
  await a.images.tag(id, "other", "2");
  const both = await collect(await a.images.save(["me/app:v1", id, "other:2", "me/app:v1"]));
  const c = await service(t);
  assert.deepEqual(await c.images.load(Readable.from([both])), ["Loaded image: me/app:v1", "Loaded image: other:2"]);
  assert.equal((await b.images.inspect("me/app:v1")).Id, id);
  assert.deepEqual(await b.images.load(Readable.from([archive])), ["Loaded image: me/app:v1"]);
  assert.deepEqual(await readdir(join(b.root, "tmp")), []);
});

async function dropEntry(archive: Buffer, drop: string): Promise<Buffer> {
  const ex = tar.extract();
  const pack = tar.pack();
  const out = collect(pack as unknown as Readable);
  const copying = (async () => {
    for await (const e of ex) {
      const body = await collect(e as unknown as Readable);
      if (e.header.name !== drop) await new Promise<void>((res, rej) => pack.entry(e.header, body, (err) => (err ? rej(err) : res())));
    }
    pack.finalize();
  })();
  Readable.from([archive]).pipe(ex);
  await copying;
  return out;
}

test("ImageService.load() reads an OCI layout without manifest.json", async (t) => {
  const a = await service(t);
  const id = await a.images.importImage(await rootfs(), { repo: "oci/img", tag: "1" });
  const oci = await dropEntry(await collect(await a.images.save(["oci/img:1"])), "manifest.json");
  const b = await service(t);
  assert.deepEqual(await b.images.load(Readable.from([oci])), ["Loaded image: oci/img:1"]);
  assert.equal((await b.images.inspect("oci/img:1")).Id, id);
});

test("ImageService.load() rejects hostile and broken archives and leaves nothing behind", async (t) => {
  const { images, layers, content, root } = await service(t);
  const evilLayer = await makeTar([{ name: "../../escape", data: "x" }]);
  const { createHash } = await import("node:crypto");
  const diff = `sha256:${createHash("sha256").update(evilLayer).digest("hex")}`;
  const config = JSON.stringify({ architecture: "amd64", os: "linux", rootfs: { type: "layers", diff_ids: [diff] } });
  const evil = await makeTar([
    { name: "manifest.json", data: JSON.stringify([{ Config: "c.json", RepoTags: ["evil:latest"], Layers: ["l/layer.tar"] }]) },
    { name: "c.json", data: config },
    { name: "l/layer.tar", data: evilLayer },
  ]);
  const cases: Array<[Buffer, RegExp]> = [
    [evil, /escapes the layer root/],
    [await makeTar([{ name: "../manifest.json", data: "[]" }]), /escapes the layer root/],
    [await makeTar([{ name: "manifest.json", data: "{not json" }]), /manifest.json is not valid JSON/],
    [await makeTar([{ name: "x", data: "1" }]), /neither manifest.json nor index.json/],
    [Buffer.from("this is not a tar archive at all, just text padding".repeat(20)), /invalid tar archive/],
  ];
  for (const [buf, re] of cases) {
    await assert.rejects(images.load(Readable.from([buf])), (e: Error & { kind?: string }) => {
      assert.match(e.message, re);
      assert.equal(e.kind, "invalid-argument");
      return true;
    });
  }
  assert.deepEqual(await images.list(), []);
  assert.deepEqual(await layers.list(), []);
  assert.deepEqual(await readdir(join(root, "tmp")), []);
  assert.deepEqual(await content.list(), []);
  await assert.rejects(images.importImage(Readable.from([await makeTar([{ name: "/abs", data: "x" }])])), /is absolute/);
  assert.deepEqual(await content.list(), []);
  assert.deepEqual(await layers.list(), []);
});

test("ImageService.list() filters by dangling and reference, and rejects unknown filters", async (t) => {
  const { images } = await service(t);
  await images.importImage(await rootfs("1"), { repo: "web/app", tag: "1" });
  const dangling = await images.importImage(await rootfs("2"));
  assert.deepEqual((await images.list({ filters: { dangling: ["true"] } })).map((i) => i.Id), [dangling]);
  assert.deepEqual((await images.list({ filters: { reference: ["web/*"] } })).map((i) => i.RepoTags), [["web/app:1"]]);
  await assert.rejects(images.list({ filters: { bogus: ["x"] } }), /invalid filter 'bogus'/);
  // The test clock starts at 2024-01-01T00:00:00Z and ticks a second per call.
  assert.equal((await images.list({ filters: { until: ["2023-12-31T00:00:00Z"] } })).length, 0);
  assert.equal((await images.list({ filters: { until: [String(Date.parse("2025-01-01T00:00:00Z") / 1000)] } })).length, 2);
  assert.equal((await images.list({ filters: { until: ["1h"] } })).length, 0);
  await assert.rejects(images.list({ filters: { until: ["someday"] } }), /invalid filter 'until=someday'/);
});

test("ImageService.load() reads the legacy docker save layout with symlinked layer.tar files", async (t) => {
  const { images } = await service(t);
  const { createHash } = await import("node:crypto");
  const layer = await makeTar([{ name: "hello", data: "hi" }]);
  const diff = `sha256:${createHash("sha256").update(layer).digest("hex")}`;
  const config = JSON.stringify({ architecture: "amd64", os: "linux", config: { Cmd: ["sh"] }, rootfs: { type: "layers", diff_ids: [diff, diff] }, history: [{ created_by: "a" }, { created_by: "b" }] });
  const configHex = createHash("sha256").update(config).digest("hex");
  const archive = await makeTar([
    { name: "aaa/", type: "directory" },
    { name: "aaa/VERSION", data: "1.0" },
    { name: "aaa/layer.tar", data: layer },
    { name: "bbb/", type: "directory" },
    { name: "bbb/layer.tar", type: "symlink", linkname: "../aaa/layer.tar" },
    { name: `${configHex}.json`, data: config },
    { name: "manifest.json", data: JSON.stringify([{ Config: `${configHex}.json`, RepoTags: ["legacy:1"], Layers: ["aaa/layer.tar", "bbb/layer.tar"] }]) },
    { name: "repositories", data: JSON.stringify({ legacy: { 1: "bbb" } }) },
  ]);
  assert.deepEqual(await images.load(Readable.from([archive])), ["Loaded image: legacy:1"]);
  const ins = await images.inspect("legacy:1");
  assert.equal(ins.Id, `sha256:${configHex}`);
  assert.deepEqual(ins.RootFS.Layers, [diff, diff]);
  assert.deepEqual((await images.history("legacy:1")).map((h) => h.CreatedBy), ["b", "a"]);
});
