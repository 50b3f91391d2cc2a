import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseChallenges } from "./challenge.js";
import { decodeRegistryAuth, encodeRegistryAuth, readDockerConfigAuth, removeDockerConfigAuth, writeDockerConfigAuth } from "./credentials.js";
import { RegistryClient } from "./registry-client.js";
import { addImage, startFakeRegistry } from "./testing.js";

test("WWW-Authenticate challenges parse as distribution's challenge.go does", () => {
  assert.deepEqual(parseChallenges('Bearer realm="https://auth.example/token",service="registry.example",scope="repository:a/b:pull,push"'), [
    { scheme: "bearer", params: { realm: "https://auth.example/token", service: "registry.example", scope: "repository:a/b:pull,push" } },
  ]);
  assert.deepEqual(parseChallenges('Basic realm="x \\"y\\"", Bearer realm=r'), [
    { scheme: "basic", params: { realm: 'x "y"' } },
    { scheme: "bearer", params: { realm: "r" } },
  ]);
  assert.deepEqual(parseChallenges(undefined), []);
  assert.deepEqual(parseChallenges("=broken"), []);
});

test("X-Registry-Auth decodes base64url JSON and rejects junk", () => {
  const h = encodeRegistryAuth({ username: "u", password: "p?>", serveraddress: "127.0.0.1:5000" });
  assert.ok(!/[+/=]/.test(h));
  assert.deepEqual(decodeRegistryAuth(h), { username: "u", password: "p?>", serveraddress: "127.0.0.1:5000" });
  assert.deepEqual(decodeRegistryAuth(Buffer.from('{"identitytoken":"tok","email":"x"}').toString("base64")), { identitytoken: "tok" });
  assert.deepEqual(decodeRegistryAuth(""), {});
  assert.deepEqual(decodeRegistryAuth(undefined), {});
  assert.throws(() => decodeRegistryAuth("not json at all"), { kind: "invalid-argument" } as object);
  assert.throws(() => decodeRegistryAuth(Buffer.from("[1]").toString("base64url")), /invalid X-Registry-Auth header/);
});

test("docker config.json auths are written and read as the docker CLI does", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "berth-dist-cfg-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const path = join(dir, ".docker", "config.json");
  assert.equal(await readDockerConfigAuth(path, "127.0.0.1:5000"), undefined);
  await writeFile(join(dir, "x"), "");
  await writeDockerConfigAuth(path, "127.0.0.1:5000", { username: "alice", password: "s:cret" });
  await writeDockerConfigAuth(path, "docker.io", { username: "bob", password: "pw" });
  const raw = JSON.parse(await readFile(path, "utf8")) as { auths: Record<string, { auth: string }> };
  assert.equal(raw.auths["127.0.0.1:5000"]?.auth, Buffer.from("alice:s:cret").toString("base64"));
  assert.equal(raw.auths["https://index.docker.io/v1/"]?.auth, Buffer.from("bob:pw").toString("base64"));
  assert.equal((await stat(path)).mode & 0o777, 0o600);
  assert.deepEqual(await readDockerConfigAuth(path, "127.0.0.1:5000"), { serveraddress: "127.0.0.1:5000", username: "alice", password: "s:cret" });
  assert.equal((await readDockerConfigAuth(path, "docker.io"))?.username, "bob");
  assert.equal(await removeDockerConfigAuth(path, "127.0.0.1:5000"), true);
  assert.equal(await readDockerConfigAuth(path, "127.0.0.1:5000"), undefined);
  assert.equal(await removeDockerConfigAuth(path, "127.0.0.1:5000"), false);
});

test("basic auth: anonymous is refused, credentials are sent after the challenge", async (t) => {
  const reg = await startFakeRegistry({ auth: "basic" });
  t.after(() => reg.close());
  addImage(reg, "app", "latest", ["l"]);
  await assert.rejects(new RegistryClient({ domain: reg.domain }).getManifest("app", "latest"), { kind: "unauthenticated" } as object);
  await assert.rejects(new RegistryClient({ domain: reg.domain }).login(), /unauthorized: incorrect username or password/);
  await assert.rejects(new RegistryClient({ domain: reg.domain, auth: { username: "user", password: "bad" } }).login(), { kind: "unauthenticated" } as object);
  const ok = new RegistryClient({ domain: reg.domain, auth: { username: "user", password: "pass" } });
  await ok.login();
  const m = await ok.getManifest("app", "latest");
  assert.equal(m.mediaType, "application/vnd.oci.image.manifest.v1+json");
});

test("bearer token flow: a token per scope, reused until it expires", async (t) => {
  const reg = await startFakeRegistry({ auth: "bearer" });
  t.after(() => reg.close());
  const img = addImage(reg, "app", "latest", ["l"]);
  addImage(reg, "other", "latest", ["o"]);
  const client = new RegistryClient({ domain: reg.domain, auth: { username: "user", password: "pass" } });
  await client.getManifest("app", "latest");
  assert.equal(client.tokenRequests, 1);
  await client.getManifest("app", img.manifest);
  assert.equal(await client.blobSize("app", img.layers[0]!), 1);
  assert.equal(client.tokenRequests, 1, "same scope reuses the token");
  await client.getManifest("other", "latest");
  assert.equal(client.tokenRequests, 2, "another repository needs its own token");
  const tokenReq = reg.log.find((l) => l.startsWith("GET /token"));
  assert.equal(tokenReq, "GET /token?service=fake&scope=repository%3Aapp%3Apull");
  await assert.rejects(new RegistryClient({ domain: reg.domain, auth: { username: "user", password: "nope" } }).getManifest("app", "latest"), { kind: "unauthenticated" } as object);
});

test("a registry token from X-Registry-Auth is sent as is", async (t) => {
  const reg = await startFakeRegistry({ auth: "bearer" });
  t.after(() => reg.close());
  addImage(reg, "app", "latest", ["l"]);
  const c = new RegistryClient({ domain: reg.domain, auth: { registrytoken: "not-a-valid-token" } });
  await assert.rejects(c.getManifest("app", "latest"), { kind: "unauthenticated" } as object);
  assert.equal(c.tokenRequests, 0);
});

test("an identity token is exchanged as an OAuth2 refresh token", async (t) => {
  const reg = await startFakeRegistry({ auth: "bearer" });
  t.after(() => reg.close());
  addImage(reg, "app", "latest", ["l"]);
  const ok = new RegistryClient({ domain: reg.domain, auth: { identitytoken: "refresh-me" } });
  await ok.getManifest("app", "latest");
  assert.ok(reg.log.includes("POST /token"));
  await assert.rejects(new RegistryClient({ domain: reg.domain, auth: { identitytoken: "stale" } }).getManifest("app", "latest"), { kind: "unauthenticated" } as object);
});
