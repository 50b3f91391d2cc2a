// `berth registry serve` runs the registry entry point: it answers the distribution API's
// version check on the address it reports, and stops cleanly on SIGTERM.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const BERTH = fileURLToPath(new URL("../../../src/cli/main.js", import.meta.url));

test("berth registry serve answers GET /v2/ and exits 0 on SIGTERM", async (t) => {
  const root = await mkdtemp(join(tmpdir(), "berth-registry-cli-"));
  t.after(() => rm(root, { recursive: true, force: true }));
  const child = spawn(process.execPath, [BERTH, "registry", "serve", "--addr", "127.0.0.1:0", "--root", root], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  t.after(() => { if (child.exitCode === null) child.kill("SIGKILL"); });
  const addr = await new Promise<string>((resolve, reject) => {
    let out = "";
    child.stdout.on("data", (c: Buffer) => {
      out += c.toString();
      const m = /listening on (\S+)/.exec(out);
      if (m?.[1] !== undefined) resolve(m[1]);
    });
    child.once("exit", (code) => reject(new Error(`registry exited early with ${code}`)));
  });
  const res = await fetch(`http://${addr}/v2/`);
  assert.equal(res.status, 200);
  assert.equal(res.headers.get("docker-distribution-api-version"), "registry/2.0");
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  child.kill("SIGTERM");
  assert.equal(await exited, 0);
});

test("berth registry with an unknown subcommand prints usage and fails", async () => {
  const child = spawn(process.execPath, [BERTH, "registry", "nonsense"], { stdio: ["ignore", "pipe", "pipe"] });
  let err = "";
  child.stderr.on("data", (c: Buffer) => (err += c.toString()));
  const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
  assert.equal(code, 2);
  assert.match(err, /usage: berth-registry serve/);
});
