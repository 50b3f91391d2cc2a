import { test } from "node:test";
import assert from "node:assert/strict";
import { endpointsFor, isInsecure } from "./endpoints.js";
import { formatPlatform, parsePlatform, selectManifest } from "./platform.js";
import { progressBar, encodeMessage } from "./progress.js";
import { RegistryClient } from "./registry-client.js";
import { addImage, startFakeRegistry } from "./testing.js";

test("loopback and configured insecure registries use http, others https", () => {
  assert.equal(isInsecure("127.0.0.1:5000"), true);
  assert.equal(isInsecure("127.8.0.1"), true);
  assert.equal(isInsecure("localhost:5000"), true);
  assert.equal(isInsecure("[::1]:5000"), true);
  assert.equal(isInsecure("registry.example:5000"), false);
  assert.equal(isInsecure("10.1.2.3:5000"), false);
  assert.equal(isInsecure("10.1.2.3:5000", { insecureRegistries: ["10.0.0.0/8"] }), true);
  assert.equal(isInsecure("registry.example:5000", { insecureRegistries: ["registry.example:5000"] }), true);
  assert.deepEqual(endpointsFor("registry.example"), [{ base: "https://registry.example", mirror: false }]);
  assert.deepEqual(endpointsFor("localhost:5000"), [{ base: "http://localhost:5000", mirror: false }]);
});

test("docker.io maps to registry-1.docker.io, after its mirrors", () => {
  assert.deepEqual(endpointsFor("docker.io"), [{ base: "https://registry-1.docker.io", mirror: false }]);
  assert.deepEqual(endpointsFor("docker.io", { mirrors: ["http://127.0.0.1:5001/"] }), [
    { base: "http://127.0.0.1:5001", mirror: true },
    { base: "https://registry-1.docker.io", mirror: false },
  ]);
  // Mirrors are only for Docker Hub, as in dockerd.
  assert.deepEqual(endpointsFor("127.0.0.1:5000", { mirrors: ["http://127.0.0.1:5001"] }), [{ base: "http://127.0.0.1:5000", mirror: false }]);
});

test("a mirror that lacks the image falls through to the next endpoint", async (t) => {
  const empty = await startFakeRegistry();
  const full = await startFakeRegistry();
  t.after(async () => {
    await empty.close();
    await full.close();
  });
  addImage(full, "library/busybox", "latest", ["x"]);
  addImage(empty, "library/hello", "latest", ["y"]);
  // Docker Hub itself is never contacted: both "endpoints" are loopback mirrors.
  const c = new RegistryClient({ domain: "docker.io", config: { mirrors: [empty.base, full.base] } });
  const m = await c.getManifest("library/busybox", "latest");
  assert.equal(m.mediaType, "application/vnd.oci.image.manifest.v1+json");
  assert.deepEqual(empty.log, ["GET /v2/library/busybox/manifests/latest"]);
  assert.deepEqual(full.log, ["GET /v2/library/busybox/manifests/latest"]);
});

test("platforms parse and normalise as containerd's", () => {
  assert.deepEqual(parsePlatform("linux/amd64"), { os: "linux", architecture: "amd64" });
  assert.deepEqual(parsePlatform("linux/arm64"), { os: "linux", architecture: "arm64", variant: "v8" });
  assert.deepEqual(parsePlatform("linux/arm/v7"), { os: "linux", architecture: "arm", variant: "v7" });
  assert.deepEqual(parsePlatform("x86_64"), { os: "linux", architecture: "amd64" });
  assert.equal(formatPlatform(parsePlatform("linux/aarch64")), "linux/arm64/v8");
  assert.throws(() => parsePlatform("linux/amd64/v1/extra"), { kind: "invalid-argument" } as object);
  assert.throws(() => parsePlatform("linux/../x"), /invalid platform/);
  const list = [
    { digest: "a", platform: { os: "linux", architecture: "arm", variant: "v6" } },
    { digest: "b", platform: { os: "linux", architecture: "arm", variant: "v7" } },
    { digest: "c", platform: { os: "linux", architecture: "arm64" } },
  ];
  assert.equal(selectManifest(list, parsePlatform("linux/arm/v7")).digest, "b");
  assert.equal(selectManifest(list, parsePlatform("linux/arm64/v8")).digest, "c");
  assert.throws(() => selectManifest(list, parsePlatform("linux/arm/v5")), { kind: "not-found" } as object);
});

test("progress lines are docker's JSON with CRLF and its bar", () => {
  assert.equal(encodeMessage({ status: "Pull complete", id: "abc" }), '{"status":"Pull complete","id":"abc"}\r\n');
  assert.equal(progressBar(0, 100), `[>${" ".repeat(49)}]       0B/100B`);
  assert.equal(progressBar(2_500_000, 5_000_000), `[${"=".repeat(25)}>${" ".repeat(24)}]   2.50MB/5.00MB`);
});
