/** `berth login/push/pull/logout` through berthd against `berth registry` on loopback. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { htpasswdLine, serveRegistry } from "../../../src/registry/index.js";
import { CLI_MAIN, runCommand, startDaemon } from "../daemon/daemon-helper.js";

test("berth login, push, pull and logout", async (t) => {
  const root = await mkdtemp(join(tmpdir(), "berth-dist-cli-"));
  await writeFile(join(root, "htpasswd"), `${htpasswdLine("erin", "pa55")}\n`);
  const reg = await serveRegistry({ addr: "127.0.0.1:0", root: join(root, "data"), htpasswd: join(root, "htpasswd") });
  t.after(async () => {
    reg.server.closeAllConnections();
    await reg.close();
    await rm(root, { recursive: true, force: true });
  });
  const d = await startDaemon(t);
  const env = { DOCKER_CONFIG: join(root, "docker-config") };
  const berth = (args: string[], input?: string) => runCommand(process.execPath, [CLI_MAIN, "-H", d.host, ...args], { env, ...(input !== undefined ? { input } : {}) });
  const addr = reg.address;
  const ref = `${addr}/cli/busybox:v2`;
  assert.equal((await berth(["tag", "busybox", ref])).code, 0);

  const denied = await berth(["push", ref]);
  assert.notEqual(denied.code, 0);
  assert.match(denied.stderr, /unauthorized|authentication required/);

  const bad = await berth(["login", "-u", "erin", "--password-stdin", addr], "nope\n");
  assert.notEqual(bad.code, 0);
  const login = await berth(["login", "-u", "erin", "--password-stdin", addr], "pa55\n");
  assert.equal(login.code, 0, login.stderr);
  assert.equal(login.stdout, "Login Succeeded\n");
  const cfg = JSON.parse(await readFile(join(env.DOCKER_CONFIG, "config.json"), "utf8")) as { auths: Record<string, { auth: string }> };
  assert.equal(cfg.auths[addr]?.auth, Buffer.from("erin:pa55").toString("base64"));

  const push = await berth(["push", ref]);
  assert.equal(push.code, 0, push.stderr);
  assert.match(push.stdout, new RegExp(`^The push refers to repository \\[${addr}/cli/busybox\\]`));
  assert.match(push.stdout, /[a-f0-9]{12}: Pushed/);
  assert.match(push.stdout, /v2: digest: sha256:[a-f0-9]{64} size: \d+/);

  assert.equal((await berth(["rmi", ref])).code, 0);
  const pull = await berth(["pull", ref]);
  assert.equal(pull.code, 0, pull.stderr);
  assert.match(pull.stdout, new RegExp(`v2: Pulling from ${addr}/cli/busybox`));
  assert.match(pull.stdout, /Digest: sha256:[a-f0-9]{64}/);
  assert.match(pull.stdout, new RegExp(`Status: (Downloaded newer image|Image is up to date) for ${addr}/cli/busybox:v2`));
  assert.equal((await berth(["image", "inspect", ref])).code, 0);

  const logout = await berth(["logout", addr]);
  assert.equal(logout.stdout, `Removing login credentials for ${addr}\n`);
  const after = await berth(["pull", ref]);
  assert.notEqual(after.code, 0);
});
