import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, mkdir, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { NativeHost } from "../../kernel/native-host.js";
import { OverlayStore } from "./overlay-store.js";
import { makeTar } from "./tar-fixture.js";

test("OverlayStore with NativeHost: OCI whiteouts and opaque dirs hide lower content in a real overlay mount", async (t) => {
  const d = await mkdtemp(join(tmpdir(), "berth-overlay-root-"));
  const host = new NativeHost();
  const merged = join(d, "merged");
  let mounted = false;
  t.after(async () => {
    if (mounted) await host.umount(merged, 2).catch(() => undefined);
    await rm(d, { recursive: true, force: true });
  });
  const store = await OverlayStore.open(join(d, "overlay"), host);
  const base = await store.applyLayer(Readable.from([await makeTar([
    { name: "etc/", type: "directory" },
    { name: "etc/passwd", data: "root" },
    { name: "etc/keep", data: "k" },
    { name: "var/cache/", type: "directory" },
    { name: "var/cache/old", data: "o" },
  ], true)]));
  const top = await store.applyLayer(Readable.from([await makeTar([
    { name: "etc/.wh.passwd" },
    { name: "var/cache/.wh..wh..opq" },
    { name: "var/cache/new", data: "n" },
    { name: "dev/null", type: "character-device", devmajor: 1, devminor: 3, mode: 0o666 },
  ])]), { parent: base.chainId });
  await mkdir(join(d, "upper"));
  await mkdir(join(d, "work"));
  await mkdir(merged);
  await store.mount(top.chainId, join(d, "upper"), join(d, "work"), merged);
  mounted = true;
  assert.deepEqual((await readdir(join(merged, "etc"))).sort(), ["keep"]);
  assert.deepEqual(await readdir(join(merged, "var/cache")), ["new"]);
  assert.equal(await readFile(join(merged, "var/cache/new"), "utf8"), "n");
  assert.equal(await readFile(join(merged, "dev/null"), "utf8"), "");
  await store.unmount(merged);
  mounted = false;
  assert.deepEqual(await readdir(merged), []);
});

test("packLayerDiff() turns overlay whiteouts back into OCI whiteouts (round trip through NativeHost)", async (t) => {
  const { packLayerDiff } = await import("./pack-dir.js");
  const { extractLayer } = await import("./extract-layer.js");
  const { FakeHost } = await import("../../kernel/fake-host.js");
  const { S_IFCHR } = await import("../../kernel/host.js");
  const d = await mkdtemp(join(tmpdir(), "berth-diff-root-"));
  t.after(() => rm(d, { recursive: true, force: true }));
  const host = new NativeHost();
  await mkdir(join(d, "a"));
  await extractLayer(Readable.from([await makeTar([
    { name: "etc/.wh.passwd" },
    { name: "var cache/.wh..wh..opq" },
    { name: "var cache/new", data: "n" },
  ])]), join(d, "a"), host);
  const fake = new FakeHost();
  await mkdir(join(d, "b"));
  await extractLayer(await packLayerDiff(join(d, "a"), host), join(d, "b"), fake);
  assert.deepEqual(fake.calls, [
    { op: "mknod", path: join(d, "b", "etc/passwd"), mode: S_IFCHR, major: 0, minor: 0 },
    { op: "setxattr", path: join(d, "b", "var cache"), name: "trusted.overlay.opaque", value: "y" },
  ]);
  assert.equal(await readFile(join(d, "b", "var cache/new"), "utf8"), "n");
});

test("OverlayStore writable layer: a real overlay mount writes into its upper dir and diffs back to OCI", async (t) => {
  const { packLayerDiff } = await import("./pack-dir.js");
  const { extractLayer } = await import("./extract-layer.js");
  const { FakeHost } = await import("../../kernel/fake-host.js");
  const { writeFile, unlink } = await import("node:fs/promises");
  const d = await mkdtemp(join(tmpdir(), "berth-rw-root-"));
  const host = new NativeHost();
  const store = await OverlayStore.open(join(d, "overlay"), host);
  let mountedAt: string | undefined;
  t.after(async () => {
    if (mountedAt !== undefined) await host.umount(mountedAt, 2).catch(() => undefined);
    await rm(d, { recursive: true, force: true });
  });
  const base = await store.applyLayer(Readable.from([await makeTar([{ name: "etc/", type: "directory" }, { name: "etc/motd", data: "hi" }])]));
  await store.acquire(base.chainId);
  const rw = await store.createRwLayer("ctr1", base.chainId);
  mountedAt = await store.mountRwLayer("ctr1");
  await writeFile(join(mountedAt, "etc", "new"), "n");
  await unlink(join(mountedAt, "etc", "motd"));
  await store.unmount(mountedAt);
  mountedAt = undefined;
  const back = new FakeHost();
  const out = join(d, "out");
  await mkdir(out);
  await extractLayer(await packLayerDiff(rw.upper, host), out, back);
  assert.equal(await readFile(join(out, "etc", "new"), "utf8"), "n");
  assert.deepEqual(back.calls.map((c) => c.op === "mknod" ? c.path : c.op), [join(out, "etc", "motd")]);
  await store.removeRwLayer("ctr1");
  assert.equal((await store.get(base.chainId))?.refs, 1);
});
