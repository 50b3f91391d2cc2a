/** Volumes and mounts through the real docker CLI against berthd (issue 6). */
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdir, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startDaemon } from "../daemon/daemon-helper.js";

async function tempDir(t: { after(fn: () => Promise<void>): void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "berth-vol-it-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

test("docker: named volume data outlives containers; :ro enforced; bind mounts live; tmpfs per start and size-limited", async (t) => {
  const d = await startDaemon(t);
  const w = await d.docker(["run", "--rm", "-v", "shared:/data", "busybox", "sh", "-c", "echo hello > /data/f"]);
  assert.equal(w.code, 0, w.stderr);
  const r = await d.docker(["run", "--rm", "-v", "shared:/data", "busybox", "cat", "/data/f"]);
  assert.equal(r.stdout, "hello\n", r.stderr);
  // --rm never removes a named volume.
  assert.equal((await d.docker(["volume", "ls", "-q"])).stdout, "shared\n");
  const ro = await d.docker(["run", "--rm", "-v", "shared:/data:ro", "busybox", "sh", "-c", "cat /data/f; echo x > /data/g"]);
  assert.notEqual(ro.code, 0);
  assert.equal(ro.stdout, "hello\n");
  assert.match(ro.stderr, /Read-only file system/);

  const host = await tempDir(t);
  await writeFile(join(host, "a"), "one\n");
  const run = await d.docker(["run", "-d", "--name", "live", "-v", `${host}:/h`, "busybox", "sleep", "60"]);
  assert.equal(run.code, 0, run.stderr);
  assert.equal((await d.docker(["exec", "live", "cat", "/h/a"])).stdout, "one\n");
  await writeFile(join(host, "a"), "two\n");
  await writeFile(join(host, "b"), "new\n");
  assert.equal((await d.docker(["exec", "live", "cat", "/h/a", "/h/b"])).stdout, "two\nnew\n");
  assert.equal((await d.docker(["exec", "live", "sh", "-c", "echo back > /h/c"])).code, 0);
  assert.deepEqual((await readdir(host)).sort(), ["a", "b", "c"]);
  const mounts = JSON.parse((await d.docker(["inspect", "-f", "{{json .Mounts}}", "live"])).stdout) as unknown[];
  assert.deepEqual(mounts, [{ Type: "bind", Source: host, Destination: "/h", Mode: "", RW: true, Propagation: "rprivate" }]);
  assert.equal((await d.docker(["rm", "-f", "live"])).code, 0);

  const tm = await d.docker(["run", "--name", "tm", "--tmpfs", "/scratch:size=1m", "busybox", "sh", "-c",
    "ls -A /scratch; echo x > /scratch/f; dd if=/dev/zero of=/scratch/big bs=1k count=2048 2>/dev/null; echo dd=$?; df -k /scratch | tail -1"]);
  assert.match(tm.stdout, /^dd=1\ntmpfs\s+1024\s/, tm.stderr);
  // The next start sees an empty tmpfs.
  const again = await d.docker(["start", "-a", "tm"]);
  assert.match(again.stdout, /^dd=1\n/);
  assert.equal((await d.docker(["rm", "tm"])).code, 0);
  const m = await d.docker(["run", "--rm", "--mount", "type=tmpfs,dst=/t,tmpfs-size=65536,tmpfs-mode=1770", "busybox", "sh", "-c", "stat -c %a /t; df -k /t | tail -1"]);
  assert.match(m.stdout, /^1770\ntmpfs\s+64\s/, m.stderr);
  // A user tmpfs on /dev/shm replaces the engine's shm mount.
  const shm = await d.docker(["run", "--rm", "--tmpfs", "/dev/shm:size=256k", "busybox", "sh", "-c", "df -k /dev/shm | tail -1"]);
  assert.match(shm.stdout, /^tmpfs\s+256\s/, shm.stderr);
  const ev = await d.docker(["events", "--since", "0", "--until", String(Math.ceil(Date.now() / 1000) + 1), "--filter", "type=volume", "--filter", "volume=shared", "--format", "{{.Action}} {{.Actor.Attributes.destination}}"]);
  // Go templates print a missing map key as "<no value>".
  assert.equal(ev.stdout, `create <no value>\n${"mount /data\nunmount <no value>\n".repeat(3)}`, ev.stderr);
});

test("docker: copy-up from the image, nocopy, --volumes-from, rm -v and --rm remove anonymous volumes only, prune and system df", async (t) => {
  const d = await startDaemon(t);
  const up = await d.docker(["run", "--rm", "-v", "etc:/etc", "busybox", "true"]);
  assert.equal(up.code, 0, up.stderr);
  const ls = await d.docker(["run", "--rm", "-v", "etc:/x", "busybox", "ls", "/x"]);
  assert.match(ls.stdout, /^group\n(.*\n)*passwd\n/m, ls.stderr);
  const nocopy = await d.docker(["run", "--rm", "--mount", "src=fresh,dst=/etc,volume-nocopy", "busybox", "ls", "/etc"]);
  // Only the files the engine binds in (hostname, hosts, resolv.conf).
  assert.equal(nocopy.stdout, "hostname\nhosts\nresolv.conf\n", nocopy.stderr);
  // A bare -v destination is an anonymous volume, removed by --rm.
  assert.equal((await d.docker(["run", "--rm", "-v", "/anon", "busybox", "true"])).code, 0);
  assert.deepEqual((await d.docker(["volume", "ls", "-q"])).stdout.trim().split("\n").sort(), ["etc", "fresh"]);

  const c = await d.docker(["run", "-d", "--name", "src", "-v", "/a", "-v", "named1:/n", "busybox", "sh", "-c", "echo a > /a/f; echo n > /n/f; sleep 60"]);
  assert.equal(c.code, 0, c.stderr);
  const anon = JSON.parse((await d.docker(["inspect", "-f", "{{json .Mounts}}", "src"])).stdout) as Array<{ Name: string; Destination: string; Type: string; Driver: string; RW: boolean }>;
  const a = anon.find((x) => x.Destination === "/a");
  assert.match(a?.Name ?? "", /^[0-9a-f]{64}$/);
  assert.equal(a?.Type, "volume");
  assert.equal(a?.Driver, "local");
  let from = await d.docker(["run", "--rm", "--volumes-from", "src:ro", "busybox", "sh", "-c", "cat /a/f /n/f; touch /a/x"]);
  for (let i = 0; i < 50 && from.stdout !== "a\nn\n"; i++) {
    await new Promise((r) => setTimeout(r, 100));
    from = await d.docker(["run", "--rm", "--volumes-from", "src:ro", "busybox", "sh", "-c", "cat /a/f /n/f; touch /a/x"]);
  }
  assert.equal(from.stdout, "a\nn\n", from.stderr);
  assert.match(from.stderr, /Read-only file system/);
  const inUse = await d.docker(["volume", "rm", "named1"]);
  assert.equal(inUse.code, 1);
  assert.match(inUse.stderr, new RegExp(`remove named1: volume is in use - \\[[0-9a-f]{64}\\]`));
  assert.equal((await d.docker(["rm", "-f", "-v", "src"])).code, 0);
  const left = (await d.docker(["volume", "ls", "-q"])).stdout.trim().split("\n").sort();
  assert.deepEqual(left, ["etc", "fresh", "named1"]);
  assert.equal((await d.docker(["volume", "inspect", a?.Name ?? ""])).code, 1);
  assert.equal((await d.docker(["volume", "rm", "named1"])).stdout, "named1\n");

  // prune: a stopped container keeps its volumes; unused anonymous ones go first, named ones with -a.
  assert.equal((await d.docker(["create", "--name", "keeper", "-v", "/kept", "busybox"])).code, 0);
  assert.equal((await d.docker(["run", "--name", "gone", "-v", "/dropped", "busybox", "true"])).code, 0);
  const dropped = (JSON.parse((await d.docker(["inspect", "-f", "{{json .Mounts}}", "gone"])).stdout) as Array<{ Name: string }>)[0]?.Name ?? "";
  assert.equal((await d.docker(["rm", "gone"])).code, 0);
  const df = await d.docker(["system", "df"]);
  assert.match(df.stdout, /Local Volumes\s+4\s+1\s/, df.stdout);
  const pruned = await d.docker(["volume", "prune", "-f"]);
  assert.equal(pruned.stdout, `Deleted Volumes:\n${dropped}\n\nTotal reclaimed space: 0B\n`, pruned.stderr);
  const all = await d.docker(["volume", "prune", "-af"]);
  assert.match(all.stdout, /^Deleted Volumes:\n(etc\nfresh|fresh\netc)\n\nTotal reclaimed space: \d/);
  assert.equal((await d.docker(["volume", "ls", "-q"])).stdout.trim().length, 64, "the stopped container's volume stays");
});

test("docker: bind propagation: rslave sees mounts made on the host later, the default rprivate does not", async (t) => {
  const d = await startDaemon(t);
  // Hooks run in registration order: the mounts go before the directory is removed.
  const mounted: string[] = [];
  t.after(async () => {
    for (const m of mounted.reverse()) execFileSync("umount", ["-l", m]);
  });
  const host = await tempDir(t);
  // The source must itself be shared for anything to propagate from it.
  execFileSync("mount", ["--bind", host, host]);
  mounted.push(host);
  execFileSync("mount", ["--make-rshared", host]);
  assert.equal((await d.docker(["run", "-d", "--name", "slave", "-v", `${host}:/h:rslave`, "busybox", "sleep", "60"])).code, 0);
  assert.equal((await d.docker(["run", "-d", "--name", "private", "-v", `${host}:/h`, "busybox", "sleep", "60"])).code, 0);
  await mkdir(join(host, "sub"));
  execFileSync("mount", ["-t", "tmpfs", "-o", "size=64k", "tmpfs", join(host, "sub")]);
  mounted.push(join(host, "sub"));
  await writeFile(join(host, "sub", "f"), "propagated\n");
  assert.equal((await d.docker(["exec", "slave", "cat", "/h/sub/f"])).stdout, "propagated\n");
  const priv = await d.docker(["exec", "private", "cat", "/h/sub/f"]);
  assert.notEqual(priv.code, 0, "rprivate: the host's new mount is not seen");
  const mounts = JSON.parse((await d.docker(["inspect", "-f", "{{json .Mounts}}", "slave"])).stdout) as Array<{ Propagation: string; Mode: string }>;
  assert.deepEqual([mounts[0]?.Propagation, mounts[0]?.Mode], ["rslave", "rslave"]);
  assert.equal((await d.docker(["rm", "-f", "slave", "private"])).code, 0);
});

test("docker: bad input is refused with Docker's messages and creates nothing", async (t) => {
  const d = await startDaemon(t);
  const cases: Array<[string[], RegExp]> = [
    [["-v", "rel/path:/x"], /"rel\/path" includes invalid characters for a local volume name, only "\[a-zA-Z0-9\]\[a-zA-Z0-9_.-\]" are allowed. If you intended to pass a host directory, use absolute path/],
    [["--mount", "type=bind,src=/no/such/dir/berth,dst=/x"], /invalid mount config for type "bind": bind source path does not exist: \/no\/such\/dir\/berth/],
    [["-v", "bad$name:/x"], /"bad\$name" includes invalid characters for a local volume name/],
    [["-v", "vol:/"], /invalid volume specification: 'vol:\/': invalid mount config for type "volume": invalid specification: destination can't be '\/'/],
    [["-v", "vol:relative"], /invalid mount path: 'relative' mount path must be absolute/],
    [["-v", "vol:/x:bogus"], /invalid mode: bogus/],
    [["--mount", "type=volume,src=v,dst=/x,bogus=1"], /unexpected key 'bogus' in 'bogus=1'/],
    [["-v", "va:/x", "--mount", "src=vb,dst=/x"], /Duplicate mount point: \/x/],
  ];
  for (const [args, re] of cases) {
    const r = await d.docker(["create", ...args, "busybox"]);
    assert.notEqual(r.code, 0, args.join(" "));
    assert.match(r.stderr, re, args.join(" "));
  }
  const bad = await d.docker(["volume", "create", "x/y"]);
  assert.match(bad.stderr, /includes invalid characters for a local volume name/);
  const opt = await d.docker(["volume", "create", "-o", "nope=1", "good"]);
  assert.match(opt.stderr, /invalid option: "nope"/);
  assert.equal((await d.docker(["volume", "ls", "-q"])).stdout, "");
  assert.equal((await d.docker(["ps", "-aq"])).stdout, "");
});
