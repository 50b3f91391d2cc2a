/**
 * A multi-platform index pushed to `berth registry`, pulled through berthd: the host's
 * platform by default, another with `--platform` (docker CLI and berth), an absent one
 * refused; and `berth pull` on a terminal draws docker's per-layer progress bars.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { RegistryClient } from "../../../src/distribution/registry-client.js";
import { hostPlatform } from "../../../src/distribution/platform.js";
import { serveRegistry } from "../../../src/registry/index.js";
import { makeTar } from "../../../src/store/snapshots/tar-fixture.js";
import { CLI_MAIN, runCommand, startDaemon } from "../daemon/daemon-helper.js";

const sha = (b: Buffer | string): string => `sha256:${createHash("sha256").update(b).digest("hex")}`;
const OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";

test("a multi-platform index: host platform by default, --platform picks another, progress bars on a terminal", async (t) => {
  const root = await mkdtemp(join(tmpdir(), "berth-dist-platform-"));
  const reg = await serveRegistry({ addr: "127.0.0.1:0", root: join(root, "data") });
  t.after(async () => {
    reg.server.closeAllConnections();
    await reg.close();
    await rm(root, { recursive: true, force: true });
  });
  const client = new RegistryClient({ domain: reg.address });
  const host = hostPlatform();
  const other = host.architecture === "arm64" ? "amd64" : "arm64";
  const entries: Array<{ mediaType: string; digest: string; size: number; platform: { os: string; architecture: string; variant?: string } }> = [];
  const configs = new Map<string, string>();
  for (const [arch, variant] of [[host.architecture, host.variant], [other, other === "arm64" ? "v8" : undefined], ["arm", "v7"]] as Array<[string, string | undefined]>) {
    const layer = await makeTar([{ name: "arch.txt", data: `${arch}\n`.repeat(20_000) }]);
    const config = Buffer.from(JSON.stringify({ architecture: arch, os: "linux", ...(variant !== undefined ? { variant } : {}), rootfs: { type: "layers", diff_ids: [sha(layer)] } }));
    const manifest = Buffer.from(JSON.stringify({
      schemaVersion: 2, mediaType: OCI_MANIFEST,
      config: { mediaType: "application/vnd.oci.image.config.v1+json", digest: sha(config), size: config.length },
      layers: [{ mediaType: "application/vnd.oci.image.layer.v1.tar", digest: sha(layer), size: layer.length }],
    }));
    for (const b of [layer, config]) await client.pushBlob("multi/app", { digest: sha(b), size: b.length }, () => Readable.from([b]));
    await client.putManifest("multi/app", sha(manifest), OCI_MANIFEST, manifest);
    entries.push({ mediaType: OCI_MANIFEST, digest: sha(manifest), size: manifest.length, platform: { os: "linux", architecture: arch, ...(variant !== undefined ? { variant } : {}) } });
    configs.set(arch, sha(config));
  }
  const index = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: "application/vnd.oci.image.index.v1+json", manifests: entries }));
  await client.putManifest("multi/app", "v1", "application/vnd.oci.image.index.v1+json", index);

  const d = await startDaemon(t);
  const ref = `${reg.address}/multi/app:v1`;
  const inspect = async (): Promise<string> => (await d.docker(["image", "inspect", "-f", "{{.Id}} {{.Architecture}}", ref])).stdout.trim();

  const other1 = await d.docker(["pull", "--platform", `linux/${other}`, ref]);
  assert.equal(other1.code, 0, other1.stderr);
  assert.match(other1.stdout, new RegExp(`Digest: ${sha(index)}`));
  assert.equal(await inspect(), `${configs.get(other)} ${other}`);

  const arm = await d.berth(["pull", "--platform", "linux/arm/v7", ref]);
  assert.equal(arm.code, 0, arm.stderr);
  assert.equal(await inspect(), `${configs.get("arm")} arm`);

  const none = await d.docker(["pull", "--platform", "linux/s390x", ref]);
  assert.notEqual(none.code, 0);
  assert.match(none.stderr, /no matching manifest for linux\/s390x/);

  // The host's platform by default, with `berth pull` on a pseudo-terminal (util-linux
  // `script`): every layer gets a line that is redrawn in place with a bar.
  const quoted = [process.execPath, CLI_MAIN, "-H", d.host, "pull", ref].map((a) => `'${a}'`).join(" ");
  const tty = await runCommand("script", ["-qec", quoted, "/dev/null"]);
  assert.equal(tty.code, 0, tty.stdout + tty.stderr);
  assert.equal(await inspect(), `${configs.get(host.architecture)} ${host.architecture}`);
  assert.match(tty.stdout, /\x1b\[\d+A\r\x1b\[2K[a-f0-9]{12}: Downloading \[=+>? *\] +\d/);
  assert.match(tty.stdout, /[a-f0-9]{12}: Pull complete/);
  assert.match(tty.stdout, new RegExp(`Status: Downloaded newer image for ${reg.address}/multi/app:v1`));
});
