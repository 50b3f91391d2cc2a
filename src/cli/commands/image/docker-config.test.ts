import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { configKey, dockerConfigPath, readAuth, registryOf, removeAuth, writeAuth } from "./docker-config.js";

test("the registry of an image name follows docker's reference rules", () => {
  assert.equal(registryOf("busybox"), "docker.io");
  assert.equal(registryOf("me/app:1"), "docker.io");
  assert.equal(registryOf("localhost/app"), "localhost");
  assert.equal(registryOf("127.0.0.1:5000/a/b:c"), "127.0.0.1:5000");
  assert.equal(registryOf("quay.io/x/y@sha256:" + "a".repeat(64)), "quay.io");
  assert.equal(configKey("docker.io"), "https://index.docker.io/v1/");
  assert.equal(configKey("http://127.0.0.1:5000/v2/"), "127.0.0.1:5000");
  assert.equal(dockerConfigPath({ DOCKER_CONFIG: "/x" }), "/x/config.json");
});

test("credentials are stored as base64 user:pass under auths, mode 0600, other keys kept", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "berth-cli-cfg-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const path = join(dir, "config.json");
  assert.equal(await readAuth(path, "127.0.0.1:5000"), undefined);
  await writeAuth(path, "127.0.0.1:5000", "u", "p:w");
  await writeAuth(path, "docker.io", "hub", "x");
  const raw = JSON.parse(await readFile(path, "utf8")) as { auths: Record<string, { auth: string }> };
  assert.equal(raw.auths["127.0.0.1:5000"]?.auth, Buffer.from("u:p:w").toString("base64"));
  assert.equal(raw.auths["https://index.docker.io/v1/"]?.auth, Buffer.from("hub:x").toString("base64"));
  assert.equal((await stat(path)).mode & 0o777, 0o600);
  assert.deepEqual(await readAuth(path, "127.0.0.1:5000"), { serveraddress: "127.0.0.1:5000", username: "u", password: "p:w" });
  assert.equal(await removeAuth(path, "127.0.0.1:5000"), true);
  assert.equal(await removeAuth(path, "127.0.0.1:5000"), false);
  assert.equal((await readAuth(path, "docker.io"))?.username, "hub");
});
