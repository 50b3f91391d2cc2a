/**
 * berth's client against Debian's docker-registry (CNCF distribution 2.8), an
 * independent server: push and pull with htpasswd basic auth, and with the bearer-token
 * flow served by a token server this test runs (ES256 JWTs with an x5c chain to the
 * registry's rootcertbundle). Loopback only; the registry is killed by PID.
 */
import { test, before } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawn, spawnSync, type ChildProcess } from "node:child_process";
import { createPrivateKey, randomBytes, sign } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer as createHttpServer, type Server } from "node:http";
import { createServer, type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { htpasswdLine } from "../../../src/registry/index.js";
import { RegistryClient } from "../../../src/distribution/index.js";
import { dataRoot, importImage, recorder } from "./helpers.js";

type T = { after(fn: () => Promise<void>): void };

let missing: string | undefined;
before(() => {
  const has = () => spawnSync("docker-registry", ["--version"], { stdio: "ignore" }).status === 0;
  if (has()) return;
  spawnSync("sh", ["-c", "apt-get install -y docker-registry"], { stdio: "ignore", timeout: 300_000 });
  if (!has()) missing = "docker-registry is not installed and `apt-get install -y docker-registry` failed";
});

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

async function waitReady(port: number, proc: ChildProcess, log: () => string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (proc.exitCode !== null) throw new Error(`docker-registry exited: ${log()}`);
    try {
      const res = await fetch(`http://127.0.0.1:${port}/v2/`);
      await res.arrayBuffer();
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new Error(`docker-registry did not start: ${log()}`);
}

/** Start docker-registry with `auth` (YAML lines under `auth:`); returns its domain. */
async function startDockerRegistry(t: T, dir: string, auth: string): Promise<string> {
  const port = await freePort();
  const config = join(dir, "config.yml");
  await writeFile(config, [
    "version: 0.1",
    "log:",
    "  level: warn",
    "storage:",
    "  filesystem:",
    `    rootdirectory: ${join(dir, "data")}`,
    "  delete:",
    "    enabled: true",
    "http:",
    `  addr: 127.0.0.1:${port}`,
    auth === "" ? "" : `auth:\n${auth}`,
    "",
  ].join("\n"));
  const proc = spawn("docker-registry", ["serve", config], { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  proc.stderr?.on("data", (c: Buffer) => { stderr += c.toString(); });
  t.after(async () => {
    if (proc.exitCode === null && proc.pid !== undefined) {
      process.kill(proc.pid, "SIGKILL");
      await new Promise((r) => proc.once("exit", r));
    }
  });
  await waitReady(port, proc, () => stderr);
  return `127.0.0.1:${port}`;
}

async function tempDir(t: T): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "berth-dist-dr-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

test("push and pull against docker-registry with htpasswd basic auth", async (t) => {
  if (missing !== undefined) {
    t.skip(missing);
    return;
  }
  const dir = await tempDir(t);
  await writeFile(join(dir, "htpasswd"), `${htpasswdLine("bob", "builder")}\n`);
  const domain = await startDockerRegistry(t, dir, `  htpasswd:\n    realm: test\n    path: ${join(dir, "htpasswd")}`);
  const a = await dataRoot(t);
  const id = await importImage(a, `${domain}/ns/tool`, "1.0", "from berth to distribution\n");
  await assert.rejects(a.images.push({ name: `${domain}/ns/tool:1.0` }), { kind: "unauthenticated" } as object);
  await assert.rejects(new RegistryClient({ domain, auth: { username: "bob", password: "wrong" } }).login(), /incorrect username or password/);
  const auth = { username: "bob", password: "builder" };
  await new RegistryClient({ domain, auth }).login();
  const pushed = recorder();
  const res = await a.images.push({ name: `${domain}/ns/tool:1.0`, auth, progress: pushed.sink });
  assert.ok(pushed.statuses().includes("Pushed"));
  const b = await dataRoot(t);
  await assert.rejects(b.images.pull({ fromImage: `${domain}/ns/tool:1.0` }), { kind: "unauthenticated" } as object);
  const p = await b.images.pull({ fromImage: `${domain}/ns/tool`, tag: "1.0", auth });
  assert.equal(p.id, id);
  assert.equal(p.digest, res.digest);
  const byDigest = await dataRoot(t);
  const p2 = await byDigest.images.pull({ fromImage: `${domain}/ns/tool@${res.digest}`, auth });
  assert.equal(p2.id, id);
});

function b64url(x: Buffer | string): string {
  return Buffer.from(x).toString("base64url");
}

/** A token server in the style of docker/distribution's auth/token: ES256, x5c header. */
async function tokenServer(t: T, dir: string, service: string): Promise<{ realm: string; bundle: string; issued: () => number }> {
  const key = join(dir, "token.key");
  const cert = join(dir, "token.crt");
  execFileSync("openssl", ["ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", key], { stdio: "ignore" });
  execFileSync("openssl", ["req", "-new", "-x509", "-key", key, "-out", cert, "-days", "1", "-subj", "/CN=berth-test-token"], { stdio: "ignore" });
  const pem = await readFile(cert, "utf8");
  const der = Buffer.from(pem.replace(/-----[^-]+-----/g, "").replace(/\s+/g, ""), "base64");
  const priv = createPrivateKey(await readFile(key));
  let issued = 0;
  const server: Server = createHttpServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://x");
    if (req.headers.authorization !== `Basic ${Buffer.from("carol:secret").toString("base64")}`) {
      res.writeHead(401).end();
      return;
    }
    const access = url.searchParams.getAll("scope").map((s) => {
      const [type, name, actions] = s.split(":");
      return { type, name, actions: (actions ?? "").split(",") };
    });
    const now = Math.floor(Date.now() / 1000);
    const header = b64url(JSON.stringify({ typ: "JWT", alg: "ES256", x5c: [der.toString("base64")] }));
    const claims = b64url(JSON.stringify({ iss: "berth-test", sub: "carol", aud: url.searchParams.get("service") ?? service, exp: now + 300, nbf: now - 10, iat: now, jti: randomBytes(8).toString("hex"), access }));
    const sig = sign("sha256", Buffer.from(`${header}.${claims}`), { key: priv, dsaEncoding: "ieee-p1363" });
    issued++;
    res.writeHead(200, { "Content-Type": "application/json" }).end(JSON.stringify({ token: `${header}.${claims}.${b64url(sig)}`, expires_in: 300 }));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  t.after(async () => {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  });
  return { realm: `http://127.0.0.1:${(server.address() as AddressInfo).port}/token`, bundle: cert, issued: () => issued };
}

test("push and pull against docker-registry with the bearer-token flow", async (t) => {
  if (missing !== undefined) {
    t.skip(missing);
    return;
  }
  const dir = await tempDir(t);
  const tokens = await tokenServer(t, dir, "berth-test-registry");
  const domain = await startDockerRegistry(t, dir, [
    "  token:",
    `    realm: ${tokens.realm}`,
    "    service: berth-test-registry",
    "    issuer: berth-test",
    `    rootcertbundle: ${tokens.bundle}`,
  ].join("\n"));
  const a = await dataRoot(t);
  const id = await importImage(a, `${domain}/tok/app`, "latest", "token flow\n");
  await assert.rejects(a.images.push({ name: `${domain}/tok/app` }), { kind: "unauthenticated" } as object);
  const auth = { username: "carol", password: "secret" };
  await a.images.push({ name: `${domain}/tok/app`, auth });
  const b = await dataRoot(t);
  const before = tokens.issued();
  const p = await b.images.pull({ fromImage: `${domain}/tok/app`, auth });
  assert.equal(p.id, id);
  // One pull-scope token serves the manifest, the config and the layer.
  assert.equal(tokens.issued() - before, 1);
});
