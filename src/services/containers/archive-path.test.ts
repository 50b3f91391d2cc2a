import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { absContainerPath, baseName, hostPathOf, resolveInRoot } from "./archive-path.js";

test("resolveInRoot: symlinks are followed inside the root and never leave it", async (t) => {
  const root = await mkdtemp(join(tmpdir(), "berth-resolve-"));
  t.after(() => rm(root, { recursive: true, force: true }));
  await mkdir(join(root, "etc"));
  await mkdir(join(root, "data", "dir"), { recursive: true });
  await writeFile(join(root, "etc", "passwd"), "");
  await symlink("/etc", join(root, "data", "abs"));
  await symlink("../../../../..", join(root, "data", "up"));
  await symlink("dir", join(root, "data", "rel"));
  await symlink("/data/loop2", join(root, "data", "loop1"));
  await symlink("/data/loop1", join(root, "data", "loop2"));
  await symlink(tmpdir(), join(root, "data", "host"));

  assert.equal(await resolveInRoot(root, "/data/abs/passwd"), "/etc/passwd");
  assert.equal(await resolveInRoot(root, "data/up/etc/passwd"), "/etc/passwd");
  assert.equal(await resolveInRoot(root, "/data/up/../../.."), "/");
  assert.equal(await resolveInRoot(root, "/data/rel/x"), "/data/dir/x");
  assert.equal(await resolveInRoot(root, "/data/abs", false), "/data/abs");
  assert.equal(await resolveInRoot(root, "/data/abs", true), "/etc");
  // A link naming a host path means that path inside the root.
  assert.equal(await resolveInRoot(root, "/data/host/secret"), `${tmpdir()}/secret`);
  assert.equal(hostPathOf(root, await resolveInRoot(root, "/data/host/secret")), join(root, tmpdir(), "secret"));
  assert.equal(await resolveInRoot(root, "/missing/../data/./dir/"), "/data/dir");
  await assert.rejects(resolveInRoot(root, "/data/loop1/x"), /too many levels of symbolic links/);
});

test("absContainerPath, baseName and hostPathOf: docker's trailing dot and slash rules", () => {
  assert.equal(absContainerPath("etc"), "/etc");
  assert.equal(absContainerPath("/etc/"), "/etc/");
  assert.equal(absContainerPath("/etc/."), "/etc/.");
  assert.equal(absContainerPath("/a/../../b"), "/b");
  assert.equal(absContainerPath("/"), "/");
  assert.equal(baseName("/etc/"), "etc");
  assert.equal(baseName("/etc/."), ".");
  assert.equal(baseName("/"), "/");
  assert.equal(hostPathOf("/proc/1/root", "/"), "/proc/1/root/");
  assert.equal(hostPathOf("/r", "/a/b"), "/r/a/b");
});
