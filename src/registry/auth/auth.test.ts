import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { request as httpsRequest } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { digest, errorCode, pushBlob, pushImage, startTestRegistry } from "../testing.js";
import { Htpasswd, htpasswdLine } from "./htpasswd.js";
import { parseScope, TokenSigner } from "./token.js";

const users = Htpasswd.parse([htpasswdLine("alice", "wonderland"), htpasswdLine("bob", "builder"), "# comment", ""].join("\n"));
const basic = (user: string, pw: string) => `Basic ${Buffer.from(`${user}:${pw}`).toString("base64")}`;

test("Htpasswd: bcrypt lines verify; other hash kinds are refused when parsing", async () => {
  assert.equal(await users.verify("alice", "wonderland"), true);
  assert.equal(await users.verify("alice", "wonderland"), true, "cached answer");
  assert.equal(await users.verify("alice", "Wonderland"), false);
  assert.equal(await users.verify("nobody", "wonderland"), false);
  // Apache htpasswd -B writes $2y$
  const y = htpasswdLine("carol", "pw").replace("$2b$", "$2y$").replace("$2a$", "$2y$");
  assert.equal(await Htpasswd.parse(y).verify("carol", "pw"), true);
  assert.throws(() => Htpasswd.parse("dave:$apr1$abc$defghijklmnop"), /parse htpasswd: line 1/);
  assert.throws(() => Htpasswd.parse("no-colon-here"), /line 1/);
});

test("basic auth: 401 with a Basic challenge without or with wrong credentials, 200 with right ones", async (t) => {
  const r = await startTestRegistry({ auth: { htpasswd: users } });
  t.after(() => r.cleanup());
  const none = await fetch(`${r.base}/v2/`);
  assert.equal(none.status, 401);
  assert.equal(none.headers.get("www-authenticate"), 'Basic realm="berth-registry"');
  assert.equal(await errorCode(none), "UNAUTHORIZED");
  const wrong = await fetch(`${r.base}/v2/`, { headers: { Authorization: basic("alice", "nope") } });
  assert.equal(wrong.status, 401);
  const garbage = await fetch(`${r.base}/v2/`, { headers: { Authorization: "Basic !!!" } });
  assert.equal(garbage.status, 401);
  const ok = await fetch(`${r.base}/v2/`, { headers: { Authorization: basic("alice", "wonderland") } });
  assert.equal(ok.status, 200);
  const img = await pushImage(r.base, "private/app", "v1", "a", { Authorization: basic("bob", "builder") });
  assert.equal((await fetch(`${r.base}/v2/private/app/manifests/v1`)).status, 401);
  const get = await fetch(`${r.base}/v2/private/app/manifests/v1`, { headers: { Authorization: basic("alice", "wonderland") } });
  assert.equal(get.headers.get("docker-content-digest"), img.digest);
});

test("basic auth: anonymous pull when allowed, push still needs credentials; a policy can deny with 403", async (t) => {
  const policy = (account: string | undefined, req: { name: string; actions: string[] }) =>
    account === "bob" ? req.actions : account === "alice" && req.name.startsWith("alice/") ? req.actions : req.actions.filter((a) => a === "pull");
  const r = await startTestRegistry({ auth: { htpasswd: users, anonymousPull: true, policy } });
  t.after(() => r.cleanup());
  await pushImage(r.base, "shared", "v1", "s", { Authorization: basic("bob", "builder") });
  assert.equal((await fetch(`${r.base}/v2/shared/manifests/v1`)).status, 200);
  const anonPush = await fetch(`${r.base}/v2/shared/blobs/uploads/`, { method: "POST" });
  assert.equal(anonPush.status, 401);
  assert.equal(anonPush.headers.get("www-authenticate"), 'Basic realm="berth-registry"');
  const denied = await fetch(`${r.base}/v2/shared/blobs/uploads/`, { method: "POST", headers: { Authorization: basic("alice", "wonderland") } });
  assert.equal(denied.status, 403);
  assert.equal(await errorCode(denied), "DENIED");
  const own = await fetch(`${r.base}/v2/alice/x/blobs/uploads/`, { method: "POST", headers: { Authorization: basic("alice", "wonderland") } });
  assert.equal(own.status, 202);
  // a mount needs pull on the source: alice may pull "shared", so it mounts
  const layer = digest("layer of s");
  const m = await fetch(`${r.base}/v2/alice/x/blobs/uploads/?mount=${layer}&from=shared`, { method: "POST", headers: { Authorization: basic("alice", "wonderland") } });
  assert.equal(m.status, 201);
});

test("TokenSigner: round trip; tampered, expired, wrong-audience tokens are refused", () => {
  const s = new TokenSigner(Buffer.from("k".repeat(32)), "iss");
  const { token } = s.sign("alice", "svc", [{ type: "repository", name: "a", actions: ["pull"] }], 60, 1_000_000_000);
  assert.equal(s.verify(token, "svc", 1_000_000_000 + 1000)?.sub, "alice");
  assert.equal(s.verify(token, "other", 1_000_000_000 + 1000), undefined);
  assert.equal(s.verify(token, "svc", 1_000_000_000 + 61_000), undefined);
  const [h, b, sig] = token.split(".");
  const forged = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(b ?? "", "base64url").toString()), sub: "mallory" })).toString("base64url");
  assert.equal(s.verify(`${h}.${forged}.${sig}`, "svc", 1_000_000_000 + 1000), undefined);
  assert.equal(new TokenSigner(Buffer.from("x".repeat(32)), "iss").verify(token, "svc", 1_000_000_000 + 1000), undefined);
  assert.deepEqual(parseScope("repository:a/b:pull,push"), { type: "repository", name: "a/b", actions: ["pull", "push"] });
  assert.deepEqual(parseScope("repository:host:5000/a:pull"), { type: "repository", name: "host:5000/a", actions: ["pull"] });
  assert.equal(parseScope("repository:pull"), undefined);
});

async function token(base: string, scope: string, auth?: string): Promise<Response> {
  return fetch(`${base}/token?service=berth-registry&scope=${encodeURIComponent(scope)}`, auth ? { headers: { Authorization: auth } } : {});
}

test("token flow: Bearer challenge with scope, token endpoint, per-scope checks, insufficient_scope", async (t) => {
  const r = await startTestRegistry({ auth: { htpasswd: users, token: { realm: "http://127.0.0.1/token" } } });
  t.after(() => r.cleanup());
  const base = await fetch(`${r.base}/v2/`);
  assert.equal(base.status, 401);
  assert.equal(base.headers.get("www-authenticate"), 'Bearer realm="http://127.0.0.1/token",service="berth-registry"');
  const tags = await fetch(`${r.base}/v2/app/tags/list`);
  assert.equal(tags.headers.get("www-authenticate"), 'Bearer realm="http://127.0.0.1/token",service="berth-registry",scope="repository:app:pull"');
  const push = await fetch(`${r.base}/v2/app/blobs/uploads/`, { method: "POST" });
  assert.match(push.headers.get("www-authenticate") ?? "", /scope="repository:app:pull,push"/);

  const bad = await token(r.base, "repository:app:pull,push", basic("alice", "bad"));
  assert.equal(bad.status, 401);
  const tr = await token(r.base, "repository:app:pull,push", basic("alice", "wonderland"));
  assert.equal(tr.status, 200);
  const tj = (await tr.json()) as { token: string; access_token: string; expires_in: number; issued_at: string };
  assert.equal(tj.token, tj.access_token);
  assert.equal(tj.expires_in, 300);
  const bearer = { Authorization: `Bearer ${tj.token}` };
  assert.equal((await fetch(`${r.base}/v2/`, { headers: bearer })).status, 200);
  const img = await pushImage(r.base, "app", "v1", "tok", bearer);
  const got = await fetch(`${r.base}/v2/app/manifests/v1`, { headers: bearer });
  assert.equal(got.headers.get("docker-content-digest"), img.digest);
  // the token is for "app" only
  const other = await fetch(`${r.base}/v2/other/tags/list`, { headers: bearer });
  assert.equal(other.status, 401);
  assert.match(other.headers.get("www-authenticate") ?? "", /error="insufficient_scope"/);
  // a pull-only token cannot push
  const pullOnly = ((await (await token(r.base, "repository:app:pull", basic("bob", "builder"))).json()) as { token: string }).token;
  const denied = await fetch(`${r.base}/v2/app/blobs/uploads/`, { method: "POST", headers: { Authorization: `Bearer ${pullOnly}` } });
  assert.equal(denied.status, 401);
  assert.match(denied.headers.get("www-authenticate") ?? "", /error="insufficient_scope"/);
  assert.equal((await fetch(`${r.base}/v2/app/tags/list`, { headers: { Authorization: `Bearer ${pullOnly}` } })).status, 200);
  // tampered
  const tampered = await fetch(`${r.base}/v2/`, { headers: { Authorization: `Bearer ${tj.token.slice(0, -2)}xx` } });
  assert.equal(tampered.status, 401);
  assert.match(tampered.headers.get("www-authenticate") ?? "", /error="invalid_token"/);
  // anonymous tokens carry no access by default
  const anon = (await (await token(r.base, "repository:app:pull")).json()) as { token: string };
  assert.equal((await fetch(`${r.base}/v2/app/tags/list`, { headers: { Authorization: `Bearer ${anon.token}` } })).status, 401);
  // the catalog needs registry:catalog:*
  assert.equal((await fetch(`${r.base}/v2/_catalog`, { headers: bearer })).status, 401);
  const cat = ((await (await token(r.base, "registry:catalog:*", basic("alice", "wonderland"))).json()) as { token: string }).token;
  const catalog = await fetch(`${r.base}/v2/_catalog`, { headers: { Authorization: `Bearer ${cat}` } });
  assert.deepEqual(await catalog.json(), { repositories: ["app"] });
  // deleting needs the delete action
  const noDelete = await fetch(`${r.base}/v2/app/manifests/v1`, { method: "DELETE", headers: bearer });
  assert.equal(noDelete.status, 401);
  assert.match(noDelete.headers.get("www-authenticate") ?? "", /scope="repository:app:delete",error="insufficient_scope"/);
  const del = ((await (await token(r.base, "repository:app:delete", basic("alice", "wonderland"))).json()) as { token: string }).token;
  assert.equal((await fetch(`${r.base}/v2/app/manifests/v1`, { method: "DELETE", headers: { Authorization: `Bearer ${del}` } })).status, 202);
  // wrong service
  const svc = await fetch(`${r.base}/token?service=elsewhere&scope=repository:app:pull`);
  assert.equal(svc.status, 400);
});

test("token flow: OAuth2 password grant on POST and anonymous pull tokens when allowed", async (t) => {
  const r = await startTestRegistry({ auth: { htpasswd: users, anonymousPull: true, token: { realm: "http://127.0.0.1/auth/token", service: "reg" } } });
  t.after(() => r.cleanup());
  const form = new URLSearchParams({ grant_type: "password", username: "bob", password: "builder", scope: "repository:p:pull,push", service: "reg", client_id: "test" });
  const res = await fetch(`${r.base}/auth/token`, { method: "POST", body: form, headers: { "Content-Type": "application/x-www-form-urlencoded" } });
  assert.equal(res.status, 200);
  const j = (await res.json()) as { access_token: string; token_type: string; scope: string };
  assert.equal(j.token_type, "Bearer");
  assert.equal(j.scope, "repository:p:pull,push");
  const bearer = { Authorization: `Bearer ${j.access_token}` };
  await pushBlob(r.base, "p", "data", bearer);
  const badForm = new URLSearchParams({ grant_type: "password", username: "bob", password: "x", service: "reg" });
  assert.equal((await fetch(`${r.base}/auth/token`, { method: "POST", body: badForm })).status, 401);
  const anon = (await (await fetch(`${r.base}/auth/token?service=reg&scope=repository:p:pull,push`)).json()) as { token: string };
  const claims = JSON.parse(Buffer.from(anon.token.split(".")[1] ?? "", "base64url").toString()) as { access: unknown };
  assert.deepEqual(claims.access, [{ type: "repository", name: "p", actions: ["pull"] }]);
  assert.equal((await fetch(`${r.base}/v2/p/blobs/${digest("data")}`, { headers: { Authorization: `Bearer ${anon.token}` } })).status, 200);
});

test("TLS: the server speaks HTTPS with the given certificate", async (t) => {
  if (spawnSync("openssl", ["version"]).status !== 0) {
    t.skip("openssl is not installed; it makes the test certificate");
    return;
  }
  const dir = await mkdtemp(join(tmpdir(), "berth-registry-tls-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  execFileSync("openssl", [
    "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1",
    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
    "-keyout", join(dir, "key.pem"), "-out", join(dir, "cert.pem"),
  ], { stdio: "ignore" });
  const cert = await readFile(join(dir, "cert.pem"));
  const r = await startTestRegistry({ tls: { cert, key: await readFile(join(dir, "key.pem")) } });
  t.after(() => r.cleanup());
  assert.match(r.base, /^https:/);
  const res = await new Promise<{ status: number; body: string; api: string | string[] | undefined }>((resolve, reject) => {
    const req = httpsRequest({ host: "127.0.0.1", port: r.port, path: "/v2/", ca: cert }, (resp) => {
      let body = "";
      resp.on("data", (c: Buffer) => (body += c.toString()));
      resp.on("end", () => resolve({ status: resp.statusCode ?? 0, body, api: resp.headers["docker-distribution-api-version"] }));
    });
    req.on("error", reject);
    req.end();
  });
  assert.deepEqual(res, { status: 200, body: "{}", api: "registry/2.0" });
  // a client that does not trust the certificate is refused by TLS itself
  await assert.rejects(fetch(`${r.base}/v2/`));
});
