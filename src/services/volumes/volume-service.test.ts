import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readFile, readdir, rm, writeFile, mkdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FakeHost } from "../../kernel/fake-host.js";
import { VolumeService } from "./volume-service.js";
import { ANONYMOUS_LABEL } from "./volume-record.js";

async function fixture(t: { after(fn: () => Promise<void>): void }) {
  const dir = await mkdtemp(join(tmpdir(), "berth-vol-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const host = new FakeHost();
  const root = join(dir, "volumes");
  const mounted = new Set<string>();
  const mountsUnder = async (d: string) => [...mounted].filter((m) => m === d || m.startsWith(`${d}/`));
  const events: string[] = [];
  const open = () => VolumeService.open({
    root, host, mountsUnder, now: () => Date.parse("2026-01-02T03:04:05.678Z"),
    events: { publish: (type, action, id) => events.push(`${type} ${action} ${id}`) },
  });
  return { dir, root, host, mounted, events, svc: await open(), open };
}

test("create, inspect, list with filters, remove", async (t) => {
  const { root, svc, events } = await fixture(t);
  const v = await svc.create({ Name: "data", Labels: { team: "a" } });
  assert.deepEqual(v, {
    CreatedAt: "2026-01-02T03:04:05Z", Driver: "local", Labels: { team: "a" }, Mountpoint: join(root, "data", "_data"),
    Name: "data", Options: null, Scope: "local",
  });
  // Creating an existing name returns the volume as it is.
  assert.deepEqual((await svc.create({ Name: "data" })).Labels, { team: "a" });
  const gen = await svc.create({});
  assert.match(gen.Name, /^[0-9a-f]{64}$/);
  assert.equal(gen.Labels[ANONYMOUS_LABEL], undefined);
  const anon = await svc.create({ anonymous: true });
  assert.equal(anon.Labels[ANONYMOUS_LABEL], "");
  await svc.acquire("data", "c1");
  assert.deepEqual(svc.list({ name: ["dat"] }).map((x) => x.Name), ["data"]);
  assert.deepEqual(svc.list({ label: ["team=a"] }).map((x) => x.Name), ["data"]);
  assert.deepEqual(svc.list({ label: ["team=b"] }), []);
  assert.deepEqual(svc.list({ dangling: ["false"] }).map((x) => x.Name), ["data"]);
  assert.equal(svc.list({ dangling: ["true"] }).length, 2);
  assert.equal(svc.list({ driver: ["local"] }).length, 3);
  assert.throws(() => svc.list({ bogus: ["x"] }), { message: "invalid filter 'bogus'" });
  assert.throws(() => svc.list({ dangling: ["maybe"] }), { message: "invalid filter 'dangling=maybe'" });
  await assert.rejects(svc.remove("data"), { kind: "conflict", message: "remove data: volume is in use - [c1]" });
  await assert.rejects(svc.remove("data", { force: true }), { kind: "conflict" });
  await svc.release("data", "c1");
  await writeFile(join(svc.dataPath("data"), "f"), "x");
  await svc.remove("data");
  assert.throws(() => svc.inspect("data"), { kind: "not-found", message: "get data: no such volume" });
  await assert.rejects(svc.remove("data"), { kind: "not-found" });
  await svc.remove("data", { force: true });
  assert.ok(!(await readdir(root)).includes("data"));
  assert.deepEqual(events.filter((e) => e.endsWith(" data")), ["volume create data", "volume destroy data"]);
});

test("bad names, drivers and options create nothing", async (t) => {
  const { root, svc } = await fixture(t);
  await assert.rejects(svc.create({ Name: "a$b" }), { kind: "invalid-argument", message: /^create a\$b: "a\$b" includes invalid characters for a local volume name/ });
  await assert.rejects(svc.create({ Name: "x" }), { kind: "invalid-argument" });
  await assert.rejects(svc.create({ Name: "ok", Driver: "nfsplugin" }), { kind: "not-found" });
  await assert.rejects(svc.create({ Name: "ok", DriverOpts: { size: "1" } }), { message: 'invalid option: "size"' });
  await assert.rejects(svc.create({ Name: "ok", DriverOpts: { device: "/x" } }), { message: 'missing required option: "type"' });
  assert.deepEqual(await readdir(root), []);
});

test("refs and records survive a reopen; reconcile drops unknown containers; leftovers are cleaned", async (t) => {
  const { root, svc, open } = await fixture(t);
  await svc.create({ Name: "keep" });
  await svc.acquire("keep", "c1");
  await svc.acquire("keep", "c2");
  await mkdir(join(root, "half", "_data"), { recursive: true });
  const again = await open();
  assert.deepEqual(again.list({ dangling: ["false"] }).map((v) => v.Name), ["keep"]);
  assert.ok(!(await readdir(root)).includes("half"));
  await again.reconcile(new Set(["c2"]));
  const rec = JSON.parse(await readFile(join(root, "keep", "volume.json"), "utf8")) as { Users: string[] };
  assert.deepEqual(rec.Users, ["c2"]);
  assert.deepEqual((await again.usage()).map((u) => [u.name, u.refCount]), [["keep", 1]]);
});

test("prune: anonymous unused volumes by default, all with all=true, label filters", async (t) => {
  const { svc } = await fixture(t);
  const a1 = await svc.create({ anonymous: true });
  const a2 = await svc.create({ anonymous: true, Labels: { keep: "1" } });
  const used = await svc.create({ anonymous: true });
  await svc.acquire(used.Name, "c1");
  await svc.create({ Name: "named" });
  await writeFile(join(svc.dataPath(a1.Name), "f"), "12345");
  const r1 = await svc.prune({ "label!": ["keep"] });
  assert.deepEqual(r1.VolumesDeleted, [a1.Name]);
  assert.equal(r1.SpaceReclaimed, 5, "file bytes only, as dockerd counts");
  const r2 = await svc.prune({ all: ["true"] });
  assert.deepEqual(new Set(r2.VolumesDeleted), new Set([a2.Name, "named"]));
  assert.deepEqual(svc.list().map((v) => v.Name), [used.Name]);
  assert.equal((await svc.prune()).VolumesDeleted, null);
  await assert.rejects(svc.prune({ dangling: ["true"] }), { message: "invalid filter 'dangling'" });
});

test("removeIfAnonymous keeps named and used volumes", async (t) => {
  const { svc } = await fixture(t);
  const a = await svc.create({ anonymous: true });
  await svc.create({ Name: "named" });
  await svc.acquire(a.Name, "c1");
  assert.equal(await svc.removeIfAnonymous(a.Name), false);
  await svc.release(a.Name, "c1");
  assert.equal(await svc.removeIfAnonymous("named"), false);
  assert.equal(await svc.removeIfAnonymous(a.Name), true);
  assert.deepEqual(svc.list().map((v) => v.Name), ["named"]);
});

test("option volumes are mounted by their first user and unmounted after the last", async (t) => {
  const { svc, host, mounted } = await fixture(t);
  await svc.create({ Name: "tmp", DriverOpts: { type: "tmpfs", device: "tmpfs", o: "size=1m,uid=1000" } });
  assert.deepEqual(svc.inspect("tmp").Options, { type: "tmpfs", device: "tmpfs", o: "size=1m,uid=1000" });
  const p = await svc.mount("tmp", "c1");
  mounted.add(p);
  assert.equal(await svc.mount("tmp", "c2"), p);
  const mounts = () => host.calls.filter((c) => c.op === "mount").map((c) => c.op === "mount" && [c.source, c.target, c.fstype, c.data]);
  const umounts = () => host.calls.filter((c) => c.op === "umount").map((c) => c.op === "umount" && c.target);
  assert.deepEqual(mounts(), [["tmpfs", p, "tmpfs", "size=1m,uid=1000"]]);
  await svc.unmount("tmp", "c1", () => false);
  assert.deepEqual(umounts(), []);
  await svc.unmount("tmp", "c2", () => false);
  assert.deepEqual(umounts(), [p]);
  mounted.delete(p);
  // After a restart (no in-memory users) a device still mounted for a running container stays.
  const again = await VolumeService.open({ root: svc.root, host, mountsUnder: async () => [p] });
  await again.mount("tmp", "c3");
  assert.equal(mounts().length, 1);
  await again.unmount("tmp", "c4", (id) => id === "c3");
  assert.deepEqual(umounts(), [p]);
});
