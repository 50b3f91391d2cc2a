/** Volumes through berth's own CLI: the volume commands, local driver options, image VOLUMEs, restarts. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdir, mkdtemp, readFile, readdir, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildBusyboxRootfs } from "../../../src/fixtures/busybox-rootfs.js";
import { httpCall, spawnDaemon, startDaemon } from "../daemon/daemon-helper.js";

async function tempDir(t: { after(fn: () => Promise<void>): void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "berth-vol-it-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

async function mountedAt(path: string): Promise<boolean> {
  return (await readFile("/proc/self/mountinfo", "utf8")).split("\n").some((l) => l.split(" ")[4] === path);
}

test("berth volume create/ls/inspect/rm/prune: docker's output, filters, labels and removal rules", async (t) => {
  const d = await startDaemon(t);
  assert.equal((await d.berth(["volume", "create", "--label", "team=a", "alpha"])).stdout, "alpha\n");
  assert.equal((await d.berth(["volume", "create", "beta"])).stdout, "beta\n");
  const gen = (await d.berth(["volume", "create"])).stdout.trim();
  assert.match(gen, /^[0-9a-f]{64}$/);
  const ls = await d.berth(["volume", "ls"]);
  assert.equal(ls.stdout, `DRIVER    VOLUME NAME\n${[gen, "alpha", "beta"].sort().map((n) => `local     ${n}\n`).join("")}`);
  assert.equal((await d.berth(["volume", "ls", "-q", "-f", "label=team=a"])).stdout, "alpha\n");
  assert.equal((await d.berth(["volume", "ls", "-q", "-f", "name=bet"])).stdout, "beta\n");
  assert.equal((await d.berth(["volume", "ls", "--format", "{{.Name}} {{.Labels}} {{.Scope}}", "-f", "name=alpha"])).stdout, "alpha team=a local\n");
  const bad = await d.berth(["volume", "ls", "-f", "colour=red"]);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /invalid filter 'colour'/);
  const [v] = JSON.parse((await d.berth(["volume", "inspect", "alpha"])).stdout) as Array<Record<string, unknown>>;
  assert.equal(v?.Mountpoint, join(d.dataRoot, "volumes", "alpha", "_data"));
  assert.deepEqual([v?.Driver, v?.Scope, v?.Labels, v?.Options], ["local", "local", { team: "a" }, null]);
  assert.match(String(v?.CreatedAt), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  assert.equal((await d.berth(["volume", "inspect", "-f", "{{.Name}}", "beta"])).stdout, "beta\n");

  // In use by a stopped container: dangling=false, rm refused (also with -f), prune keeps it.
  assert.equal((await d.berth(["create", "--name", "holder", "-v", "beta:/b", "busybox"])).code, 0);
  assert.equal((await d.berth(["volume", "ls", "-q", "-f", "dangling=false"])).stdout, "beta\n");
  const inUse = await d.berth(["volume", "rm", "-f", "beta"]);
  assert.equal(inUse.code, 1);
  assert.match(inUse.stderr, /remove beta: volume is in use - \[[0-9a-f]{64}\]/);
  const nope = await d.berth(["volume", "rm", "nosuch"]);
  assert.match(nope.stderr, /get nosuch: no such volume/);
  assert.equal((await d.berth(["volume", "rm", "-f", "nosuch"])).code, 0);

  // Prune: anonymous ones only by default; a refused prompt removes nothing.
  assert.equal((await d.berth(["run", "--name", "anon", "-v", "/scratch", "busybox", "true"])).code, 0);
  assert.equal((await d.berth(["rm", "anon"])).code, 0);
  const anon = (await d.berth(["volume", "ls", "-q"])).stdout.trim().split("\n").filter((n) => ![gen, "alpha", "beta"].includes(n));
  assert.equal(anon.length, 1, "rm without -v keeps the anonymous volume");
  const no = await d.berth(["volume", "prune"], "n\n");
  assert.match(no.stdout, /^WARNING! This will remove anonymous local volumes not used by at least one container\.\nAre you sure you want to continue\? \[y\/N\] /);
  assert.equal((await d.berth(["volume", "ls", "-q"])).stdout.trim().split("\n").length, 4);
  const yes = await d.berth(["volume", "prune"], "y\n");
  assert.match(yes.stdout, new RegExp(`Deleted Volumes:\\n${anon[0]}\\n\\nTotal reclaimed space: `));
  const all = await d.berth(["volume", "prune", "-a", "-f"]);
  assert.match(all.stdout, /^Deleted Volumes:\n/);
  assert.equal((await d.berth(["volume", "ls", "-q"])).stdout, "beta\n");
  assert.equal((await d.berth(["rm", "holder"])).code, 0);
  assert.equal((await d.berth(["volume", "rm", "beta"])).stdout, "beta\n");
  assert.deepEqual(await readdir(join(d.dataRoot, "volumes")), []);
});

test("berth: local driver options (tmpfs and bind-style) are mounted while used; image VOLUME gets an anonymous volume with copy-up", async (t) => {
  const d = await startDaemon(t);
  const host = await tempDir(t);
  const opts = await d.berth(["volume", "create", "-o", "type=none", "-o", "o=bind", "-o", `device=${host}`, "hostdir"]);
  assert.equal(opts.code, 0, opts.stderr);
  const data = join(d.dataRoot, "volumes", "hostdir", "_data");
  const w = await d.berth(["run", "--rm", "-v", "hostdir:/v", "busybox", "sh", "-c", "echo via-volume > /v/f"]);
  assert.equal(w.code, 0, w.stderr);
  assert.equal(await readFile(join(host, "f"), "utf8"), "via-volume\n");
  assert.equal(await mountedAt(data), false, "unmounted after the last user");
  assert.equal((await d.berth(["volume", "rm", "hostdir"])).code, 0);
  assert.equal(await readFile(join(host, "f"), "utf8"), "via-volume\n", "removing the volume leaves the host directory alone");

  assert.equal((await d.berth(["volume", "create", "-o", "type=tmpfs", "-o", "device=tmpfs", "-o", "o=size=512k", "small"])).code, 0);
  const df = await d.berth(["run", "--rm", "-v", "small:/s", "busybox", "sh", "-c", "df -k /s | tail -1"]);
  assert.match(df.stdout, /^tmpfs\s+512\s/, df.stderr);

  const root = join(await tempDir(t), "rootfs");
  buildBusyboxRootfs(root);
  await mkdir(join(root, "data"));
  await writeFile(join(root, "data", "seed.txt"), "from the image\n");
  // A link to a host path: a mount through it must land inside the rootfs, not on the host.
  const outside = await tempDir(t);
  await symlink(outside, join(root, "escape"));
  const tar = execFileSync("tar", ["-C", root, "-c", "."], { maxBuffer: 64 * 1024 * 1024 });
  const imp = await d.berth(["import", "-c", "VOLUME /data", "-", "volimg:1"], tar);
  assert.equal(imp.code, 0, imp.stderr);
  const run = await d.berth(["run", "--name", "vi", "volimg:1", "sh", "-c", "cat /data/seed.txt; echo more > /data/more"]);
  assert.equal(run.stdout, "from the image\n", run.stderr);
  const mounts = JSON.parse((await d.berth(["inspect", "-f", "{{json .Mounts}}", "vi"])).stdout) as Array<{ Name: string; Destination: string; Source: string }>;
  assert.equal(mounts.length, 1);
  assert.equal(mounts[0]?.Destination, "/data");
  const name = mounts[0]?.Name ?? "";
  assert.deepEqual((await readdir(join(d.dataRoot, "volumes", name, "_data"))).sort(), ["more", "seed.txt"]);
  // A user mount on the VOLUME destination replaces the anonymous volume.
  const over = await d.berth(["run", "--rm", "-v", "mine:/data", "volimg:1", "ls", "/data"]);
  assert.equal(over.stdout, "seed.txt\n", over.stderr);
  const esc = await d.berth(["run", "--rm", "-v", "mine:/escape/x", "volimg:1", "ls", "/escape/x"]);
  assert.equal(esc.stdout, "seed.txt\n", esc.stderr);
  assert.deepEqual(await readdir(outside), [], "nothing was created through the image's symlink on the host");
  // --volumes-from, --mount and --tmpfs through berth's own flags.
  const from = await d.berth(["run", "--rm", "--volumes-from", "vi:ro", "--mount", "type=tmpfs,dst=/t,tmpfs-size=64k", "--tmpfs", "/u:size=128k",
    "busybox", "sh", "-c", "cat /data/more; touch /data/x 2>/dev/null || echo ro; df -k /t /u | tail -2 | awk '{print $2}'"]);
  assert.equal(from.stdout, "more\nro\n64\n128\n", from.stderr);
  const badMount = await d.berth(["create", "--mount", "type=bind,dst=/x,colour=red", "busybox"]);
  assert.notEqual(badMount.code, 0);
  assert.match(badMount.stderr, /invalid argument "type=bind,dst=\/x,colour=red" for "--mount" flag: unexpected key 'colour' in 'colour=red'/);
  assert.equal((await d.berth(["rm", "-v", "vi"])).code, 0);
  assert.deepEqual((await d.berth(["volume", "ls", "-q"])).stdout, "mine\nsmall\n", "rm -v removed the anonymous volume only");
});

test("berth: volumes and their users survive kill -9 of berthd and a restart", async (t) => {
  const d = await startDaemon(t);
  assert.equal((await d.berth(["run", "--rm", "-v", "keep:/k", "busybox", "sh", "-c", "echo persisted > /k/f"])).code, 0);
  const run = await d.berth(["run", "-d", "--name", "user", "-v", "keep:/k", "-v", "/anon", "busybox", "sleep", "60"]);
  assert.equal(run.code, 0, run.stderr);
  if (d.process.pid !== undefined) process.kill(d.process.pid, "SIGKILL");
  await new Promise((r) => d.process.once("exit", r));

  const again = spawnDaemon(d.dir, d.dataRoot, d.socket);
  t.after(async () => {
    if (again.exitCode === null && again.pid !== undefined) {
      const exit = new Promise((r) => again.once("exit", r));
      process.kill(again.pid, "SIGTERM");
      await exit;
    }
  });
  let up = false;
  for (let i = 0; i < 1200 && !up; i++) {
    await new Promise((r) => setTimeout(r, 50));
    up = await httpCall(d.socket, "GET", "/_ping").then((r) => r.status === 200, () => false);
  }
  assert.ok(up, "the restarted daemon serves");
  assert.equal((await d.berth(["volume", "ls", "-q", "-f", "name=keep"])).stdout, "keep\n");
  const busy = await d.berth(["volume", "rm", "keep"]);
  assert.match(busy.stderr, /volume is in use/);
  assert.equal((await d.berth(["exec", "user", "cat", "/k/f"])).stdout, "persisted\n");
  assert.equal((await d.berth(["rm", "-f", "-v", "user"])).code, 0);
  assert.equal((await d.berth(["run", "--rm", "-v", "keep:/k", "busybox", "cat", "/k/f"])).stdout, "persisted\n");
  assert.equal((await d.berth(["volume", "ls", "-q"])).stdout, "keep\n");
  assert.equal((await d.berth(["volume", "rm", "keep"])).code, 0);
});
