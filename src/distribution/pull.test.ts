import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readdir, rm, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ContentStore } from "../store/content/content-store.js";
import { pull, type PullSink, type PulledImage } from "./pull.js";
import { RegistryClient } from "./registry-client.js";
import type { JsonMessage } from "./progress.js";
import { addImage, sha, startFakeRegistry, type FakeRegistry } from "./testing.js";

interface TestSink extends PullSink {
  applied: string[];
  committed: PulledImage[];
}

async function setup(t: { after(fn: () => Promise<void>): void }, reg?: FakeRegistry): Promise<{ reg: FakeRegistry; content: ContentStore; sink: TestSink; root: string }> {
  const r = reg ?? (await startFakeRegistry());
  const root = await mkdtemp(join(tmpdir(), "berth-dist-pull-"));
  t.after(async () => {
    await r.close();
    await rm(root, { recursive: true, force: true });
  });
  const content = await ContentStore.open(root);
  const layers = new Set<string>();
  const sink: TestSink = {
    content,
    applied: [],
    committed: [],
    hasLayer: async (c) => layers.has(c),
    async applyLayer(digest, parent, diffId) {
      // Layers here are uncompressed, so the diff id is the blob digest.
      assert.equal(digest, diffId);
      const chain = parent === undefined ? diffId : sha(`${parent} ${diffId}`);
      layers.add(chain);
      this.applied.push(digest);
    },
    async commitImage(image) {
      this.committed.push(image);
      return { id: image.configDigest, changed: true };
    },
  };
  return { reg: r, content, sink, root };
}

test("pull fetches manifest, config and layers in order and reports docker's progress", async (t) => {
  const { reg, content, sink } = await setup(t);
  const img = addImage(reg, "library/app", "v1", ["layer one", "layer two", "layer three"]);
  const client = new RegistryClient({ domain: reg.domain });
  const msgs: JsonMessage[] = [];
  const res = await pull({ client, ref: { domain: reg.domain, path: "library/app", tag: "v1" }, sink, progress: (m) => msgs.push(m) });
  assert.equal(res.id, img.config);
  assert.equal(res.digest, img.manifest);
  assert.deepEqual(sink.applied, img.layers);
  for (const d of img.layers) assert.equal(await content.has(d), true);
  assert.deepEqual(msgs[0], { status: `Pulling from ${reg.domain}/library/app`, id: "v1" });
  const short = img.layers[0]!.slice(7, 19);
  assert.ok(msgs.some((m) => m.status === "Pulling fs layer" && m.id === short));
  assert.ok(msgs.some((m) => m.status === "Downloading" && m.id === short && m.progressDetail?.total === 9));
  assert.ok(msgs.some((m) => m.status === "Download complete" && m.id === short));
  assert.ok(msgs.some((m) => m.status === "Pull complete" && m.id === short));
  assert.deepEqual(msgs.at(-2), { status: `Digest: ${img.manifest}` });
  assert.deepEqual(msgs.at(-1), { status: `Status: Downloaded newer image for ${reg.domain}/library/app:v1` });
  const accept = reg.log.filter((l) => l.startsWith("GET /v2/library/app/manifests/"));
  assert.equal(accept.length, 1);
});

test("a second pull downloads nothing and says the image is up to date", async (t) => {
  const { reg, sink } = await setup(t);
  addImage(reg, "app", "latest", ["a", "b"]);
  const client = new RegistryClient({ domain: reg.domain });
  await pull({ client, ref: { domain: reg.domain, path: "app" }, sink });
  const before = reg.log.filter((l) => l.includes("/blobs/")).length;
  sink.commitImage = async (image) => ({ id: image.configDigest, changed: false });
  const msgs: JsonMessage[] = [];
  const res = await pull({ client, ref: { domain: reg.domain, path: "app" }, sink, progress: (m) => msgs.push(m) });
  assert.deepEqual(res.downloaded, []);
  assert.equal(reg.log.filter((l) => l.includes("/blobs/")).length, before);
  assert.equal(msgs.filter((m) => m.status === "Already exists").length, 2);
  assert.equal(msgs.at(-1)?.status, `Status: Image is up to date for ${reg.domain}/app:latest`);
});

test("a corrupted blob is rejected and nothing is stored", async (t) => {
  const { reg, content, sink, root } = await setup(t);
  const img = addImage(reg, "app", "latest", ["good layer", "evil layer"]);
  reg.opts.corrupt = new Set([img.layers[1]!]);
  const client = new RegistryClient({ domain: reg.domain });
  await assert.rejects(pull({ client, ref: { domain: reg.domain, path: "app", tag: "latest" }, sink }), /does not match expected/);
  assert.equal(await content.has(img.layers[1]!), false);
  assert.deepEqual(await readdir(join(root, "ingest")), []);
  assert.equal(sink.committed.length, 0);
  assert.ok(!sink.applied.includes(img.layers[1]!));
});

/** Give the test sink a streaming extractor that records what it read. */
function streamingSink(sink: TestSink): Map<string, Buffer> {
  const streamed = new Map<string, Buffer>();
  sink.applyLayerStream = async (blob, parent, diffId) => {
    const chunks: Buffer[] = [];
    for await (const c of blob) chunks.push(c as Buffer);
    streamed.set(diffId, Buffer.concat(chunks));
    await sink.applyLayer(diffId, parent, diffId);
  };
  return streamed;
}

test("a layer whose parent is extracted is extracted from the download itself", async (t) => {
  const { reg, content, sink } = await setup(t);
  const streamed = streamingSink(sink);
  const img = addImage(reg, "app", "latest", ["base layer", "second", "third"]);
  const client = new RegistryClient({ domain: reg.domain });
  await pull({ client, ref: { domain: reg.domain, path: "app" }, sink });
  // The base layer has no parent, so it streams; the others may have started downloading
  // before their parent was in, and come from the content store.
  assert.equal(streamed.get(img.layers[0]!)?.toString(), "base layer");
  assert.deepEqual(sink.applied, img.layers);
  for (const d of img.layers) assert.equal(await content.has(d), true);
  assert.equal(sink.committed.length, 1);
});

test("a corrupted blob extracted while downloading still fails the pull and is not stored", async (t) => {
  const { reg, content, sink } = await setup(t);
  const streamed = streamingSink(sink);
  const img = addImage(reg, "app", "latest", ["evil base"]);
  reg.opts.corrupt = new Set([img.layers[0]!]);
  const client = new RegistryClient({ domain: reg.domain });
  await assert.rejects(pull({ client, ref: { domain: reg.domain, path: "app" }, sink }), /does not match expected/);
  assert.equal(streamed.size, 1);
  assert.equal(await content.has(img.layers[0]!), false);
  assert.equal(sink.committed.length, 0);
});

test("the pull holds its blobs from cleanup until the image is committed, and releases them on failure", async (t) => {
  const { reg, sink } = await setup(t);
  const img = addImage(reg, "app", "latest", ["one", "two"]);
  const events: string[] = [];
  sink.hold = (digests) => {
    events.push(`hold ${digests.length}`);
    assert.deepEqual(digests, [img.config, ...img.layers]);
    return () => events.push("release");
  };
  const commit = sink.commitImage.bind(sink);
  sink.commitImage = async (image) => {
    events.push("commit");
    return commit(image);
  };
  const client = new RegistryClient({ domain: reg.domain });
  await pull({ client, ref: { domain: reg.domain, path: "app" }, sink });
  assert.deepEqual(events, ["hold 3", "commit", "release"]);

  events.length = 0;
  reg.opts.corrupt = new Set([img.layers[1]!]);
  await sink.content.delete(img.layers[1]!);
  sink.hasLayer = async () => false;
  await assert.rejects(pull({ client, ref: { domain: reg.domain, path: "app" }, sink }));
  assert.deepEqual(events, ["hold 3", "release"]);
});

test("a blob whose Content-Length differs from its descriptor is rejected", async (t) => {
  const { reg, content, sink } = await setup(t);
  const img = addImage(reg, "app", "latest", ["only layer"]);
  reg.opts.wrongLength = new Set([img.layers[0]!]);
  const client = new RegistryClient({ domain: reg.domain });
  await assert.rejects(pull({ client, ref: { domain: reg.domain, path: "app" }, sink }), /content length 11 does not match the descriptor size 10/);
  assert.equal(await content.has(img.layers[0]!), false);
  assert.equal(sink.committed.length, 0);
});

test("a manifest over the size limit is refused", async (t) => {
  const { reg, sink } = await setup(t);
  const big = JSON.stringify({ schemaVersion: 2, layers: [], pad: "x".repeat(4 * 1024 * 1024) });
  reg.manifest("app", big, "application/vnd.oci.image.manifest.v1+json", "big");
  const client = new RegistryClient({ domain: reg.domain });
  await assert.rejects(pull({ client, ref: { domain: reg.domain, path: "app", tag: "big" }, sink }), (err: Error & { kind?: string }) => {
    assert.equal(err.kind, "invalid-argument");
    assert.match(err.message, /exceeds the 4194304 byte limit/);
    return true;
  });
});

test("an unknown tag or digest is not-found with the registry's message", async (t) => {
  const { reg, sink } = await setup(t);
  const client = new RegistryClient({ domain: reg.domain });
  await assert.rejects(pull({ client, ref: { domain: reg.domain, path: "app", tag: "nope" }, sink }), (err: Error & { kind?: string }) => {
    assert.equal(err.kind, "not-found");
    assert.match(err.message, /manifest unknown/);
    return true;
  });
  await assert.rejects(pull({ client, ref: { domain: reg.domain, path: "app", digest: `sha256:${"a".repeat(64)}` }, sink }), { kind: "not-found" } as object);
});

test("a manifest fetched by digest must have that digest", async (t) => {
  const { reg, sink } = await setup(t);
  const img = addImage(reg, "app", undefined, ["x"]);
  const wrong = `sha256:${"b".repeat(64)}`;
  reg.manifest("app", img.body, "application/vnd.oci.image.manifest.v1+json", wrong);
  const client = new RegistryClient({ domain: reg.domain });
  await assert.rejects(pull({ client, ref: { domain: reg.domain, path: "app", digest: wrong }, sink }), /content has digest/);
});

test("invalid references are refused before any request", async (t) => {
  const { reg, sink } = await setup(t);
  const client = new RegistryClient({ domain: reg.domain });
  for (const path of ["../etc", "a/../../b", "UPPER", "a//b", "a/.b", ""]) {
    await assert.rejects(pull({ client, ref: { domain: reg.domain, path }, sink }), { kind: "invalid-argument" } as object, path);
  }
  await assert.rejects(pull({ client, ref: { domain: reg.domain, path: "ok", tag: "bad/tag" }, sink }), /invalid reference format/);
  await assert.rejects(pull({ client, ref: { domain: reg.domain, path: "ok", digest: "sha256:abc" }, sink }), /invalid reference format/);
  assert.deepEqual(reg.log, []);
});

test("a multi-platform index resolves to the requested platform", async (t) => {
  const { reg, sink } = await setup(t);
  const amd = addImage(reg, "multi", undefined, ["amd64 layer"], "amd64");
  const arm = addImage(reg, "multi", undefined, ["arm64 layer"], "arm64");
  const index = JSON.stringify({
    schemaVersion: 2,
    mediaType: "application/vnd.oci.image.index.v1+json",
    manifests: [
      { mediaType: "application/vnd.oci.image.manifest.v1+json", digest: amd.manifest, size: amd.body.length, platform: { os: "linux", architecture: "amd64" } },
      { mediaType: "application/vnd.oci.image.manifest.v1+json", digest: arm.manifest, size: arm.body.length, platform: { os: "linux", architecture: "arm64", variant: "v8" } },
      { mediaType: "application/vnd.oci.image.manifest.v1+json", digest: amd.manifest, size: amd.body.length, platform: { os: "unknown", architecture: "unknown" } },
    ],
  });
  const indexDigest = reg.manifest("multi", index, "application/vnd.oci.image.index.v1+json", "latest");
  const client = new RegistryClient({ domain: reg.domain });
  const res = await pull({ client, ref: { domain: reg.domain, path: "multi", tag: "latest" }, sink, platform: { os: "linux", architecture: "arm64", variant: "v8" } });
  assert.equal(res.id, arm.config);
  assert.equal(res.digest, indexDigest);
  assert.equal(sink.committed[0]?.manifestDigest, arm.manifest);
  const res2 = await pull({ client, ref: { domain: reg.domain, path: "multi", tag: "latest" }, sink, platform: { os: "linux", architecture: "amd64" } });
  assert.equal(res2.id, amd.config);
  await assert.rejects(
    pull({ client, ref: { domain: reg.domain, path: "multi", tag: "latest" }, sink, platform: { os: "linux", architecture: "s390x" } }),
    /no matching manifest for linux\/s390x/,
  );
});

test("a pull interrupted halfway resumes without downloading finished layers again", async (t) => {
  const { reg, content, sink } = await setup(t);
  const img = addImage(reg, "big", "latest", ["first layer", "second layer", "third layer that stalls"]);
  reg.opts.stall = new Set([img.layers[2]!]);
  const client = new RegistryClient({ domain: reg.domain });
  const ac = new AbortController();
  let complete = 0;
  const first = pull({
    client, ref: { domain: reg.domain, path: "big" }, sink, signal: ac.signal,
    progress: (m) => {
      if (m.status === "Download complete" && ++complete === 2) setTimeout(() => ac.abort(), 50);
    },
  });
  await assert.rejects(first);
  assert.equal(await content.has(img.layers[0]!), true);
  assert.equal(await content.has(img.layers[1]!), true);
  assert.equal(await content.has(img.layers[2]!), false);
  assert.equal(sink.committed.length, 0);

  reg.opts.stall = new Set();
  reg.log.length = 0;
  const res = await pull({ client, ref: { domain: reg.domain, path: "big" }, sink });
  assert.deepEqual(res.downloaded, [img.layers[2]]);
  const blobGets = reg.log.filter((l) => l.startsWith("GET ") && l.includes("/blobs/"));
  assert.deepEqual(blobGets, [`GET /v2/big/blobs/${img.layers[2]}`]);
  // The half that arrived before the stall was kept and only the rest was asked for.
  const half = Math.floor("third layer that stalls".length / 2);
  assert.deepEqual(reg.ranges, [`/v2/big/blobs/${img.layers[2]} bytes=${half}-`]);
  assert.equal(sink.committed.length, 1);
});

test("kept bytes are fetched whole again from a registry that ignores Range, or when they fail verification", async (t) => {
  const { reg, content, sink, root } = await setup(t);
  const data = "0123456789abcdefghijklmnopqrstuvwxyz";
  const img = addImage(reg, "r", "latest", [data]);
  const d = img.layers[0]!;
  const partial = join(root, "ingest", `sha256-${d.slice(7)}`);
  const client = new RegistryClient({ domain: reg.domain });
  // A registry that ignores Range answers 200 with the whole blob: it replaces the kept bytes.
  await writeFile(partial, data.slice(0, 10));
  reg.opts.noRange = true;
  await pull({ client, ref: { domain: reg.domain, path: "r" }, sink });
  assert.equal((await content.readBuffer(d)).toString(), data);
  assert.deepEqual(reg.ranges, [`/v2/r/blobs/${d} bytes=10-`]);

  // Kept bytes that are wrong (a crash left garbage) fail verification; the download starts over.
  await content.delete(d);
  sink.hasLayer = async () => false;
  await writeFile(partial, "XXXXXXXXXXXX");
  reg.opts.noRange = false;
  reg.ranges.length = 0;
  await pull({ client, ref: { domain: reg.domain, path: "r" }, sink });
  assert.equal((await content.readBuffer(d)).toString(), data);
  assert.deepEqual(reg.ranges, [`/v2/r/blobs/${d} bytes=12-`]);
  assert.deepEqual(await readdir(join(root, "ingest")), []);
});

test("ContentStore.open keeps a day's partial downloads and drops older ones and temp files", async (t) => {
  const { root } = await setup(t);
  const fresh = join(root, "ingest", `sha256-${"a".repeat(64)}`);
  const old = join(root, "ingest", `sha256-${"b".repeat(64)}`);
  await writeFile(fresh, "x");
  await writeFile(old, "y");
  await writeFile(join(root, "ingest", "0123456789abcdef"), "temp");
  const twoDaysAgo = new Date(Date.now() - 2 * 24 * 3600 * 1000);
  await utimes(old, twoDaysAgo, twoDaysAgo);
  const reopened = await ContentStore.open(root);
  assert.deepEqual(await readdir(join(root, "ingest")), [`sha256-${"a".repeat(64)}`]);
  const held = await reopened.resumable({ digest: `sha256:${"a".repeat(64)}`, size: 5 });
  assert.equal(held.offset, 1);
  // A second holder of the same digest waits for the first to close.
  let second = false;
  const next = reopened.resumable({ digest: `sha256:${"a".repeat(64)}`, size: 5 }).then((h) => { second = true; h.close(); });
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(second, false);
  held.close();
  await next;
  assert.equal(second, true);
});

test("layers download concurrently, at most three at a time", async (t) => {
  const { reg, sink } = await setup(t);
  const img = addImage(reg, "wide", "latest", ["l1", "l2", "l3", "l4", "l5"]);
  reg.opts.stall = new Set(img.layers);
  const client = new RegistryClient({ domain: reg.domain });
  const ac = new AbortController();
  const msgs: JsonMessage[] = [];
  const p = pull({ client, ref: { domain: reg.domain, path: "wide" }, sink, signal: ac.signal, progress: (m) => msgs.push(m) });
  const started = (): string[] => reg.log.filter((l) => l.startsWith("GET ") && img.layers.some((d) => l.endsWith(d)));
  // Wait for three (the machine may be slow), then give a fourth the chance to start.
  for (const deadline = Date.now() + 10_000; started().length < 3 && Date.now() < deadline;) await new Promise((r) => setTimeout(r, 20));
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(started().length, 3);
  assert.deepEqual(msgs.filter((m) => m.status === "Waiting").map((m) => m.id), [img.layers[3]!.slice(7, 19), img.layers[4]!.slice(7, 19)]);
  ac.abort();
  await assert.rejects(p);
});

test("blob GETs redirected to storage are followed without registry credentials", async (t) => {
  const { reg, content, sink } = await setup(t, await startFakeRegistry({ auth: "bearer", redirectBlobs: true }));
  const img = addImage(reg, "app", "latest", ["one", "two"]);
  const client = new RegistryClient({ domain: reg.domain, auth: { username: "user", password: "pass" } });
  await pull({ client, ref: { domain: reg.domain, path: "app" }, sink });
  for (const d of img.layers) assert.equal(await content.has(d), true);
  assert.ok(reg.log.includes(`GET /storage/${img.layers[0]}`));
});

test("a blob download that stops arriving fails after the idle timeout, stores nothing and resumes later", async (t) => {
  const { reg, content } = await setup(t);
  const data = "a layer whose registry hangs halfway through";
  const d = reg.blob(data);
  reg.opts.stall = new Set([d]);
  const client = new RegistryClient({ domain: reg.domain, bodyIdleTimeoutMs: 300 });
  const desc = { mediaType: "application/vnd.oci.image.layer.v1.tar", digest: d, size: data.length };
  const t0 = Date.now();
  await assert.rejects(client.fetchBlob("hang", desc, content), (err: Error & { kind?: string }) => {
    assert.equal(err.kind, "unavailable");
    assert.match(err.message, new RegExp(`^fetch blob ${d}: no data from the registry for 0.3 s after ${Math.floor(data.length / 2)} of ${data.length} bytes$`));
    return true;
  });
  const took = Date.now() - t0;
  assert.ok(took >= 300 && took < 5000, `failed after ${took} ms`);
  assert.equal(await content.has(d), false);
  // the registry answers again: the download continues from the kept half
  reg.opts.stall = new Set();
  assert.equal((await client.fetchBlob("hang", desc, content)).digest, d);
  assert.equal((await content.readBuffer(d)).toString(), data);
  assert.deepEqual(reg.ranges, [`/v2/hang/blobs/${d} bytes=${Math.floor(data.length / 2)}-`]);
});

test("a slow consumer does not count as an idle registry", async (t) => {
  const { reg, content } = await setup(t);
  const data = Buffer.alloc(4 << 20, 7);
  const d = reg.blob(data);
  const client = new RegistryClient({ domain: reg.domain, bodyIdleTimeoutMs: 100 });
  const desc = { mediaType: "application/vnd.oci.image.layer.v1.tar", digest: d, size: data.length };
  // the tee'd copy is read only after 400 ms: the body is paused that long with bytes waiting
  const got = await client.fetchBlob("slow", desc, content, undefined, undefined, (copy) => {
    setTimeout(() => copy.resume(), 400);
  });
  assert.equal(got.digest, d);
  assert.equal(await content.has(d), true);
});
