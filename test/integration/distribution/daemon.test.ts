/**
 * Pull, push and login through a running berthd with the real docker CLI, against
 * `berth registry` on loopback: the Engine API routes and the JSON progress stream.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { request } from "node:http";
import { join } from "node:path";
import { htpasswdLine, serveRegistry } from "../../../src/registry/index.js";
import { httpCall, startDaemon } from "../daemon/daemon-helper.js";

type T = { after(fn: () => Promise<void>): void };

async function registry(t: T, auth: boolean): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), "berth-dist-reg-"));
  let htpasswd: string | undefined;
  if (auth) {
    htpasswd = join(root, "htpasswd");
    await writeFile(htpasswd, `${htpasswdLine("dave", "hunter2")}\n`);
  }
  const reg = await serveRegistry({ addr: "127.0.0.1:0", root: join(root, "data"), ...(htpasswd !== undefined ? { htpasswd } : {}) });
  t.after(async () => {
    reg.server.closeAllConnections();
    await reg.close();
    await rm(root, { recursive: true, force: true });
  });
  return reg.address;
}

test("docker push and docker pull through berthd", async (t) => {
  const addr = await registry(t, false);
  const d = await startDaemon(t);
  const ref = `${addr}/it/busybox:1`;
  assert.equal((await d.docker(["tag", "busybox", ref])).code, 0);
  const push = await d.docker(["push", ref]);
  assert.equal(push.code, 0, push.stderr);
  assert.match(push.stdout, new RegExp(`The push refers to repository \\[${addr}/it/busybox\\]`));
  assert.match(push.stdout, /Pushed/);
  assert.match(push.stdout, /1: digest: sha256:[a-f0-9]{64} size: \d+/);
  const id = (await d.docker(["image", "inspect", "-f", "{{.Id}}", ref])).stdout.trim();
  assert.equal((await d.docker(["rmi", ref])).code, 0);

  const pull = await d.docker(["pull", ref]);
  assert.equal(pull.code, 0, pull.stderr);
  assert.match(pull.stdout, /1: Pulling from it\/busybox|Pulling from/);
  assert.match(pull.stdout, /Digest: sha256:[a-f0-9]{64}/);
  assert.match(pull.stdout, new RegExp(`Status: Image is up to date for ${addr}/it/busybox:1|Status: Downloaded newer image for ${addr}/it/busybox:1`));
  assert.equal((await d.docker(["image", "inspect", "-f", "{{.Id}}", ref])).stdout.trim(), id);
  const digests = (await d.docker(["image", "inspect", "-f", "{{json .RepoDigests}}", ref])).stdout.trim();
  assert.match(digests, new RegExp(`${addr}/it/busybox@sha256:[a-f0-9]{64}`));

  const missing = await d.docker(["pull", `${addr}/it/nothing:here`]);
  assert.notEqual(missing.code, 0);
  assert.match(missing.stderr, /manifest unknown/);

  const raw = await httpCall(d.socket, "POST", `/v1.45/images/create?fromImage=${encodeURIComponent(`${addr}/it/busybox`)}&tag=1`);
  assert.equal(raw.status, 200);
  const lines = raw.body.trim().split("\n").map((l) => JSON.parse(l) as { status?: string; id?: string });
  assert.deepEqual(lines[0], { status: "Pulling from it/busybox".replace("it/busybox", `${addr}/it/busybox`), id: "1" });
  assert.equal(lines.at(-1)?.status, `Status: Image is up to date for ${addr}/it/busybox:1`);
});

test("docker login stores credentials; pushes then authenticate", async (t) => {
  const addr = await registry(t, true);
  const d = await startDaemon(t);
  const bad = await d.docker(["login", "-u", "dave", "--password-stdin", addr], "wrong\n");
  assert.notEqual(bad.code, 0);
  const ok = await d.docker(["login", "-u", "dave", "--password-stdin", addr], "hunter2\n");
  assert.equal(ok.code, 0, ok.stderr);
  assert.match(ok.stdout, /Login Succeeded/);
  const cfg = JSON.parse(await readFile(join(d.dir, "docker-config", "config.json"), "utf8")) as { auths: Record<string, { auth: string }> };
  assert.equal(cfg.auths[addr]?.auth, Buffer.from("dave:hunter2").toString("base64"));
  const ref = `${addr}/private/busybox:latest`;
  assert.equal((await d.docker(["tag", "busybox", ref])).code, 0);
  const push = await d.docker(["push", ref]);
  assert.equal(push.code, 0, push.stderr);
  assert.equal((await d.docker(["logout", addr])).code, 0);
  // (docker pull would prompt for credentials on a 401, so ask the API directly.)
  const denied = await httpCall(d.socket, "POST", `/v1.45/images/create?fromImage=${encodeURIComponent(`${addr}/private/busybox`)}&tag=latest`);
  assert.equal(denied.status, 401);
  assert.match(denied.body, /unauthorized/);
  const withAuth = Buffer.from(JSON.stringify({ username: "dave", password: "hunter2", serveraddress: addr })).toString("base64url");
  const allowed = await new Promise<number>((resolve, reject) => {
    const req = request({ socketPath: d.socket, method: "POST", path: `/v1.45/images/create?fromImage=${encodeURIComponent(`${addr}/private/busybox`)}&tag=latest`, headers: { "X-Registry-Auth": withAuth } }, (res) => {
      res.resume();
      res.on("end", () => resolve(res.statusCode ?? 0));
    });
    req.on("error", reject);
    req.end();
  });
  assert.equal(allowed, 200);
});

test("daemon.json registry-mirrors: docker info lists the mirror and a Docker Hub name is pulled from it", async (t) => {
  const addr = await registry(t, false);
  const d = await startDaemon(t, { daemonJson: { "registry-mirrors": [`http://${addr}`], "insecure-registries": ["registry.test:5000", "10.99.0.0/16"] } });
  // Prove the configuration first: the pull below must never fall through to docker.io.
  const info = await d.docker(["info", "--format", "{{json .RegistryConfig}}"]);
  assert.equal(info.code, 0, info.stderr);
  const rc = JSON.parse(info.stdout) as { Mirrors: string[]; InsecureRegistryCIDRs: string[]; IndexConfigs: Record<string, { Secure: boolean; Mirrors: string[] }> };
  assert.deepEqual(rc.Mirrors, [`http://${addr}/`]);
  assert.deepEqual(rc.IndexConfigs["docker.io"]?.Mirrors, [`http://${addr}/`]);
  assert.deepEqual(rc.InsecureRegistryCIDRs, ["127.0.0.0/8", "10.99.0.0/16"]);
  assert.equal(rc.IndexConfigs["registry.test:5000"]?.Secure, false);

  const onMirror = `${addr}/library/busybox:mirrored`;
  assert.equal((await d.docker(["tag", "busybox", onMirror])).code, 0);
  const push = await d.docker(["push", onMirror]);
  assert.equal(push.code, 0, push.stderr);
  assert.equal((await d.docker(["rmi", onMirror])).code, 0);
  const pull = await d.docker(["pull", "busybox:mirrored"]);
  assert.equal(pull.code, 0, pull.stderr);
  assert.match(pull.stdout, /Status: (Downloaded newer image|Image is up to date) for busybox:mirrored/);
  assert.equal((await d.docker(["image", "inspect", "-f", "{{.Id}}", "busybox:mirrored"])).code, 0);
});

test("run of an image that is not local pulls it first (docker run and berth run)", async (t) => {
  const addr = await registry(t, false);
  const d = await startDaemon(t);
  const ref = `${addr}/it/runpull:1`;
  assert.equal((await d.docker(["tag", "busybox", ref])).code, 0);
  assert.equal((await d.docker(["push", ref])).code, 0);
  assert.equal((await d.docker(["rmi", ref])).code, 0);

  const viaDocker = await d.docker(["run", "--rm", ref, "echo", "pulled and ran"]);
  assert.equal(viaDocker.code, 0, viaDocker.stderr);
  assert.equal(viaDocker.stdout, "pulled and ran\n");
  assert.match(viaDocker.stderr, new RegExp(`Unable to find image '${ref}' locally`));

  assert.equal((await d.docker(["rmi", ref])).code, 0);
  const viaBerth = await d.berth(["run", "--rm", ref, "sh", "-c", "echo berth pulled; exit 3"]);
  assert.equal(viaBerth.code, 3, viaBerth.stderr);
  assert.equal(viaBerth.stdout, "berth pulled\n");
  assert.match(viaBerth.stderr, new RegExp(`Unable to find image '${ref}' locally`));
  assert.match(viaBerth.stderr, /Status: Downloaded newer image for /);

  const missing = await d.berth(["run", "--rm", `${addr}/it/absent:1`, "true"]);
  assert.equal(missing.code, 125);
  assert.match(missing.stderr, /manifest unknown/);

  const always = await d.berth(["run", "--rm", "--pull", "always", ref, "true"]);
  assert.equal(always.code, 0, always.stderr);
  assert.match(always.stderr, /Status: Image is up to date for /);
  assert.equal((await d.docker(["rmi", ref])).code, 0);
  const never = await d.berth(["run", "--rm", "--pull", "never", ref, "true"]);
  assert.equal(never.code, 125);
  assert.match(never.stderr, /No such image: /);
  assert.doesNotMatch(never.stderr, /Unable to find image/);
  const bad = await d.berth(["create", "--pull", "sometimes", ref]);
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /invalid pull option: 'sometimes'/);
});
