import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile, stat, chmod } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { copyUp, resolveContainerPath, resolveInRoot } from "./copy-up.js";

test("symlinks resolve inside the root, never to the host path they name", async (t) => {
  const root = await mkdtemp(join(tmpdir(), "berth-copyup-"));
  t.after(() => rm(root, { recursive: true, force: true }));
  await mkdir(join(root, "real", "d"), { recursive: true });
  await symlink("/etc", join(root, "data"));
  await symlink("../real", join(root, "rel"));
  await symlink("/../../..", join(root, "up"));
  assert.equal(await resolveContainerPath(root, "/data/x"), "/etc/x");
  assert.equal(await resolveContainerPath(root, "/rel/d/new"), "/real/d/new");
  assert.equal(await resolveContainerPath(root, "/up/etc"), "/etc");
  assert.equal(await resolveContainerPath(root, "/missing/a"), "/missing/a");
  assert.equal(await resolveInRoot(root, "/rel/d"), join(root, "real", "d"));
  assert.equal(await resolveInRoot(root, "/data"), undefined, "the root has no /etc");
});

test("copyUp fills an empty volume with owner, mode and content; a non-empty one is left alone", async (t) => {
  const root = await mkdtemp(join(tmpdir(), "berth-copyup-"));
  t.after(() => rm(root, { recursive: true, force: true }));
  await mkdir(join(root, "rootfs", "srv", "sub"), { recursive: true });
  await chmod(join(root, "rootfs", "srv"), 0o750);
  await writeFile(join(root, "rootfs", "srv", "sub", "f"), "seed");
  await mkdir(join(root, "vol"));
  assert.equal(await copyUp(join(root, "rootfs"), "/srv", join(root, "vol")), true);
  assert.equal(await readFile(join(root, "vol", "sub", "f"), "utf8"), "seed");
  assert.equal((await stat(join(root, "vol"))).mode & 0o777, 0o750);
  await writeFile(join(root, "rootfs", "srv", "g"), "later");
  assert.equal(await copyUp(join(root, "rootfs"), "/srv", join(root, "vol")), false);
  assert.equal(await copyUp(join(root, "rootfs"), "/nothing", join(root, "vol")), false);
});
