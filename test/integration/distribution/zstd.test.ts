/**
 * zstd layers end to end: the test compresses layers with the `zstd` CLI, pushes the
 * image to `berth registry`, berthd pulls it for the docker CLI and runs it; pushed
 * again, its layers keep their zstd media type and digest.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { RegistryClient } from "../../../src/distribution/registry-client.js";
import { hostPlatform } from "../../../src/distribution/platform.js";
import { serveRegistry } from "../../../src/registry/index.js";
import { makeTar } from "../../../src/store/snapshots/tar-fixture.js";
import { startDaemon } from "../daemon/daemon-helper.js";

const sha = (b: Buffer | string): string => `sha256:${createHash("sha256").update(b).digest("hex")}`;
const ZSTD = "application/vnd.oci.image.layer.v1.tar+zstd";

test("an image with zstd layers pushed to berth registry is pulled by berthd and runs", async (t) => {
  const root = await mkdtemp(join(tmpdir(), "berth-dist-zstd-"));
  const reg = await serveRegistry({ addr: "127.0.0.1:0", root: join(root, "data") });
  t.after(async () => {
    reg.server.closeAllConnections();
    await reg.close();
    await rm(root, { recursive: true, force: true });
  });
  const base = await makeTar([
    { name: "bin/", type: "directory", mode: 0o755 },
    { name: "bin/busybox", data: await readFile("/bin/busybox"), mode: 0o755 },
    { name: "bin/sh", type: "symlink", linkname: "busybox" },
    { name: "bin/cat", type: "symlink", linkname: "busybox" },
  ]);
  const top = await makeTar([{ name: "hello.txt", data: "hello from a zstd layer\n", mode: 0o644 }]);
  const tars = [base, top];
  const blobs = [
    execFileSync("zstd", ["-q", "-c", "-9"], { input: base, maxBuffer: 64 << 20 }),
    execFileSync("zstd", ["-q", "-c", "--long=24"], { input: top }),
  ];
  const p = hostPlatform();
  const config = Buffer.from(JSON.stringify({
    architecture: p.architecture, os: p.os,
    config: { Cmd: ["/bin/cat", "/hello.txt"], Env: ["PATH=/bin"] },
    rootfs: { type: "layers", diff_ids: tars.map(sha) },
  }));
  const manifest = Buffer.from(JSON.stringify({
    schemaVersion: 2, mediaType: "application/vnd.oci.image.manifest.v1+json",
    config: { mediaType: "application/vnd.oci.image.config.v1+json", digest: sha(config), size: config.length },
    layers: blobs.map((b) => ({ mediaType: ZSTD, digest: sha(b), size: b.length })),
  }));
  const client = new RegistryClient({ domain: reg.address });
  for (const b of [...blobs, config]) await client.pushBlob("z/app", { digest: sha(b), size: b.length }, () => Readable.from([b]));
  await client.putManifest("z/app", "v1", "application/vnd.oci.image.manifest.v1+json", manifest);

  const d = await startDaemon(t);
  const ref = `${reg.address}/z/app:v1`;
  const pulled = await d.docker(["pull", ref]);
  assert.equal(pulled.code, 0, pulled.stderr);
  assert.match(pulled.stdout, /Pull complete/);
  assert.equal((await d.docker(["image", "inspect", "-f", "{{.Id}}", ref])).stdout.trim(), sha(config));
  const run = await d.docker(["run", "--rm", "--network", "none", ref]);
  assert.equal(run.code, 0, run.stderr);
  assert.equal(run.stdout, "hello from a zstd layer\n");

  // Pushed elsewhere, the layers go as stored: same zstd blobs, zstd media type.
  const again = `${reg.address}/z/copy:v1`;
  assert.equal((await d.docker(["tag", ref, again])).code, 0);
  const pushed = await d.docker(["push", again]);
  assert.equal(pushed.code, 0, pushed.stderr);
  const copy = JSON.parse((await client.getManifest("z/copy", "v1")).body.toString()) as { layers: Array<{ mediaType: string; digest: string }> };
  assert.deepEqual(copy.layers.map((l) => [l.mediaType, l.digest]), blobs.map((b) => [ZSTD, sha(b)]));

  // As docker: removing the last tag of a repository also removes its digest reference
  // (the pull's RepoDigests), so the image goes once both names are removed.
  const rmi1 = await d.docker(["rmi", ref]);
  assert.equal(rmi1.code, 0, rmi1.stderr);
  assert.match(rmi1.stdout, new RegExp(`Untagged: ${reg.address}/z/app@sha256:[a-f0-9]{64}`));
  assert.equal((await d.docker(["image", "inspect", sha(config)])).code, 0);
  const rmi2 = await d.docker(["rmi", again]);
  assert.equal(rmi2.code, 0, rmi2.stderr);
  assert.match(rmi2.stdout, new RegExp(`Deleted: ${sha(config)}`));
  assert.notEqual((await d.docker(["image", "inspect", sha(config)])).code, 0);
});
