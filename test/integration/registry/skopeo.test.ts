/**
 * `berth registry` (its own entry point, dist/src/registry/main.js) against a real
 * client: skopeo copies an OCI layout the test builds to the registry and back, with no
 * auth, basic auth and the bearer-token flow; digests must survive unchanged. Loopback only.
 */
import { test, before } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawn, spawnSync, type ChildProcess } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { createServer, type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { pack } from "tar-stream";
import { htpasswdLine } from "../../../src/registry/index.js";

const MAIN = new URL("../../../src/registry/main.js", import.meta.url).pathname;
const OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
const OCI_INDEX = "application/vnd.oci.image.index.v1+json";

let skopeoMissing: string | undefined;

function hasSkopeo(): boolean {
  return spawnSync("skopeo", ["--version"], { stdio: "ignore" }).status === 0;
}

before(() => {
  if (hasSkopeo()) return;
  // install it as the brief allows; skip only when that is impossible
  const r = spawnSync("sh", ["-c", "apt-get install -y skopeo || (apt-get update && apt-get install -y skopeo)"], {
    stdio: "ignore", timeout: 300_000,
  });
  if (r.status !== 0 || !hasSkopeo()) skopeoMissing = "skopeo is not installed and `apt-get install -y skopeo` failed";
});

const sha256 = (b: Buffer | string) => `sha256:${createHash("sha256").update(b).digest("hex")}`;

async function tarOf(files: Record<string, string>): Promise<Buffer> {
  const p = pack();
  for (const [name, content] of Object.entries(files)) p.entry({ name, mtime: new Date(0) }, content);
  p.finalize();
  const chunks: Buffer[] = [];
  for await (const c of p) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/** An OCI image layout with one image per architecture; an index when there are several. */
async function buildLayout(dir: string, arches: string[], tag: string): Promise<{ top: string; blobs: string[] }> {
  const blobsDir = join(dir, "blobs", "sha256");
  await mkdir(blobsDir, { recursive: true });
  const blobs: string[] = [];
  const put = async (b: Buffer): Promise<string> => {
    const d = sha256(b);
    await writeFile(join(blobsDir, d.slice(7)), b);
    blobs.push(d);
    return d;
  };
  const manifests: Array<{ mediaType: string; digest: string; size: number; platform: { architecture: string; os: string } }> = [];
  for (const arch of arches) {
    const tar = await tarOf({ "hello.txt": `hello from ${arch}\n`, "etc/os-release": "ID=berth-test\n" });
    const layer = gzipSync(tar);
    const config = Buffer.from(JSON.stringify({
      architecture: arch, os: "linux", config: { Cmd: ["/hello"] }, rootfs: { type: "layers", diff_ids: [sha256(tar)] },
    }));
    const manifest = Buffer.from(JSON.stringify({
      schemaVersion: 2, mediaType: OCI_MANIFEST,
      config: { mediaType: "application/vnd.oci.image.config.v1+json", digest: await put(config), size: config.length },
      layers: [{ mediaType: "application/vnd.oci.image.layer.v1.tar+gzip", digest: await put(layer), size: layer.length }],
    }));
    manifests.push({ mediaType: OCI_MANIFEST, digest: await put(manifest), size: manifest.length, platform: { architecture: arch, os: "linux" } });
  }
  let top = manifests[0];
  if (!top) throw new Error("no architectures");
  if (arches.length > 1) {
    const index = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests }));
    top = { mediaType: OCI_INDEX, digest: await put(index), size: index.length, platform: { architecture: "", os: "" } };
  }
  await writeFile(join(dir, "oci-layout"), JSON.stringify({ imageLayoutVersion: "1.0.0" }));
  await writeFile(join(dir, "index.json"), JSON.stringify({
    schemaVersion: 2,
    manifests: [{ mediaType: top.mediaType, digest: top.digest, size: top.size, annotations: { "org.opencontainers.image.ref.name": tag } }],
  }));
  return { top: top.digest, blobs: blobs.sort() };
}

async function layoutTop(dir: string): Promise<string> {
  const idx = JSON.parse(await readFile(join(dir, "index.json"), "utf8")) as { manifests: Array<{ digest: string }> };
  return idx.manifests[0]?.digest ?? "";
}

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, "127.0.0.1", resolve));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

/** Run the registry's entry point; resolves with the bound address once it listens. */
async function startRegistry(args: string[]): Promise<{ child: ChildProcess; addr: string }> {
  const child = spawn(process.execPath, [MAIN, "serve", ...args], { stdio: ["ignore", "pipe", "pipe"] });
  let err = "";
  child.stderr?.on("data", (c: Buffer) => (err += c.toString()));
  const addr = await new Promise<string>((resolve, reject) => {
    let out = "";
    child.stdout?.on("data", (c: Buffer) => {
      out += c.toString();
      const m = /listening on (\S+)/.exec(out);
      if (m?.[1]) resolve(m[1]);
    });
    child.once("exit", (code) => reject(new Error(`registry exited with ${code}: ${err}`)));
  });
  return { child, addr };
}

async function stopRegistry(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.pid === undefined) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
  await exited;
  clearTimeout(timer);
}

function skopeo(...args: string[]): { status: number; out: string; stdout: string } {
  const r = spawnSync("skopeo", ["--insecure-policy", ...args], { encoding: "utf8", timeout: 120_000 });
  return { status: r.status ?? -1, out: `${r.stdout}${r.stderr}`, stdout: r.stdout };
}

async function scratch(t: { after: (fn: () => Promise<void>) => void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "berth-registry-skopeo-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

test("skopeo copies an image to berth registry and back with identical digests", async (t) => {
  if (skopeoMissing) return t.skip(skopeoMissing);
  const dir = await scratch(t);
  const src = join(dir, "src");
  const built = await buildLayout(src, ["amd64"], "v1");
  const reg = await startRegistry(["--addr", "127.0.0.1:0", "--root", join(dir, "root")]);
  t.after(() => stopRegistry(reg.child));
  const ref = `docker://${reg.addr}/berth/test:v1`;
  const push = skopeo("copy", `oci:${src}:v1`, ref, "--dest-tls-verify=false");
  assert.equal(push.status, 0, push.out);
  const raw = skopeo("inspect", "--raw", "--tls-verify=false", ref);
  assert.equal(raw.status, 0, raw.out);
  assert.equal(sha256(raw.stdout), built.top, "the registry serves the manifest byte for byte");
  const tags = skopeo("list-tags", "--tls-verify=false", `docker://${reg.addr}/berth/test`);
  assert.deepEqual(JSON.parse(tags.stdout).Tags, ["v1"]);
  const dst = join(dir, "dst");
  const pull = skopeo("copy", ref, `oci:${dst}:v1`, "--src-tls-verify=false");
  assert.equal(pull.status, 0, pull.out);
  assert.equal(await layoutTop(dst), built.top);
  const got = (await readdir(join(dst, "blobs", "sha256"))).map((h) => `sha256:${h}`).sort();
  assert.deepEqual(got, built.blobs);
  for (const d of got) assert.equal(sha256(await readFile(join(dst, "blobs", "sha256", d.slice(7)))), d);
  // a second push of the same image only checks the blobs it already has
  const again = skopeo("copy", `oci:${src}:v1`, `docker://${reg.addr}/berth/other:v2`, "--dest-tls-verify=false");
  assert.equal(again.status, 0, again.out);
});

test("skopeo copies a multi-arch OCI index with --all and it comes back unchanged", async (t) => {
  if (skopeoMissing) return t.skip(skopeoMissing);
  const dir = await scratch(t);
  const src = join(dir, "src");
  const built = await buildLayout(src, ["amd64", "arm64"], "multi");
  const reg = await startRegistry(["--addr", "127.0.0.1:0", "--root", join(dir, "root")]);
  t.after(() => stopRegistry(reg.child));
  const ref = `docker://${reg.addr}/multi/arch:latest`;
  const push = skopeo("copy", "--all", `oci:${src}:multi`, ref, "--dest-tls-verify=false");
  assert.equal(push.status, 0, push.out);
  const dst = join(dir, "dst");
  const pull = skopeo("copy", "--all", ref, `oci:${dst}:multi`, "--src-tls-verify=false");
  assert.equal(pull.status, 0, pull.out);
  assert.equal(await layoutTop(dst), built.top);
  assert.deepEqual((await readdir(join(dst, "blobs", "sha256"))).map((h) => `sha256:${h}`).sort(), built.blobs);
});

test("skopeo with basic auth: refused without credentials, works with --dest-creds/--src-creds", async (t) => {
  if (skopeoMissing) return t.skip(skopeoMissing);
  const dir = await scratch(t);
  const src = join(dir, "src");
  const built = await buildLayout(src, ["amd64"], "v1");
  await writeFile(join(dir, "htpasswd"), `${htpasswdLine("tester", "s3cret")}\n`);
  const reg = await startRegistry(["--addr", "127.0.0.1:0", "--root", join(dir, "root"), "--htpasswd", join(dir, "htpasswd")]);
  t.after(() => stopRegistry(reg.child));
  const ref = `docker://${reg.addr}/secure/img:v1`;
  const anon = skopeo("copy", `oci:${src}:v1`, ref, "--dest-tls-verify=false", "--dest-no-creds");
  assert.notEqual(anon.status, 0);
  assert.match(anon.out, /unauthorized|authentication required/i);
  const wrong = skopeo("copy", `oci:${src}:v1`, ref, "--dest-tls-verify=false", "--dest-creds", "tester:wrong");
  assert.notEqual(wrong.status, 0);
  const push = skopeo("copy", `oci:${src}:v1`, ref, "--dest-tls-verify=false", "--dest-creds", "tester:s3cret");
  assert.equal(push.status, 0, push.out);
  const dst = join(dir, "dst");
  const pull = skopeo("copy", ref, `oci:${dst}:v1`, "--src-tls-verify=false", "--src-creds", "tester:s3cret");
  assert.equal(pull.status, 0, pull.out);
  assert.equal(await layoutTop(dst), built.top);
});

test("skopeo with the bearer-token flow served by the registry itself", async (t) => {
  if (skopeoMissing) return t.skip(skopeoMissing);
  const dir = await scratch(t);
  const src = join(dir, "src");
  const built = await buildLayout(src, ["amd64"], "v1");
  await writeFile(join(dir, "htpasswd"), `${htpasswdLine("tok", "pw")}\n`);
  const port = await freePort();
  const reg = await startRegistry([
    "--addr", `127.0.0.1:${port}`, "--root", join(dir, "root"), "--htpasswd", join(dir, "htpasswd"),
    "--token-realm", `http://127.0.0.1:${port}/token`,
  ]);
  t.after(() => stopRegistry(reg.child));
  const ref = `docker://${reg.addr}/tok/img:v1`;
  const anon = skopeo("copy", `oci:${src}:v1`, ref, "--dest-tls-verify=false", "--dest-no-creds");
  assert.notEqual(anon.status, 0);
  const push = skopeo("copy", `oci:${src}:v1`, ref, "--dest-tls-verify=false", "--dest-creds", "tok:pw");
  assert.equal(push.status, 0, push.out);
  const dst = join(dir, "dst");
  const pull = skopeo("copy", ref, `oci:${dst}:v1`, "--src-tls-verify=false", "--src-creds", "tok:pw");
  assert.equal(pull.status, 0, pull.out);
  assert.equal(await layoutTop(dst), built.top);
});

test("skopeo over TLS with the registry's certificate as the trusted CA", async (t) => {
  if (skopeoMissing) return t.skip(skopeoMissing);
  if (spawnSync("openssl", ["version"], { stdio: "ignore" }).status !== 0) return t.skip("openssl is not installed; it makes the certificate");
  const dir = await scratch(t);
  const src = join(dir, "src");
  const built = await buildLayout(src, ["amd64"], "v1");
  const certs = join(dir, "certs");
  await mkdir(certs);
  execFileSync("openssl", [
    "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1",
    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
    "-keyout", join(dir, "key.pem"), "-out", join(certs, "ca.crt"),
  ], { stdio: "ignore" });
  const reg = await startRegistry([
    "--addr", "127.0.0.1:0", "--root", join(dir, "root"), "--tls-cert", join(certs, "ca.crt"), "--tls-key", join(dir, "key.pem"),
  ]);
  t.after(() => stopRegistry(reg.child));
  const ref = `docker://${reg.addr}/tls/img:v1`;
  const untrusted = skopeo("copy", `oci:${src}:v1`, ref);
  assert.notEqual(untrusted.status, 0, "the certificate is not trusted without the cert dir");
  const push = skopeo("copy", `oci:${src}:v1`, ref, "--dest-cert-dir", certs);
  assert.equal(push.status, 0, push.out);
  const dst = join(dir, "dst");
  const pull = skopeo("copy", ref, `oci:${dst}:v1`, "--src-cert-dir", certs);
  assert.equal(pull.status, 0, pull.out);
  assert.equal(await layoutTop(dst), built.top);
});
