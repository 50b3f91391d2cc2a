import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createBody, parseMemory, type CreateFlags } from "./create-options.js";
import { startErrorStatus } from "./run.js";
import { DaemonError } from "../../../client/engine-client.js";

const base: CreateFlags = { env: [], envFile: [], label: [], capAdd: [], capDrop: [] };

test("parseMemory() reads docker's sizes in binary units", () => {
  assert.equal(parseMemory("64m"), 64 * 1024 * 1024);
  assert.equal(parseMemory("1g"), 1024 ** 3);
  assert.equal(parseMemory("512k"), 512 * 1024);
  assert.equal(parseMemory("100"), 100);
  assert.equal(parseMemory("1.5m"), 1.5 * 1024 * 1024);
  assert.throws(() => parseMemory("lots"), /invalid size: 'lots'/);
});

test("createBody() maps run flags to the create body", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "berth-envfile-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await writeFile(join(dir, "env"), "# comment\nFROMFILE=1\n\nB=2\n");
  const b = createBody("busybox", ["sh", "-c", "x"], {
    ...base, interactive: true, tty: true, name: "n", env: ["A=1"], envFile: [join(dir, "env")], workdir: "/w", user: "u",
    entrypoint: "/e", hostname: "h", label: ["k=v", "flag"], memory: "32m", cpus: "1.5", pidsLimit: "7", capAdd: ["NET_ADMIN"],
    capDrop: ["ALL"], readOnly: true, privileged: false, network: "none", rm: true,
  });
  assert.deepEqual(b.Cmd, ["sh", "-c", "x"]);
  assert.deepEqual(b.Entrypoint, ["/e"]);
  assert.deepEqual(b.Env, ["FROMFILE=1", "B=2", "A=1"]);
  assert.deepEqual(b.Labels, { k: "v", flag: "" });
  assert.deepEqual([b.Tty, b.OpenStdin, b.StdinOnce, b.AttachStdin, b.WorkingDir, b.User, b.Hostname], [true, true, true, true, "/w", "u", "h"]);
  assert.deepEqual(b.HostConfig, {
    AutoRemove: true, Privileged: false, ReadonlyRootfs: true, CapAdd: ["NET_ADMIN"], CapDrop: ["ALL"], NetworkMode: "none",
    Memory: 32 * 1024 * 1024, NanoCpus: 1.5e9, PidsLimit: 7,
  });
  const d = createBody("busybox", [], { ...base, interactive: true, detach: true });
  assert.deepEqual([d.Cmd, d.StdinOnce, d.AttachStdin, d.AttachStdout], [undefined, false, false, false]);
  assert.throws(() => createBody("busybox", [], { ...base, cpus: "x" }), /invalid argument "x" for "--cpus" flag/);
});

test("startErrorStatus() exits as docker run does", () => {
  assert.equal(startErrorStatus(new DaemonError(400, 'exec: "x": executable file not found in $PATH')).status, 127);
  assert.equal(startErrorStatus(new DaemonError(400, "open /bin/x: permission denied")).status, 126);
  const other = startErrorStatus(new DaemonError(404, "No such image: x"));
  assert.deepEqual([other.status, other.message], [125, "berth: Error response from daemon: No such image: x"]);
});
