import { test } from "node:test";
import assert from "node:assert/strict";
import { MEDIA_TYPES, parseManifest } from "./manifest.js";
import { parseAddr } from "./serve.js";
import { RegistryError } from "./errors.js";
import { digest, pushBlob, startTestRegistry } from "./testing.js";

const d1 = `sha256:${"1".repeat(64)}`;
const d2 = `sha256:${"2".repeat(64)}`;

test("parseManifest takes the media type from Content-Type, the body, or the body's shape", () => {
  const noType = Buffer.from(JSON.stringify({ schemaVersion: 2, config: { mediaType: "c", digest: d1, size: 1 }, layers: [] }));
  assert.equal(parseManifest(noType).mediaType, MEDIA_TYPES.ociManifest);
  assert.equal(parseManifest(noType, "application/json").mediaType, MEDIA_TYPES.ociManifest);
  assert.equal(parseManifest(noType).artifactType, "c", "an image manifest's artifact type is its config's media type");
  const idx = Buffer.from(JSON.stringify({ schemaVersion: 2, manifests: [{ mediaType: MEDIA_TYPES.ociManifest, digest: d1, size: 2 }] }));
  const p = parseManifest(idx, `${MEDIA_TYPES.ociIndex}; charset=utf-8`);
  assert.equal(p.isIndex, true);
  assert.deepEqual(p.children.map((c) => c.digest.digest), [d1]);
  const withSubject = Buffer.from(JSON.stringify({
    schemaVersion: 2, mediaType: MEDIA_TYPES.ociManifest, artifactType: "x/y",
    config: { mediaType: "c", digest: d1, size: 1 }, layers: [{ mediaType: "l", digest: d2, size: 3, urls: ["http://example.invalid/l"] }],
    subject: { mediaType: MEDIA_TYPES.ociManifest, digest: d2, size: 9 },
  }));
  const s = parseManifest(withSubject, MEDIA_TYPES.ociManifest);
  assert.equal(s.subject?.digest.digest, d2);
  assert.equal(s.artifactType, "x/y");
  assert.deepEqual(s.blobs[1]?.urls, ["http://example.invalid/l"]);
  for (const bad of [
    { schemaVersion: 2, mediaType: MEDIA_TYPES.ociManifest, config: { mediaType: "c", digest: d1, size: -1 } },
    { schemaVersion: 2, mediaType: MEDIA_TYPES.ociManifest, config: { mediaType: "c", digest: d1, size: 1 }, layers: {} },
    { schemaVersion: 2, mediaType: MEDIA_TYPES.ociIndex, manifests: [{ mediaType: "m", digest: "sha256:short", size: 1 }] },
    { schemaVersion: 2, mediaType: MEDIA_TYPES.ociIndex, manifests: [], annotations: { a: 1 } },
    [],
  ]) {
    assert.throws(() => parseManifest(Buffer.from(JSON.stringify(bad))), (e: unknown) => e instanceof RegistryError && e.code === "MANIFEST_INVALID", JSON.stringify(bad));
  }
});

test("a foreign layer (with urls) need not be pushed for its manifest to be accepted", async (t) => {
  const r = await startTestRegistry();
  t.after(() => r.cleanup());
  const config = "{}";
  await pushBlob(r.base, "foreign", config);
  const body = Buffer.from(JSON.stringify({
    schemaVersion: 2, mediaType: MEDIA_TYPES.dockerManifest,
    config: { mediaType: "application/vnd.docker.container.image.v1+json", digest: digest(config), size: 2 },
    layers: [{ mediaType: "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip", digest: d1, size: 10, urls: ["https://example.invalid/x"] }],
  }));
  const res = await fetch(`${r.base}/v2/foreign/manifests/win`, { method: "PUT", body, headers: { "Content-Type": MEDIA_TYPES.dockerManifest } });
  assert.equal(res.status, 201);
});

test("parseAddr splits host:port, IPv6 in brackets, and rejects the rest", () => {
  assert.deepEqual(parseAddr("127.0.0.1:5000"), { host: "127.0.0.1", port: 5000 });
  assert.deepEqual(parseAddr("[::1]:0"), { host: "::1", port: 0 });
  assert.deepEqual(parseAddr(":5000"), { host: "0.0.0.0", port: 5000 });
  for (const bad of ["5000", "host:", "host:99999", "host:x"]) assert.throws(() => parseAddr(bad), /parse address/, bad);
});
