/**
 * The conformance suite of `Host` (containerd's SnapshotterSuite idea): the same checks run
 * against the recording fake (unit test, no root) and `NativeHost` (root test), so the fake
 * cannot drift from the real thing on what both can do.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { lstat, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { KernelError } from "../shared/errors.js";
import { S_IFCHR, type Host } from "./host.js";

/** Register the suite's tests for the host `make()` returns. */
export function hostConformance(name: string, make: () => Host): void {
  const withDir = async (t: { after: (fn: () => Promise<void>) => void }) => {
    const d = await mkdtemp(join(tmpdir(), "berth-host-suite-"));
    t.after(() => rm(d, { recursive: true, force: true }));
    return d;
  };

  test(`${name}: mknodMany() creates an entry at every path, in paths with spaces too`, async (t) => {
    const d = await withDir(t);
    const paths = [join(d, "a"), join(d, "b c")];
    await make().mknodMany(paths.map((path) => ({ path, mode: S_IFCHR, major: 0, minor: 0 })));
    for (const p of paths) await lstat(p);
  });

  test(`${name}: mknod() in a missing directory fails with a KernelError naming mknod`, async (t) => {
    const d = await withDir(t);
    await assert.rejects(make().mknod(join(d, "missing", "x"), S_IFCHR, 0, 0), (e: unknown) => e instanceof KernelError && e.op === "mknod");
  });

  test(`${name}: findXattrs() returns exactly the paths setxattrMany() marked`, async (t) => {
    const d = await withDir(t);
    const host = make();
    await mkdir(join(d, "x y"));
    await mkdir(join(d, "plain"));
    await writeFile(join(d, "x y", "f"), "");
    await host.setxattrMany([{ path: join(d, "x y"), name: "trusted.overlay.opaque", value: "y" }]);
    const found = await host.findXattrs(d, "trusted.overlay.opaque");
    assert.deepEqual([...found], [[join(d, "x y"), "y"]]);
  });

  test(`${name}: syncfs() succeeds on an existing directory`, async (t) => {
    const d = await withDir(t);
    await make().syncfs(d);
  });
}
