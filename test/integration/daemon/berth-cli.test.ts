import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { execFileSync } from "node:child_process";
import { writeFile } from "node:fs/promises";
import { CLI_MAIN, runCommand, startDaemon } from "./daemon-helper.js";

test("berth drives berthd: version, info, save -o, rmi, load -i, import, tag, errors", async (t) => {
  const d = await startDaemon(t);
  const v = await d.berth(["version"]);
  assert.equal(v.code, 0, v.stderr);
  assert.match(v.stdout, /Server: berth\n Engine:\n {2}Version: {10}0\.1\.0\n {2}API version: {6}1\.50 \(minimum version 1\.24\)/);
  const info = await d.berth(["info"]);
  assert.match(info.stdout, /^ Images: 1$/m);
  assert.match(info.stdout, new RegExp(`^ Docker Root Dir: ${d.dataRoot}$`, "m"));

  const archive = join(d.dir, "bb.tar");
  assert.equal((await d.berth(["save", "-o", archive, "busybox"])).code, 0);
  const id = (await d.berth(["image", "inspect", "-f", "{{.Id}}", "busybox"])).stdout.trim();
  const rm = await d.berth(["image", "rm", "busybox"]);
  assert.equal(rm.stdout.split("\n")[0], "Untagged: busybox:latest");
  assert.match(rm.stdout, new RegExp(`^Deleted: ${id}$`, "m"));
  const load = await d.berth(["image", "load", "-i", archive]);
  assert.equal(load.stdout, "Loaded image: busybox:latest\n", load.stderr);

  const rootfs = join(d.dir, "rootfs.tar.gz");
  await writeFile(rootfs, execFileSync("tar", ["-C", "/etc", "-czf", "-", "hostname"]));
  const imp = await d.berth(["import", "--change", "WORKDIR /srv", rootfs, "gz/img:2"]);
  assert.match(imp.stdout, /^sha256:[0-9a-f]{64}\n$/, imp.stderr);
  assert.equal((await d.berth(["image", "inspect", "-f", "{{.Config.WorkingDir}}", "gz/img:2"])).stdout, "/srv\n");
  assert.equal((await d.berth(["image", "tag", "gz/img:2", "gz/img:3"])).code, 0);
  assert.equal((await d.berth(["images", "--format", "{{.Repository}}:{{.Tag}}", "gz/img"])).stdout.split("\n").filter(Boolean).sort().join(","), "gz/img:2,gz/img:3");

  const bad = await d.berth(["rmi", "nope"]);
  assert.equal(bad.code, 1);
  assert.equal(bad.stderr, "Error response from daemon: No such image: nope:latest\n");
  const badRef = await d.berth(["tag", "busybox", "UPPER"]);
  assert.equal(badRef.code, 1);
  assert.equal(badRef.stderr, "Error response from daemon: invalid reference format: repository name (library/UPPER) must be lowercase\n");
  const down = await runCommand(process.execPath, [CLI_MAIN, "images"], { env: { BERTH_HOST: `unix://${join(d.dir, "missing.sock")}` } });
  assert.equal(down.code, 1);
  assert.equal(down.stderr, `Cannot connect to the berth daemon at unix://${join(d.dir, "missing.sock")}. Is the berth daemon running?\n`);
});
