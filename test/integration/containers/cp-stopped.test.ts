/**
 * `cp` on stopped containers through the docker CLI and berth: the rootfs mounted for the
 * copy, volumes and binds, paths that try to leave the container's root through symlinks,
 * `-L`, read-only rootfs and volumes, and the errors docker gives.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdir, mkdtemp, readFile, readlink, readdir, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runCommand, startDaemon } from "../daemon/daemon-helper.js";

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
