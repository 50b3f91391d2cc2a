import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readFile, readlink, rm, lstat, readdir, mkdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { createHash } from "node:crypto";
import { FakeHost } from "../../kernel/fake-host.js";
import { S_IFCHR } from "../../kernel/host.js";
import { extractLayer } from "./extract-layer.js";
import { makeTar } from "./tar-fixture.js";
import { chainId, chainIds } from "./chain-id.js";

async function dest(t: { after: (fn: () => Promise<void>) => void }): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), "berth-extract-"));
  t.after(() => rm(d, { recursive: true, force: true }));
  return d;
}

test("extractLayer() writes files, dirs, symlinks and hard links and returns the diff id", async (t) => {
  const d = await dest(t);
  const tarball = await makeTar([
    { name: "etc/", type: "directory" },
    { name: "etc/hostname", data: "box\n", mode: 0o600 },
    { name: "bin/sh", type: "symlink", linkname: "/bin/busybox" },
    { name: "etc/hn2", type: "link", linkname: "etc/hostname" },
  ]);
  const host = new FakeHost();
  const res = await extractLayer(Readable.from([tarball]), d, host);
  assert.equal(res.diffId, `sha256:${createHash("sha256").update(tarball).digest("hex")}`);
  assert.equal(res.size, 4);
  assert.equal(await readFile(join(d, "etc/hostname"), "utf8"), "box\n");
  assert.equal((await lstat(join(d, "etc/hostname"))).mode & 0o777, 0o600);
  assert.equal(await readlink(join(d, "bin/sh")), "/bin/busybox");
  assert.equal((await lstat(join(d, "etc/hn2"))).ino, (await lstat(join(d, "etc/hostname"))).ino);
  assert.deepEqual(host.calls, []);
});

test("extractLayer() accepts gzip and reports the diff id of the uncompressed tar", async (t) => {
  const d = await dest(t);
  const plain = await makeTar([{ name: "a", data: "x" }]);
  const gz = await makeTar([{ name: "a", data: "x" }], true);
  const res = await extractLayer(Readable.from([gz]), d, new FakeHost());
  assert.equal(res.diffId, `sha256:${createHash("sha256").update(plain).digest("hex")}`);
  assert.equal(await readFile(join(d, "a"), "utf8"), "x");
});

test("extractLayer() turns OCI whiteouts into overlay whiteouts in one batch each", async (t) => {
  const d = await dest(t);
  const host = new FakeHost();
  await extractLayer(Readable.from([await makeTar([
    { name: "etc/.wh.passwd" },
    { name: "etc/.wh.group" },
    { name: "var/.wh..wh..opq" },
    { name: ".wh..wh.plnk/x" },
  ])]), d, host);
  assert.deepEqual(host.calls, [
    { op: "mknod", path: join(d, "etc/passwd"), mode: S_IFCHR, major: 0, minor: 0 },
    { op: "mknod", path: join(d, "etc/group"), mode: S_IFCHR, major: 0, minor: 0 },
    { op: "setxattr", path: join(d, "var"), name: "trusted.overlay.opaque", value: "y" },
  ]);
  assert.equal(host.batches, 2);
  assert.deepEqual((await readdir(d)).sort(), ["etc", "var"]);
});

test("extractLayer() creates device nodes through the host, as Docker does as root", async (t) => {
  const d = await dest(t);
  const host = new FakeHost();
  await extractLayer(Readable.from([await makeTar([
    { name: "dev/null", type: "character-device", devmajor: 1, devminor: 3, mode: 0o666 },
  ])]), d, host);
  assert.deepEqual(host.calls, [{ op: "mknod", path: join(d, "dev/null"), mode: S_IFCHR | 0o666, major: 1, minor: 3 }]);
});

const hostile: Array<[string, Parameters<typeof makeTar>[0], RegExp]> = [
  ["an absolute path", [{ name: "/etc/passwd", data: "x" }], /is absolute/],
  ["a .. component", [{ name: "a/../../etc/passwd", data: "x" }], /escapes the layer root/],
  ["a write through a symlink", [
    { name: "evil", type: "symlink", linkname: "/etc" },
    { name: "evil/passwd", data: "x" },
  ], /written through the symlink "evil"/],
  ["a hard link outside the root", [{ name: "pw", type: "link", linkname: "../../etc/passwd" }], /escapes the layer root/],
  ["a hard link to an absolute path", [{ name: "pw", type: "link", linkname: "/etc/passwd" }], /is absolute/],
  ["a hard link to a missing file", [{ name: "pw", type: "link", linkname: "nope" }], /not in the layer/],
  ["a hard link through a symlink", [
    { name: "evil", type: "symlink", linkname: "/etc" },
    { name: "pw", type: "link", linkname: "evil/passwd" },
  ], /written through the symlink/],
  ["an over-long name", [{ name: `${"a/".repeat(2100)}x`, data: "x" }], /too long/],
];
for (const [what, entries, re] of hostile) {
  test(`extractLayer() rejects ${what}`, async (t) => {
    const d = await dest(t);
    const outside = join(d, "..", `outside-${process.pid}`);
    await assert.rejects(extractLayer(Readable.from([await makeTar(entries)]), join(d), new FakeHost()), (e: Error & { kind?: string }) => {
      assert.match(e.message, re);
      assert.equal(e.kind, "invalid-argument");
      return true;
    });
    await assert.rejects(lstat(outside));
  });
}

test("extractLayer() rejects a huge PAX header with a clear error", async (t) => {
  const d = await dest(t);
  const tarball = await makeTar([{ name: "a", data: "x", pax: { comment: "x".repeat(5 * 1024 * 1024) } }]);
  await assert.rejects(extractLayer(Readable.from([tarball]), d, new FakeHost()), (e: Error & { kind?: string }) => {
    assert.equal(e.message, "extract layer: tar header is too large");
    assert.equal(e.kind, "invalid-argument");
    return true;
  });
});

test("extractLayer() rejects garbage and truncated archives with invalid-argument", async (t) => {
  const d = await dest(t);
  const good = await makeTar([{ name: "big", data: Buffer.alloc(5000, 1) }]);
  for (const bad of [Buffer.alloc(1024, 7), good.subarray(0, 1500)]) {
    await mkdir(join(d, "x"), { recursive: true });
    await assert.rejects(extractLayer(Readable.from([bad]), join(d, "x"), new FakeHost()), (e: Error & { kind?: string }) => {
      assert.equal(e.kind, "invalid-argument", e.message);
      return true;
    });
    await rm(join(d, "x"), { recursive: true, force: true });
  }
});

test("chainIds() follows the OCI image spec", () => {
  const a = `sha256:${"a".repeat(64)}`;
  const b = `sha256:${"b".repeat(64)}`;
  const ab = `sha256:${createHash("sha256").update(`${a} ${b}`).digest("hex")}`;
  assert.deepEqual(chainIds([a, b]), [a, ab]);
  assert.equal(chainId(undefined, a), a);
});

test("packDirectory() output extracts back to the same tree", async (t) => {
  const { packDirectory } = await import("./pack-dir.js");
  const { writeFile, symlink, link: hardlink } = await import("node:fs/promises");
  const src = await dest(t);
  const out = await dest(t);
  await mkdir(join(src, "bin"));
  await writeFile(join(src, "bin", "busybox"), "ELF");
  await symlink("busybox", join(src, "bin", "sh"));
  await hardlink(join(src, "bin", "busybox"), join(src, "bin", "bb2"));
  await extractLayer(packDirectory(src, { mtime: new Date(0) }), out, new FakeHost());
  assert.equal(await readFile(join(out, "bin/busybox"), "utf8"), "ELF");
  assert.equal(await readlink(join(out, "bin/sh")), "busybox");
  assert.equal((await lstat(join(out, "bin/bb2"))).ino, (await lstat(join(out, "bin/busybox"))).ino);
});

test("packLayerDiff() marks opaque directories found through the host", async (t) => {
  const { packLayerDiff } = await import("./pack-dir.js");
  const { writeFile } = await import("node:fs/promises");
  const src = await dest(t);
  const out = await dest(t);
  await mkdir(join(src, "var"));
  await writeFile(join(src, "var", "x"), "1");
  const host = new FakeHost();
  await host.setxattr(join(src, "var"), "trusted.overlay.opaque", "y");
  const back = new FakeHost();
  await extractLayer(await packLayerDiff(src, host), out, back);
  assert.deepEqual(back.calls, [{ op: "setxattr", path: join(out, "var"), name: "trusted.overlay.opaque", value: "y" }]);
});
