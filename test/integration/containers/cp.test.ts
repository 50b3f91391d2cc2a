/**
 * `cp` through the real docker CLI and `berth cp`: trees with symlinks both ways (content,
 * modes, owners with -a), a stopped container, paths that try to leave the container's root
 * through symlinks, `-L`, tar streams on stdin/stdout, and the errors docker gives.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { chown, lstat, mkdir, mkdtemp, readFile, readlink, readdir, rm, stat, symlink, writeFile, chmod } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runCommand, startDaemon } from "../daemon/daemon-helper.js";

/** A local tree: dir (0750, 1234:2345) with a file (0640), a nested file, a relative and an absolute symlink. */
async function makeTree(root: string): Promise<string> {
  const tree = join(root, "tree");
  await mkdir(join(tree, "sub", "deep"), { recursive: true });
  await writeFile(join(tree, "a.txt"), "alpha\n");
  await writeFile(join(tree, "sub", "deep", "b.txt"), "bravo\n");
  await symlink("sub/deep/b.txt", join(tree, "rel-link"));
  await symlink("/etc/passwd", join(tree, "abs-link"));
  await chmod(join(tree, "a.txt"), 0o640);
  await chmod(join(tree, "sub"), 0o750);
  for (const p of ["", "a.txt", "sub", "sub/deep", "sub/deep/b.txt"]) await chown(join(tree, p), 1234, 2345);
  return tree;
}

/** `ls -ln`-like facts of the tree inside the container: "mode uid gid path [-> target]". */
async function containerTree(d: { docker(a: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> }, ctr: string, dir: string): Promise<string> {
  const r = await d.docker(["exec", ctr, "sh", "-c", `cd ${dir} && find . | sort | while read f; do stat -c '%a %u %g %n' "$f"; [ -L "$f" ] && readlink "$f"; done; cat a.txt sub/deep/b.txt`]);
  assert.equal(r.code, 0, r.stderr);
  return r.stdout;
}

const EXPECTED_TREE = [
  "755 1234 2345 .", "640 1234 2345 ./a.txt", "777 0 0 ./abs-link", "/etc/passwd", "777 0 0 ./rel-link", "sub/deep/b.txt",
  "750 1234 2345 ./sub", "755 1234 2345 ./sub/deep", "644 1234 2345 ./sub/deep/b.txt", "alpha", "bravo", "",
].join("\n");

test("cp: a tree with symlinks into a running container and back, with docker and berth, owners with -a", async (t) => {
  const d = await startDaemon(t);
  const local = await mkdtemp(join(tmpdir(), "berth-cp-"));
  t.after(() => rm(local, { recursive: true, force: true }));
  const tree = await makeTree(local);
  const ctr = `cp-run-${process.pid}`;
  const run = await d.docker(["run", "-d", "--name", ctr, "busybox", "sleep", "300"]);
  assert.equal(run.code, 0, run.stderr);

  // docker cp -a: into an existing directory the tree keeps its name.
  const up = await d.docker(["cp", "-a", tree, `${ctr}:/tmp/`]);
  assert.equal(up.code, 0, up.stderr);
  assert.equal(await containerTree(d, ctr, "/tmp/tree"), EXPECTED_TREE);
  // berth cp -a: to a missing destination the tree takes the destination's name.
  const up2 = await d.berth(["cp", "-a", tree, `${ctr}:/tmp/copy2`]);
  assert.equal(up2.code, 0, up2.stderr);
  assert.equal(await containerTree(d, ctr, "/tmp/copy2"), EXPECTED_TREE);

  // Back out: docker cp (the CLI extracts as the calling user) and berth cp -a (owners kept).
  const back = join(local, "back-docker");
  const down = await d.docker(["cp", `${ctr}:/tmp/tree`, back]);
  assert.equal(down.code, 0, down.stderr);
  assert.equal(await readFile(join(back, "sub", "deep", "b.txt"), "utf8"), "bravo\n");
  assert.equal(await readlink(join(back, "rel-link")), "sub/deep/b.txt");
  assert.equal(await readlink(join(back, "abs-link")), "/etc/passwd");
  assert.equal((await stat(join(back, "a.txt"))).mode & 0o777, 0o640);
  assert.equal((await stat(join(back, "sub"))).mode & 0o777, 0o750);
  const backB = join(local, "back-berth");
  const downB = await d.berth(["cp", "-a", `${ctr}:/tmp/tree`, backB]);
  assert.equal(downB.code, 0, downB.stderr);
  for (const p of ["a.txt", "sub", "sub/deep/b.txt"]) {
    const st = await lstat(join(backB, p));
    assert.deepEqual([st.uid, st.gid], [1234, 2345], p);
  }
  assert.equal((await lstat(join(backB, "abs-link"))).isSymbolicLink(), true);
  assert.deepEqual((await readdir(backB)).sort(), ["a.txt", "abs-link", "rel-link", "sub"]);
  // Without -a, berth cp makes the files the caller's (root here) as docker's CLI does.
  const backPlain = join(local, "back-plain");
  assert.equal((await d.berth(["cp", `${ctr}:/tmp/tree`, backPlain])).code, 0);
  assert.equal((await lstat(join(backPlain, "a.txt"))).uid, 0);

  // `dir/.` copies the content; a single file into a directory keeps its name.
  assert.equal((await d.docker(["exec", ctr, "mkdir", "/tmp/content"])).code, 0);
  assert.equal((await d.docker(["cp", `${tree}/.`, `${ctr}:/tmp/content`])).code, 0);
  assert.equal((await d.docker(["exec", ctr, "cat", "/tmp/content/a.txt"])).stdout, "alpha\n");
  assert.equal((await d.berth(["cp", join(tree, "a.txt"), `${ctr}:/`])).code, 0);
  assert.equal((await d.docker(["exec", ctr, "cat", "/a.txt"])).stdout, "alpha\n");

  // Tar streams: `-` on stdout and on stdin.
  const tarOut = await d.berth(["cp", `${ctr}:/tmp/tree/a.txt`, "-"]);
  assert.equal(tarOut.code, 0, tarOut.stderr);
  const listed = await runCommand("tar", ["tvf", "-"], { input: tarOut.stdoutBuf });
  assert.match(listed.stdout, /^-rw-r----- 1234\/2345\s+6 .* a\.txt\n$/);
  const tarIn = await runCommand("tar", ["cf", "-", "-C", tree, "a.txt"]);
  assert.equal((await d.docker(["cp", "-", `${ctr}:/home`], tarIn.stdoutBuf)).code, 0);
  assert.equal((await d.docker(["exec", ctr, "cat", "/home/a.txt"])).stdout, "alpha\n");

  // The files the container sees through its bind mounts (/etc/hostname) are what cp reads.
  const host = await d.berth(["cp", `${ctr}:/etc/hostname`, "-"]);
  const hostTar = await runCommand("tar", ["xOf", "-"], { input: host.stdoutBuf });
  assert.equal(hostTar.stdout.trim(), run.stdout.trim().slice(0, 12));
});

test("cp: a stopped container, symlinks resolved inside the container root, -L, errors", async (t) => {
  const d = await startDaemon(t);
  const local = await mkdtemp(join(tmpdir(), "berth-cp-"));
  t.after(() => rm(local, { recursive: true, force: true }));
  // A host directory the container's symlinks name: cp must never reach it.
  const hostDir = join(local, "host-secret");
  await mkdir(hostDir);
  await writeFile(join(hostDir, "secret"), "host only\n");
  const ctr = `cp-stopped-${process.pid}`;
  const setup = [
    "mkdir -p /data/dir && echo inside > /data/dir/file",
    "ln -s /etc /data/etc-link",
    "ln -s ../../../../../.. /data/up",
    `mkdir -p ${hostDir} && echo container > ${hostDir}/secret && ln -s ${hostDir} /data/to-host`,
  ].join(" && ");
  const run = await d.docker(["run", "--name", ctr, "busybox", "sh", "-c", setup]);
  assert.equal(run.code, 0, run.stderr);

  // From the stopped container (its rootfs is mounted for the copy, then unmounted).
  const out = await d.berth(["cp", `${ctr}:/data/dir/file`, join(local, "file")]);
  assert.equal(out.code, 0, out.stderr);
  assert.equal(await readFile(join(local, "file"), "utf8"), "inside\n");
  const out2 = await d.docker(["cp", `${ctr}:/data/dir`, join(local, "dir")]);
  assert.equal(out2.code, 0, out2.stderr);
  assert.equal(await readFile(join(local, "dir", "file"), "utf8"), "inside\n");
  // The unmount follows the end of the stream the client has already read: allow it a moment.
  let mounted = true;
  for (let i = 0; i < 40 && mounted; i++) {
    mounted = (await readFile("/proc/self/mountinfo", "utf8")).includes(join(d.dataRoot, "containers"));
    if (mounted) await new Promise((r) => setTimeout(r, 50));
  }
  assert.equal(mounted, false, "the rootfs is unmounted after the copy");

  // A symlink to an absolute path means the container's path, not the host's.
  const viaLink = await d.berth(["cp", `${ctr}:/data/to-host/secret`, "-"]);
  assert.equal(viaLink.code, 0, viaLink.stderr);
  assert.equal((await runCommand("tar", ["xOf", "-"], { input: viaLink.stdoutBuf })).stdout, "container\n");
  // `..` through a symlink stops at the container's root.
  const up = await d.docker(["cp", `${ctr}:/data/up/etc/passwd`, join(local, "passwd")]);
  assert.equal(up.code, 0, up.stderr);
  assert.match(await readFile(join(local, "passwd"), "utf8"), /^root:x:0:0:/);
  // Writing through the same links lands inside the container; the host directory is untouched.
  await writeFile(join(local, "new.txt"), "written\n");
  assert.equal((await d.docker(["cp", join(local, "new.txt"), `${ctr}:/data/to-host/`])).code, 0);
  assert.equal((await d.berth(["cp", join(local, "new.txt"), `${ctr}:/data/up/tmp/`])).code, 0);
  assert.deepEqual((await readdir(hostDir)).sort(), ["secret"]);
  assert.equal(await readFile(join(hostDir, "secret"), "utf8"), "host only\n");
  const check = await d.berth(["cp", `${ctr}:${hostDir}/new.txt`, "-"]);
  assert.equal(check.code, 0, check.stderr);
  assert.equal((await d.berth(["cp", `${ctr}:/tmp/new.txt`, join(local, "from-tmp.txt")])).code, 0);
  assert.equal(await readFile(join(local, "from-tmp.txt"), "utf8"), "written\n");

  // -L copies what the link points to, under the link's name; without it the link itself.
  assert.equal((await d.docker(["cp", "-L", `${ctr}:/data/etc-link`, join(local, "etc-copy")])).code, 0);
  assert.equal((await stat(join(local, "etc-copy", "passwd"))).isFile(), true);
  assert.equal((await d.berth(["cp", `${ctr}:/data/etc-link`, join(local, "etc-link")])).code, 0);
  assert.equal(await readlink(join(local, "etc-link")), "/etc");
  assert.equal((await d.berth(["cp", "-L", `${ctr}:/data/etc-link`, join(local, "etc-copy-b")])).code, 0);
  assert.equal((await stat(join(local, "etc-copy-b", "group"))).isFile(), true);

  // Errors: docker's texts; nothing is created.
  const missing = await d.docker(["cp", `${ctr}:/nope`, join(local, "nope")]);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, new RegExp(`Could not find the file /nope in container ${ctr}`));
  const missingB = await d.berth(["cp", `${ctr}:/nope`, join(local, "nope")]);
  assert.equal(missingB.code, 1);
  assert.equal(missingB.stderr, `Error response from daemon: Could not find the file /nope in container ${ctr}\n`);
  const notDir = await d.berth(["cp", "-", `${ctr}:/data/dir/file`], (await runCommand("tar", ["cf", "-", "-C", local, "new.txt"])).stdoutBuf);
  assert.equal(notDir.code, 1);
  assert.match(notDir.stderr, /extraction point is not a directory/);
  const noCtr = await d.berth(["cp", "nosuchctr:/etc", local]);
  assert.match(noCtr.stderr, /No such container: nosuchctr/);
  const both = await d.berth(["cp", join(local, "a"), join(local, "b")]);
  assert.match(both.stderr, /must specify at least one container source/);
  assert.equal((await readdir(local)).includes("nope"), false);
  // A stopped container's volumes and binds are part of what cp sees and writes.
  const bound = join(local, "bound");
  await mkdir(bound);
  await writeFile(join(bound, "from-host"), "bound file\n");
  const vol = `cpvol-${process.pid}`;
  const withVol = await d.docker(["create", "--name", `vol-${process.pid}`, "-v", `${vol}:/vol`, "-v", `${bound}:/bound`, "busybox", "true"]);
  assert.equal(withVol.code, 0, withVol.stderr);
  assert.equal((await d.docker(["cp", join(local, "new.txt"), `vol-${process.pid}:/vol/`])).code, 0);
  const fromBind = await d.berth(["cp", `vol-${process.pid}:/bound/from-host`, "-"]);
  assert.equal((await runCommand("tar", ["xOf", "-"], { input: fromBind.stdoutBuf })).stdout, "bound file\n", fromBind.stderr);
  assert.equal((await d.berth(["cp", join(local, "new.txt"), `vol-${process.pid}:/bound/`])).code, 0);
  assert.equal(await readFile(join(bound, "new.txt"), "utf8"), "written\n");
  const inVol = await d.docker(["run", "--rm", "-v", `${vol}:/vol`, "busybox", "cat", "/vol/new.txt"]);
  assert.equal(inVol.stdout, "written\n", inVol.stderr);
  let binds = true;
  for (let i = 0; i < 40 && binds; i++) {
    binds = (await readFile("/proc/self/mountinfo", "utf8")).includes(join(d.dataRoot, "containers"));
    if (binds) await new Promise((r) => setTimeout(r, 50));
  }
  assert.equal(binds, false, "the volume binds and the rootfs are unmounted after the copies");

  const roVol = await d.docker(["create", "--name", `rovol-${process.pid}`, "-v", `${vol}:/ro:ro`, "busybox", "true"]);
  assert.equal(roVol.code, 0, roVol.stderr);
  const roVolCp = await d.berth(["cp", join(local, "new.txt"), `rovol-${process.pid}:/ro/again.txt`]);
  assert.equal(roVolCp.stderr, "Error response from daemon: mounted volume is marked read-only\n");
  assert.equal((await d.docker(["run", "--rm", "-v", `${vol}:/vol`, "busybox", "ls", "/vol"])).stdout, "new.txt\n");

  const ro = await d.docker(["create", "--read-only", "--name", `ro-${process.pid}`, "busybox", "true"]);
  assert.equal(ro.code, 0, ro.stderr);
  const roCp = await d.docker(["cp", join(local, "new.txt"), `ro-${process.pid}:/tmp/`]);
  assert.equal(roCp.code, 1);
  assert.match(roCp.stderr, /container rootfs is marked read-only/);
  assert.equal((await d.berth(["cp", `ro-${process.pid}:/tmp/new.txt`, "-"])).code, 1, "nothing was written");
  const tarless = await d.docker(["cp", "-", `${ctr}:/tmp`], "this is not a tar archive, just some bytes that are long enough to look at".repeat(20));
  assert.notEqual(tarless.code, 0);
});
