/**
 * `cp` through the real docker CLI and `berth cp` on a running container: trees with
 * symlinks both ways (content, modes, owners with -a), `dir/.`, tar streams on stdin/stdout,
 * files seen through the container's bind mounts. cp-stopped.test.ts has the rest.
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
