import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm, stat, mkdir, writeFile, readdir } from "node:fs/promises";
import { execFileSync } from "node:child_process";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { NativeHost } from "./native-host.js";
import { S_IFCHR, S_IFIFO } from "./host.js";
import { hostConformance } from "./host-testsuite.js";

test("NativeHost creates whiteout devices and fifos, sets xattrs, mounts and unmounts overlay", async (t) => {
  const d = await mkdtemp(join(tmpdir(), "berth-host-"));
  const host = new NativeHost();
  const merged = join(d, "merged");
  let mounted = false;
  t.after(async () => {
    if (mounted) await host.umount(merged, 2).catch(() => undefined);
    await rm(d, { recursive: true, force: true });
  });
  await mkdir(join(d, "lower", "dir"), { recursive: true });
  await writeFile(join(d, "lower", "gone"), "x");
  await writeFile(join(d, "lower", "dir", "old"), "x");
  await mkdir(join(d, "upper", "dir"), { recursive: true });
  await mkdir(join(d, "work"));
  await mkdir(merged);
  await host.mknodMany([
    { path: join(d, "upper", "gone"), mode: S_IFCHR, major: 0, minor: 0 },
    { path: join(d, "fifo with space"), mode: S_IFIFO | 0o600, major: 0, minor: 0 },
  ]);
  const st = await stat(join(d, "upper", "gone"));
  assert.ok(st.isCharacterDevice());
  assert.equal(st.rdev, 0);
  assert.ok((await stat(join(d, "fifo with space"))).isFIFO());
  await host.setxattrMany([{ path: join(d, "upper", "dir"), name: "trusted.overlay.opaque", value: "y" }]);
  const out = execFileSync("getfattr", ["--absolute-names", "-n", "trusted.overlay.opaque", join(d, "upper", "dir")], { encoding: "utf8" });
  assert.match(out, /trusted.overlay.opaque="y"/);
  await host.mount("overlay", merged, "overlay", 0, "lowerdir=lower,upperdir=upper,workdir=work", d);
  mounted = true;
  assert.deepEqual((await readdir(merged)).sort(), ["dir"]);
  assert.deepEqual(await readdir(join(merged, "dir")), []);
  await host.umount(merged);
  mounted = false;
  assert.deepEqual(await readdir(merged), []);
});

test("NativeHost reports a failing mount as a KernelError naming the target", async () => {
  await assert.rejects(
    new NativeHost().mount("none", "/nonexistent-berth-target", "tmpfs", 0, ""),
    (e: Error & { op?: string; path?: string }) => e.op === "mount" && e.path === "/nonexistent-berth-target",
  );
});

hostConformance("NativeHost", () => new NativeHost());
