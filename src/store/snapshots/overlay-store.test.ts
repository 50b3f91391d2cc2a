import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readFile, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { FakeHost } from "../../kernel/fake-host.js";
import { OverlayStore } from "./overlay-store.js";
import { makeTar } from "./tar-fixture.js";
import { chainIds } from "./chain-id.js";

async function open(t: { after: (fn: () => Promise<void>) => void }) {
  const d = await mkdtemp(join(tmpdir(), "berth-overlay-"));
  t.after(() => rm(d, { recursive: true, force: true }));
  const host = new FakeHost();
  return { root: d, host, store: await OverlayStore.open(d, host) };
}

test("OverlayStore.applyLayer() stores layers by chain id with short links and lower chains", async (t) => {
  const { root, host, store } = await open(t);
  const base = await store.applyLayer(Readable.from([await makeTar([{ name: "a", data: "1" }])]));
  const top = await store.applyLayer(Readable.from([await makeTar([{ name: "b", data: "22" }])]), { parent: base.chainId });
  assert.deepEqual(chainIds([base.diffId, top.diffId]), [base.chainId, top.chainId]);
  assert.equal(top.parent, base.chainId);
  assert.equal(top.size, 2);
  assert.equal(await readFile(join(store.diffPath(top.chainId), "b"), "utf8"), "22");
  const baseLink = (await readFile(join(root, base.chainId.slice(7), "link"), "utf8")).trim();
  assert.match(baseLink, /^[A-Z0-9]{26}$/);
  assert.equal(await store.resolveLink(baseLink), `../${base.chainId.slice(7)}/diff`);
  assert.equal(await readFile(join(root, top.chainId.slice(7), "lower"), "utf8"), `l/${baseLink}`);
  const topLink = (await readFile(join(root, top.chainId.slice(7), "link"), "utf8")).trim();
  await store.mount(top.chainId, "/u", "/w", "/m");
  assert.deepEqual(host.calls.at(-1), {
    op: "mount", source: "overlay", target: "/m", fstype: "overlay", flags: 0,
    data: `lowerdir=l/${topLink}:l/${baseLink},upperdir=/u,workdir=/w`, cwd: root,
  });
});

test("OverlayStore reference counts layers and removes them at zero", async (t) => {
  const { root, store } = await open(t);
  const tarball = await makeTar([{ name: "a", data: "1" }]);
  const l = await store.applyLayer(Readable.from([tarball]));
  const again = await store.applyLayer(Readable.from([tarball]));
  assert.equal(again.chainId, l.chainId);
  await store.acquire(l.chainId);
  await store.acquire(l.chainId);
  assert.equal((await store.get(l.chainId))?.refs, 2);
  assert.equal(await store.release(l.chainId), false);
  assert.equal(await store.release(l.chainId), true);
  assert.equal(await store.has(l.chainId), false);
  assert.deepEqual(await readdir(root), ["l", "rw"]);
  assert.deepEqual(await readdir(join(root, "l")), []);
});

test("OverlayStore.applyLayer() leaves nothing behind on a hostile tar or a diff id mismatch", async (t) => {
  const { root, store } = await open(t);
  await assert.rejects(store.applyLayer(Readable.from([await makeTar([{ name: "../x", data: "1" }])])), /escapes/);
  await assert.rejects(
    store.applyLayer(Readable.from([await makeTar([{ name: "a", data: "1" }])]), { expectedDiffId: `sha256:${"0".repeat(64)}` }),
    /does not match the diff id/,
  );
  assert.deepEqual(await readdir(root), ["l", "rw"]);
  assert.deepEqual(await readdir(join(root, "l")), []);
});

test("OverlayStore.gc() removes unreferenced layers and open() removes crash leftovers", async (t) => {
  const { root, host, store } = await open(t);
  const l = await store.applyLayer(Readable.from([await makeTar([{ name: "a", data: "1" }])]));
  assert.deepEqual(await store.gc(), [l.chainId]);
  const { mkdir, symlink } = await import("node:fs/promises");
  await mkdir(join(root, ".tmp-crashed", "diff"), { recursive: true });
  await symlink("../gone/diff", join(root, "l", "DANGLING"));
  await OverlayStore.open(root, host);
  assert.deepEqual(await readdir(root), ["l", "rw"]);
  assert.deepEqual(await readdir(join(root, "l")), []);
});

test("OverlayStore.applyLayer() refuses a missing parent", async (t) => {
  const { store } = await open(t);
  await assert.rejects(
    store.applyLayer(Readable.from([await makeTar([{ name: "a" }])]), { parent: `sha256:${"1".repeat(64)}` }),
    (e: Error & { kind?: string }) => e.kind === "not-found",
  );
});

test("OverlayStore writable layers reference their parent chain and mount with short relative options", async (t) => {
  const { root, host, store } = await open(t);
  const base = await store.applyLayer(Readable.from([await makeTar([{ name: "a", data: "1" }])]));
  const top = await store.applyLayer(Readable.from([await makeTar([{ name: "b", data: "2" }])]), { parent: base.chainId });
  const rw = await store.createRwLayer("c0ffee", top.chainId);
  assert.equal(rw.upper, join(root, "rw", "c0ffee", "diff"));
  assert.equal((await store.get(base.chainId))?.refs, 1);
  assert.equal((await store.get(top.chainId))?.refs, 1);
  await assert.rejects(store.createRwLayer("c0ffee", top.chainId), (e: Error & { kind?: string }) => e.kind === "conflict");
  await assert.rejects(store.createRwLayer("../x", top.chainId), /invalid writable layer key/);
  const at = await store.mountRwLayer("c0ffee");
  assert.equal(at, rw.merged);
  const topLink = (await readFile(join(root, top.chainId.slice(7), "link"), "utf8")).trim();
  const baseLink = (await readFile(join(root, base.chainId.slice(7), "link"), "utf8")).trim();
  assert.deepEqual(host.calls.at(-1), {
    op: "mount", source: "overlay", target: rw.merged, fstype: "overlay", flags: 0,
    data: `lowerdir=l/${topLink}:l/${baseLink},upperdir=rw/c0ffee/diff,workdir=rw/c0ffee/work`, cwd: root,
  });
  await store.removeRwLayer("c0ffee");
  assert.equal(await store.getRwLayer("c0ffee"), undefined);
  // The writable layer held the only references: its chain is gone with it.
  assert.equal(await store.has(top.chainId), false);
  assert.equal(await store.has(base.chainId), false);
  // Its files go after the answer; settled() waits for them.
  await store.settled();
  assert.deepEqual(await readdir(join(root, "rw")), []);
});
