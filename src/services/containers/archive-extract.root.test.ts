import { test } from "node:test";
import assert from "node:assert/strict";
import { lstat, mkdir, mkdtemp, readFile, readdir, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import tar from "tar-stream";
import { FakeHost } from "../../kernel/fake-host.js";
import { extractArchive } from "./archive-extract.js";
import { packPath } from "./archive-pack.js";

function tarOf(entries: Array<{ name: string; type?: "file" | "directory" | "symlink"; body?: string; linkname?: string; uid?: number }>): Readable {
  const pack = tar.pack();
  for (const e of entries) {
    if (e.type === "file" || e.type === undefined) pack.entry({ name: e.name, mode: 0o644, uid: e.uid ?? 0, gid: 0 }, e.body ?? "");
    else if (e.type === "symlink") pack.entry({ name: e.name, type: "symlink", linkname: e.linkname ?? "" });
    else pack.entry({ name: e.name, type: "directory", mode: 0o755 });
  }
  pack.finalize();
  return pack as unknown as Readable;
}

test("extractArchive: parents resolved inside the root, escapes refused, noOverwriteDirNonDir, chown", { skip: process.geteuid?.() !== 0 ? "needs root (chown)" : false }, async (t) => {
  const root = await mkdtemp(join(tmpdir(), "berth-extract-"));
  const outside = await mkdtemp(join(tmpdir(), "berth-outside-"));
  t.after(() => Promise.all([rm(root, { recursive: true, force: true }), rm(outside, { recursive: true, force: true })]));
  await mkdir(join(root, "dst"));
  await mkdir(join(root, "etc"));
  await symlink(outside, join(root, "dst", "host"));
  await symlink("../../..", join(root, "dst", "up"));
  const host = new FakeHost();
  await extractArchive(tarOf([
    { name: "a/b.txt", body: "b", uid: 4321 }, { name: "host/x", body: "x" }, { name: "up/etc/y", body: "y" },
  ]), root, "/dst", host);
  assert.equal(await readFile(join(root, "dst", "a", "b.txt"), "utf8"), "b");
  assert.equal((await lstat(join(root, "dst", "a", "b.txt"))).uid, 4321);
  assert.equal(await readFile(join(root, outside, "x"), "utf8"), "x", "through an absolute link: inside the root");
  assert.equal(await readFile(join(root, "etc", "y"), "utf8"), "y", "through ..: stops at the root");
  assert.deepEqual(await readdir(outside), []);
  await assert.rejects(extractArchive(tarOf([{ name: "../evil", body: "e" }]), root, "/dst", host), /escapes the layer root/);
  await assert.rejects(extractArchive(tarOf([{ name: "/abs", body: "e" }]), root, "/dst", host), /is absolute/);
  await assert.rejects(extractArchive(tarOf([{ name: "a", body: "file over dir" }]), root, "/dst", host, { noOverwriteDirNonDir: true }),
    /cannot overwrite directory "\/dst\/a" with non-directory "a"/);
  await extractArchive(tarOf([{ name: "c.txt", body: "c", uid: 7 }]), root, "/dst", host, { chown: { uid: 99, gid: 98 } });
  assert.deepEqual([(await lstat(join(root, "dst", "c.txt"))).uid, (await lstat(join(root, "dst", "c.txt"))).gid], [99, 98]);
  await assert.rejects(extractArchive(Readable.from([Buffer.alloc(700, 7)]), root, "/dst", host), /invalid tar archive/);

  // And back: packPath names the top entry as asked and keeps the tree.
  await writeFile(join(root, "dst", "a", "z"), "z");
  const names: string[] = [];
  const ex = tar.extract();
  ex.on("entry", (h, s, next) => { names.push(h.name); s.resume(); s.on("end", next); });
  await new Promise<void>((resolve, reject) => { packPath(join(root, "dst", "a"), "renamed").pipe(ex).on("finish", resolve).on("error", reject); });
  assert.deepEqual(names, ["renamed/", "renamed/b.txt", "renamed/z"]);
});
