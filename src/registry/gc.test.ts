import { test } from "node:test";
import assert from "node:assert/strict";
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { collectGarbage } from "./gc.js";
import { digest, pushBlob, pushImage, startTestRegistry } from "./testing.js";

const OCI_INDEX = "application/vnd.oci.image.index.v1+json";
const OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";

async function blobFiles(root: string): Promise<string[]> {
  const out: string[] = [];
  for (const a of ["sha256", "sha512"]) for (const h of await readdir(join(root, "blobs", a))) out.push(`${a}:${h}`);
  return out.sort();
}

test("collectGarbage keeps what manifests and indexes reference and sweeps the rest", async (t) => {
  const r = await startTestRegistry();
  t.after(() => r.cleanup());
  const kept = await pushImage(r.base, "app", "v1", "kept");
  const child = await pushImage(r.base, "app", "child-tag", "child");
  // an index naming the child; then untag the child so only the index keeps it
  const index = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: [{ mediaType: OCI_MANIFEST, digest: child.digest, size: child.body.length }] }));
  assert.equal((await fetch(`${r.base}/v2/app/manifests/multi`, { method: "PUT", body: index, headers: { "Content-Type": OCI_INDEX } })).status, 201);
  assert.equal((await fetch(`${r.base}/v2/app/manifests/child-tag`, { method: "DELETE" })).status, 202);
  const gone = await pushImage(r.base, "old", "v1", "gone");
  assert.equal((await fetch(`${r.base}/v2/old/manifests/${gone.digest}`, { method: "DELETE" })).status, 202);
  const orphan = await pushBlob(r.base, "app", "orphan layer");
  const sha512orphan = digest("big orphan", "sha512");
  await fetch(`${r.base}/v2/app/blobs/uploads/?digest=${sha512orphan}`, { method: "POST", body: "big orphan" });

  const dry = await collectGarbage({ root: r.root, dryRun: true });
  const expectDeleted = [gone.digest, digest(gone.config), digest(gone.layer), orphan, sha512orphan].sort();
  assert.deepEqual([...dry.deleted].sort(), expectDeleted);
  assert.equal((await blobFiles(r.root)).length, 12, "dry run deletes nothing");

  const graced = await collectGarbage({ root: r.root, graceSeconds: 3600 });
  assert.deepEqual(graced.deleted, [], "recent blobs are spared by the grace period");

  const res = await collectGarbage({ root: r.root });
  assert.deepEqual([...res.deleted].sort(), expectDeleted);
  const left = await blobFiles(r.root);
  const keptAll = [kept.digest, digest(kept.config), digest(kept.layer), child.digest, digest(child.config), digest(child.layer), digest(index)].sort();
  assert.deepEqual(left, keptAll);
  // the registry still serves what was kept, and the swept blob is gone from its repository
  assert.equal((await fetch(`${r.base}/v2/app/manifests/v1`)).status, 200);
  assert.equal((await fetch(`${r.base}/v2/app/blobs/${digest(child.layer)}`)).status, 200);
  assert.equal((await fetch(`${r.base}/v2/app/blobs/${orphan}`, { method: "HEAD" })).status, 404);
  assert.equal((await readdir(join(r.root, "repositories", "app", "_layers", "sha256"))).includes(orphan.slice(7)), false);
  const again = await collectGarbage({ root: r.root });
  assert.deepEqual(again.deleted, []);
});

test("collectGarbage removes stale upload sessions and keeps fresh ones", async (t) => {
  const r = await startTestRegistry();
  t.after(() => r.cleanup());
  await fetch(`${r.base}/v2/u/blobs/uploads/`, { method: "POST" });
  assert.equal((await collectGarbage({ root: r.root })).uploadsPurged, 0);
  assert.equal((await readdir(join(r.root, "uploads"))).length, 1);
  assert.equal((await collectGarbage({ root: r.root, uploadMaxAgeSeconds: -1 })).uploadsPurged, 1);
  assert.deepEqual(await readdir(join(r.root, "uploads")), []);
});

test("main.js gc prints what it deleted; usage and unknown commands", async (t) => {
  const { spawnSync } = await import("node:child_process");
  const main = new URL("./main.js", import.meta.url).pathname;
  const r = await startTestRegistry();
  t.after(() => r.cleanup());
  const orphan = await pushBlob(r.base, "cli", "orphan");
  const dry = spawnSync(process.execPath, [main, "gc", "--root", r.root, "--dry-run"], { encoding: "utf8" });
  assert.equal(dry.status, 0, dry.stderr);
  assert.match(dry.stdout, new RegExp(`would delete ${orphan}`));
  assert.equal((await blobFiles(r.root)).length, 1);
  const run = spawnSync(process.execPath, [main, "gc", "--root", r.root], { encoding: "utf8" });
  assert.equal(run.status, 0, run.stderr);
  assert.match(run.stdout, new RegExp(`deleted ${orphan}`));
  assert.match(run.stdout, /0 blobs marked, 1 deleted/);
  assert.deepEqual(await blobFiles(r.root), []);
  const bad = spawnSync(process.execPath, [main, "frobnicate"], { encoding: "utf8" });
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /usage: berth-registry serve/);
  const noRoot = spawnSync(process.execPath, [main, "gc"], { encoding: "utf8" });
  assert.equal(noRoot.status, 1);
  assert.match(noRoot.stderr, /--root is required/);
});
