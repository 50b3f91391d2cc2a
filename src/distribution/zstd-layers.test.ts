import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { ContentStore } from "../store/content/content-store.js";
import { OverlayStore } from "../store/snapshots/overlay-store.js";
import { makeTar } from "../store/snapshots/tar-fixture.js";
import { MAX_ZSTD_WINDOW, zstdWindowSize } from "../store/snapshots/decompress.js";
import { overlayLayers } from "./layer-sink.js";
import { pull, type PulledImage } from "./pull.js";
import { RegistryClient } from "./registry-client.js";
import { sha, startFakeRegistry, type FakeRegistry } from "./testing.js";

const ZSTD = "application/vnd.oci.image.layer.v1.tar+zstd";

/** Compress with the zstd CLI (the format real registries carry, not our own encoder). */
function zstd(data: Buffer, ...args: string[]): Buffer {
  return execFileSync("zstd", ["-q", "-c", ...args], { input: data, maxBuffer: 64 << 20 });
}

/**
 * The few host calls extraction makes, as no-ops (distribution/ may not import kernel/;
 * these layers hold no whiteouts or devices).
 */
const host: Parameters<typeof OverlayStore.open>[1] = {
  mknod: async () => undefined,
  mknodMany: async () => undefined,
  setxattr: async () => undefined,
  setxattrMany: async () => undefined,
  findXattrs: async () => new Map(),
  mount: async () => undefined,
  syncfs: async () => undefined,
  umount: async () => undefined,
};

async function setup(t: { after(fn: () => Promise<void>): void }) {
  const reg = await startFakeRegistry();
  const root = await mkdtemp(join(tmpdir(), "berth-dist-zstd-"));
  t.after(async () => {
    await reg.close();
    await rm(root, { recursive: true, force: true });
  });
  const content = await ContentStore.open(join(root, "content"));
  const layers = await OverlayStore.open(join(root, "overlay"), host);
  const committed: PulledImage[] = [];
  const sink = { ...overlayLayers(content, layers), commitImage: async (img: PulledImage) => (committed.push(img), { id: img.configDigest, changed: true }) };
  return { reg, content, layers, sink, committed };
}

/** One image whose layers are given as (blob, uncompressed tar) pairs. */
function addLayers(reg: FakeRegistry, repo: string, layers: Array<{ blob: Buffer; tar: Buffer; mediaType: string }>): void {
  const config = JSON.stringify({ architecture: "amd64", os: "linux", rootfs: { type: "layers", diff_ids: layers.map((l) => sha(l.tar)) } });
  const cd = reg.blob(config);
  reg.manifest(repo, JSON.stringify({
    schemaVersion: 2, mediaType: "application/vnd.oci.image.manifest.v1+json",
    config: { mediaType: "application/vnd.oci.image.config.v1+json", digest: cd, size: Buffer.byteLength(config) },
    layers: layers.map((l) => ({ mediaType: l.mediaType, digest: reg.blob(l.blob), size: l.blob.length })),
  }), "application/vnd.oci.image.manifest.v1+json", "latest");
}

test("zstd layers (OCI and Docker media types, several frames) are extracted and checked against their diff ids", async (t) => {
  const { reg, layers, sink, committed } = await setup(t);
  const big = randomBytes(3 << 20);
  const tar1 = await makeTar([{ name: "etc/", type: "directory" }, { name: "etc/one", data: "first\n" }, { name: "blob.bin", data: big }]);
  const tar2 = await makeTar([{ name: "etc/two", data: "second\n" }]);
  // Two frames back to back, as pzstd and parallel compressors write them.
  const half = tar2.length >> 1;
  const twoFrames = Buffer.concat([zstd(tar2.subarray(0, half)), zstd(tar2.subarray(half), "--no-check")]);
  addLayers(reg, "z", [
    { blob: zstd(tar1, "-19", "--long=24"), tar: tar1, mediaType: ZSTD },
    { blob: twoFrames, tar: tar2, mediaType: "application/vnd.docker.image.rootfs.diff.tar.zstd" },
  ]);
  const res = await pull({ client: new RegistryClient({ domain: reg.domain }), ref: { domain: reg.domain, path: "z" }, sink });
  assert.equal(committed.length, 1);
  assert.equal(res.downloaded.length, 2);
  const chain1 = sha(tar1);
  const chain2 = sha(`${chain1} ${sha(tar2)}`);
  assert.equal(await layers.has(chain2), true);
  assert.equal((await layers.get(chain1))?.diffId, sha(tar1));
  assert.equal(await readFile(join(layers.diffPath(chain1), "etc", "one"), "utf8"), "first\n");
  assert.deepEqual(await readFile(join(layers.diffPath(chain1), "blob.bin")), big);
  assert.equal(await readFile(join(layers.diffPath(chain2), "etc", "two"), "utf8"), "second\n");
});

test("a zstd layer whose content differs from the config's diff id is refused", async (t) => {
  const { reg, layers, sink, committed } = await setup(t);
  const tar = await makeTar([{ name: "a", data: "real" }]);
  const claimed = await makeTar([{ name: "a", data: "claimed" }]);
  addLayers(reg, "lie", [{ blob: zstd(tar), tar: claimed, mediaType: ZSTD }]);
  await assert.rejects(pull({ client: new RegistryClient({ domain: reg.domain }), ref: { domain: reg.domain, path: "lie" }, sink }), /diff ?id|digest/i);
  assert.equal(committed.length, 0);
  assert.deepEqual(await layers.list(), []);
});

test("a truncated or garbled zstd layer fails instead of extracting a short tar", async (t) => {
  const { reg, layers, sink, committed } = await setup(t);
  const tar = await makeTar([{ name: "f", data: randomBytes(300_000) }]);
  const z = zstd(tar);
  // The blob digest matches what is served (a registry holding a cut blob), so only the
  // decoder can notice.
  addLayers(reg, "cut", [{ blob: z.subarray(0, z.length - 100), tar, mediaType: ZSTD }]);
  await assert.rejects(pull({ client: new RegistryClient({ domain: reg.domain }), ref: { domain: reg.domain, path: "cut" }, sink }), /zstd|diff ?id|tar|end/i);
  const garbled = Buffer.from(z);
  garbled.fill(0xee, 20, 60);
  addLayers(reg, "garbled", [{ blob: garbled, tar, mediaType: ZSTD }]);
  await assert.rejects(pull({ client: new RegistryClient({ domain: reg.domain }), ref: { domain: reg.domain, path: "garbled" }, sink }));
  assert.equal(committed.length, 0);
  assert.deepEqual(await layers.list(), []);
});

test("a zstd frame asking for a window over 128 MiB is refused before anything is allocated", async (t) => {
  const { reg, layers, sink, committed } = await setup(t);
  const tar = await makeTar([{ name: "f", data: "small" }]);
  // From stdin the size is unknown, so the frame declares the whole --long window.
  const huge = zstd(tar, "--long=28");
  assert.equal(zstdWindowSize(huge), 2 ** 28);
  addLayers(reg, "huge", [{ blob: huge, tar, mediaType: ZSTD }]);
  await assert.rejects(pull({ client: new RegistryClient({ domain: reg.domain }), ref: { domain: reg.domain, path: "huge" }, sink }),
    new RegExp(`window of ${2 ** 28} bytes exceeds the ${MAX_ZSTD_WINDOW} byte limit`));
  assert.equal(committed.length, 0);
  assert.deepEqual(await layers.list(), []);

  // A file of known size gets a single-segment frame whose window is its size.
  const dir = await mkdtemp(join(tmpdir(), "berth-zstd-ws-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await writeFile(join(dir, "in"), Buffer.alloc(70_000, 7));
  const single = execFileSync("zstd", ["-q", "-c", join(dir, "in")]);
  assert.equal(zstdWindowSize(single), 70_000);
});
