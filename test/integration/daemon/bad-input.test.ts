import { test } from "node:test";
import assert from "node:assert/strict";
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { execFileSync } from "node:child_process";
import { mkdtemp, writeFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { httpCall, spawnDaemon, startDaemon } from "./daemon-helper.js";

function tarOf(dir: string, ...names: string[]): Buffer {
  return execFileSync("tar", ["-C", dir, "-cf", "-", ...names]);
}

test("hostile and broken image archives get 400 and the daemon keeps serving", async (t) => {
  const d = await startDaemon(t);
  const work = await mkdtemp(join(tmpdir(), "berth-hostile-"));
  t.after(() => rm(work, { recursive: true, force: true }));
  // A layer whose entry escapes the root, inside a docker-save style archive.
  const layer = execFileSync("tar", ["-C", "/etc", "-cf", "-", "--transform", "s,^hostname,../../../escape,", "hostname"]);
  const { createHash } = await import("node:crypto");
  const diffId = `sha256:${createHash("sha256").update(layer).digest("hex")}`;
  await writeFile(join(work, "layer.tar"), layer);
  await writeFile(join(work, "config.json"), JSON.stringify({ architecture: "amd64", os: "linux", rootfs: { type: "layers", diff_ids: [diffId] } }));
  await writeFile(join(work, "manifest.json"), JSON.stringify([{ Config: "config.json", RepoTags: ["evil:latest"], Layers: ["layer.tar"] }]));
  const hostile = tarOf(work, "manifest.json", "config.json", "layer.tar");
  const r = await httpCall(d.socket, "POST", "/v1.50/images/load?quiet=1", hostile);
  assert.equal(r.status, 400);
  assert.match(JSON.parse(r.body).message, /escapes the layer root/);
  const dl = await d.docker(["load"], hostile);
  assert.equal(dl.code, 1);
  assert.match(dl.stderr, /Error response from daemon: .*escapes the layer root/);

  const truncated = await httpCall(d.socket, "POST", "/images/load", hostile.subarray(0, 700));
  assert.equal(truncated.status, 400);
  const garbage = await httpCall(d.socket, "POST", "/images/load", Buffer.alloc(4096, 0x41));
  assert.equal(garbage.status, 400);
  const badImport = await httpCall(d.socket, "POST", "/images/create?fromSrc=-&repo=x", Buffer.alloc(2048, 0x42));
  assert.equal(badImport.status, 400);

  assert.equal((await httpCall(d.socket, "GET", "/images/Bad:Ref/json")).status, 400);
  const nf = await httpCall(d.socket, "GET", "/v1.50/images/nope/json");
  assert.equal(nf.status, 404);
  assert.deepEqual(JSON.parse(nf.body), { message: "No such image: nope:latest" });
  assert.equal((await httpCall(d.socket, "GET", "/v1.99/version")).status, 400);
  assert.equal((await httpCall(d.socket, "GET", "/images/json?filters=%7B")).status, 400);
  assert.equal((await httpCall(d.socket, "GET", "/no/such/endpoint")).status, 404);

  // Still serving, nothing half-written: only busybox, no temp files, no partial layers.
  const ls = await d.docker(["images", "--format", "{{.Repository}}:{{.Tag}}"]);
  assert.equal(ls.stdout, "busybox:latest\n");
  assert.deepEqual(await readdir(join(d.dataRoot, "tmp")), []);
  assert.deepEqual(await readdir(join(d.dataRoot, "content", "ingest")), []);
  const layers = (await readdir(join(d.dataRoot, "overlay"))).filter((n) => n !== "l" && n !== "rw");
  assert.equal(layers.length, 1);
  // busybox's config, manifest and layer blobs only: rejected archives left no blob.
  assert.equal((await readdir(join(d.dataRoot, "content", "blobs", "sha256"))).length, 3);
});

test("a second berthd on the same data root is refused with a clear message", async (t) => {
  const d = await startDaemon(t);
  const second = spawnDaemon(d.dir, d.dataRoot, join(d.dir, "second.sock"));
  let err = "";
  second.stderr?.on("data", (c: Buffer) => { err += c.toString(); });
  const code = await new Promise<number | null>((resolve) => second.once("exit", (c) => resolve(c)));
  assert.equal(code, 1);
  assert.match(err, new RegExp(`another berthd \\(pid ${d.process.pid}\\) is already using the data root "${d.dataRoot}"`));
  assert.equal((await httpCall(d.socket, "GET", "/_ping")).status, 200);
  // After a clean stop the data root can be used again; images and tags persist.
  assert.equal((await d.berth(["tag", "busybox", "persist:1"])).code, 0);
  await d.stop();
  const pidfile = join(d.dir, "run", "berthd.pid");
  const third = spawnDaemon(d.dir, d.dataRoot, d.socket, ["--pidfile", pidfile, "--log-level", "debug"]);
  let thirdErr = "";
  third.stderr?.on("data", (c: Buffer) => { thirdErr += c.toString(); });
  t.after(() => { if (third.exitCode === null && third.pid !== undefined) process.kill(third.pid, "SIGKILL"); });
  let ok = false;
  // Generous: CI machines run several test files at once and node starts slowly under load.
  for (let i = 0; i < 1200 && !ok; i++) {
    await new Promise((r) => setTimeout(r, 50));
    ok = await httpCall(d.socket, "GET", "/images/busybox/json").then((r) => r.status === 200, () => false);
  }
  assert.ok(ok, `third daemon serves busybox from the existing data root: ${thirdErr}`);
  assert.equal((await httpCall(d.socket, "GET", "/images/persist:1/json")).status, 200);
  assert.equal((await readFile(pidfile, "utf8")).trim(), String(third.pid));
  for (let i = 0; i < 100 && !thirdErr.includes('"msg":"request"'); i++) await new Promise((r) => setTimeout(r, 50));
  assert.match(thirdErr, /"msg":"request"/, "debug level logs requests");
  // SIGTERM: clean exit, pidfile, lock and socket removed.
  const exit = new Promise<number | null>((resolve) => third.once("exit", (c) => resolve(c)));
  if (third.pid !== undefined) process.kill(third.pid, "SIGTERM");
  assert.equal(await exit, 0);
  await assert.rejects(readFile(pidfile));
  await assert.rejects(readFile(join(d.dataRoot, "berthd.lock")));
  await assert.rejects(readFile(d.socket));
});
