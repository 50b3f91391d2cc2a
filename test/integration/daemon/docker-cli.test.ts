import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { execFileSync } from "node:child_process";
import { startDaemon } from "./daemon-helper.js";

test("the docker CLI talks to berthd: version, info, images, inspect, history", async (t) => {
  const d = await startDaemon(t);
  const v = await d.docker(["version", "--format", "{{.Server.Version}} {{.Server.APIVersion}} {{.Server.Os}}"]);
  assert.equal(v.code, 0, v.stderr);
  assert.equal(v.stdout.trim(), "0.1.0 1.50 linux");
  const serverVersion = (s: string) => s.slice(s.indexOf("\nServer:"));
  const dv = await d.docker(["version"]);
  assert.equal(serverVersion((await d.berth(["version"])).stdout), serverVersion(dv.stdout), "berth version prints docker's Server section");
  const info = await d.docker(["info", "--format", "{{.Images}} {{.Driver}} {{.DockerRootDir}} {{.OSType}} {{.NCPU}}"]);
  assert.equal(info.code, 0, info.stderr);
  const [images, driver, root, ostype, ncpu] = info.stdout.trim().split(" ");
  assert.equal(images, "1");
  assert.equal(driver, "overlay2");
  assert.equal(root, d.dataRoot);
  assert.equal(ostype, "linux");
  assert.ok(Number(ncpu) >= 1);
  const plainInfo = await d.docker(["info"]);
  assert.equal(plainInfo.code, 0, plainInfo.stderr);
  assert.match(plainInfo.stdout, /Server Version: 0\.1\.0/);
  const serverPart = (s: string) => s.slice(s.indexOf("\nServer:\n"));
  const berthInfo = await d.berth(["info"]);
  assert.equal(berthInfo.code, 0, berthInfo.stderr);
  assert.equal(serverPart(berthInfo.stdout), serverPart(plainInfo.stdout), "berth info prints docker's Server section");

  const di = await d.docker(["images"]);
  assert.equal(di.code, 0, di.stderr);
  assert.match(di.stdout, /^REPOSITORY\s+TAG\s+IMAGE ID\s+CREATED\s+SIZE\nbusybox\s+latest\s+[0-9a-f]{12}\s+\S.* ago\s+\d[\d.]*MB\n$/);
  const bi = await d.berth(["images"]);
  assert.equal(bi.stdout, di.stdout, "berth images prints what docker images prints");
  assert.equal((await d.berth(["images", "-q"])).stdout, (await d.docker(["images", "-q"])).stdout);
  assert.equal((await d.berth(["images", "--no-trunc"])).stdout, (await d.docker(["images", "--no-trunc"])).stdout);
  assert.equal((await d.berth(["images", "--format", "json"])).stdout, (await d.docker(["images", "--format", "json"])).stdout);
  assert.equal((await d.berth(["images", "--digests"])).stdout, (await d.docker(["images", "--digests"])).stdout);
  assert.equal((await d.berth(["history", "--format", "json", "busybox"])).stdout, (await d.docker(["history", "--format", "json", "busybox"])).stdout);

  const insp = await d.docker(["image", "inspect", "busybox"]);
  assert.equal(insp.code, 0, insp.stderr);
  const [img] = JSON.parse(insp.stdout) as Array<{ Id: string; RepoTags: string[]; Config: { Cmd: string[] }; RootFS: { Layers: string[] }; Os: string; Size: number }>;
  assert.match(img?.Id ?? "", /^sha256:[0-9a-f]{64}$/);
  assert.deepEqual(img?.RepoTags, ["busybox:latest"]);
  assert.deepEqual(img?.Config.Cmd, ["sh"]);
  assert.equal(img?.RootFS.Layers.length, 1);
  assert.equal(img?.Os, "linux");
  assert.equal((await d.berth(["image", "inspect", "-f", "{{.Id}}", "busybox"])).stdout.trim(), img?.Id);

  const dh = await d.docker(["history", "busybox"]);
  assert.equal(dh.code, 0, dh.stderr);
  assert.equal((await d.berth(["history", "busybox"])).stdout, dh.stdout);

  const missing = await d.docker(["image", "inspect", "nope"]);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /No such image: nope/);
});

test("docker tag, save, rmi, load, import round trip through berthd", async (t) => {
  const d = await startDaemon(t);
  const id = (await d.docker(["image", "inspect", "-f", "{{.Id}}", "busybox"])).stdout.trim();
  assert.equal((await d.docker(["tag", "busybox", "localhost:5000/me/bb:v1"])).code, 0);
  assert.equal((await d.docker(["tag", "busybox", "Bad:Ref"])).code !== 0, true);
  const tags = (await d.docker(["image", "inspect", "-f", "{{json .RepoTags}}", id])).stdout.trim();
  assert.deepEqual(JSON.parse(tags).sort(), ["busybox:latest", "localhost:5000/me/bb:v1"]);

  const archive = join(d.dir, "bb.tar");
  const save = await d.docker(["save", "-o", archive, "localhost:5000/me/bb:v1"]);
  assert.equal(save.code, 0, save.stderr);
  const listing = execFileSync("tar", ["-tf", archive], { encoding: "utf8" }).split("\n");
  for (const f of ["manifest.json", "index.json", "oci-layout", "repositories"]) assert.ok(listing.includes(f), f);

  const rmi1 = await d.docker(["rmi", "localhost:5000/me/bb:v1"]);
  assert.equal(rmi1.stdout, "Untagged: localhost:5000/me/bb:v1\n");
  assert.equal((await d.berth(["tag", "busybox", "other:1"])).code, 0);
  const conflict = await d.docker(["rmi", id.slice(7, 19)]);
  assert.equal(conflict.code, 1);
  assert.match(conflict.stderr, /conflict: unable to delete [0-9a-f]{12} \(must be forced\) - image is referenced in multiple repositories/);
  const rmi2 = await d.berth(["rmi", "-f", id.slice(7, 19)]);
  assert.equal(rmi2.stdout.split("\n").slice(0, 3).join("\n"), `Untagged: busybox:latest\nUntagged: other:1\nDeleted: ${id}`);
  assert.equal((await d.docker(["images", "-q"])).stdout, "");

  const load = await d.docker(["load", "-i", archive]);
  assert.equal(load.code, 0, load.stderr);
  assert.equal(load.stdout, "Loaded image: localhost:5000/me/bb:v1\n");
  assert.equal((await d.docker(["image", "inspect", "-f", "{{.Id}}", "localhost:5000/me/bb:v1"])).stdout.trim(), id);

  // docker save to stdout → berth load from stdin.
  const viaStdout = await d.docker(["save", "localhost:5000/me/bb:v1"]);
  assert.equal(viaStdout.code, 0);
  assert.equal((await d.docker(["rmi", "localhost:5000/me/bb:v1"])).code, 0);
  const bl = await d.berth(["load"], viaStdout.stdoutBuf);
  assert.equal(bl.stdout, "Loaded image: localhost:5000/me/bb:v1\n", bl.stderr);

  const rootfs = execFileSync("tar", ["-C", "/etc", "-cf", "-", "hostname", "os-release"]);
  const imp = await d.docker(["import", "-c", "CMD [\"/bin/true\"]", "-c", "ENV A=1", "-m", "from test", "-", "imported:1"], rootfs);
  assert.equal(imp.code, 0, imp.stderr);
  assert.match(imp.stdout, /^sha256:[0-9a-f]{64}\n$/);
  const cfg = JSON.parse((await d.docker(["image", "inspect", "-f", "{{json .Config}}", "imported:1"])).stdout) as { Cmd: string[]; Env: string[] };
  assert.deepEqual(cfg.Cmd, ["/bin/true"]);
  assert.deepEqual(cfg.Env, ["A=1"]);
  const hist = await d.docker(["history", "--format", "{{.Comment}}", "imported:1"]);
  assert.equal(hist.stdout, "from test\n");
  const events = await d.berth(["events", "--since", "0", "--until", String(Math.floor(Date.now() / 1000) + 1), "-f", "type=image"]);
  const actions = events.stdout.trim().split("\n").map((l) => l.split(" ")[2]);
  for (const a of ["tag", "save", "untag", "delete", "load", "import"]) assert.ok(actions.includes(a), `event ${a} in ${actions.join(",")}`);
  const untilNow = String(Math.floor(Date.now() / 1000) + 1);
  const plainDocker = await d.docker(["events", "--since", "0", "--until", untilNow]);
  assert.equal((await d.berth(["events", "--since", "0", "--until", untilNow])).stdout, plainDocker.stdout);
  const de = await d.docker(["events", "--since", "0", "--until", String(Math.floor(Date.now() / 1000) + 1), "--filter", "type=image", "--filter", "event=import", "--format", "{{.Type}} {{.Action}}"]);
  assert.equal(de.code, 0, de.stderr);
  assert.equal(de.stdout, "image import\n");
});
