import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdir, mkdtemp, rm, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { upperChanges } from "./changes.js";

test("upperChanges: added, modified, parents, unchanged directories and init mount points", async (t) => {
  const base = await mkdtemp(join(tmpdir(), "berth-changes-"));
  t.after(() => rm(base, { recursive: true, force: true }));
  const lower = join(base, "lower");
  const upper = join(base, "upper");
  for (const d of ["etc", "usr/lib", "var"]) await mkdir(join(lower, d), { recursive: true });
  await writeFile(join(lower, "etc", "passwd"), "root\n");
  // upper: /etc copied up for a changed passwd, /etc/hosts only a mount point,
  // /usr and /usr/lib copied up unchanged (same mtime) holding a new file, a new /data tree.
  for (const d of ["etc", "usr/lib", "data/sub", "var"]) await mkdir(join(upper, d), { recursive: true });
  await writeFile(join(upper, "etc", "passwd"), "root\nme\n");
  await writeFile(join(upper, "etc", "hosts"), "");
  await writeFile(join(upper, "usr", "lib", "new.so"), "x");
  await writeFile(join(upper, "data", "sub", "f"), "y");
  await writeFile(join(upper, "var", "hostname"), "");
  // Copied-up directories keep their times exactly, as overlayfs copy-up does.
  for (const d of ["usr", "usr/lib", "var"]) {
    await utimes(join(lower, d), 1_600_000_000, 1_600_000_000);
    await utimes(join(upper, d), 1_600_000_000, 1_600_000_000);
  }
  // /etc was written to in the container: a later mtime than the image's (set, so that two
  // writes within one timestamp tick cannot make them equal).
  await utimes(join(lower, "etc"), 1_600_000_000, 1_600_000_000);
  await utimes(join(upper, "etc"), 1_700_000_000, 1_700_000_000);
  const changes = await upperChanges(upper, [lower]);
  assert.deepEqual(changes.map((c) => `${"CAD"[c.Kind]} ${c.Path}`), [
    "A /data", "A /data/sub", "A /data/sub/f", "C /etc", "C /etc/passwd", "C /usr/lib", "A /usr/lib/new.so", "C /var", "A /var/hostname",
  ]);
  // Nothing but the runtime's mount points: no change at all.
  const upper2 = join(base, "upper2");
  await mkdir(join(upper2, "etc"), { recursive: true });
  for (const f of ["hosts", "hostname", "resolv.conf"]) await writeFile(join(upper2, "etc", f), "");
  assert.deepEqual(await upperChanges(upper2, [lower]), []);
});
