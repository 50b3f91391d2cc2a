import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { runChecked, runCommand } from "./command-runner.js";

test("runCommand() passes arguments verbatim, feeds stdin, and returns status, stdout and stderr", async () => {
  const args = ["it's", "a b", "$HOME", "`x`", "\"q\"", "", "*"];
  const r = await runCommand("printf", ["%s|", ...args]);
  assert.equal(r.code, 0);
  assert.equal(r.stdout.toString(), `${args.join("|")}|`);
  const cat = await runCommand("cat", [], { input: Buffer.from([0, 1, 2, 255]) });
  assert.deepEqual([...cat.stdout], [0, 1, 2, 255]);
  const fail = await runCommand("sh", ["-c", "echo out; echo err >&2; exit 3"]);
  assert.deepEqual([fail.code, fail.stdout.toString(), fail.stderr.toString()], [3, "out\n", "err\n"]);
  assert.equal((await runCommand("berth-no-such-command", [])).code, 127);
  const none = await runCommand("cat", []);
  assert.equal(none.stdout.length, 0, "stdin is /dev/null without input");
  await assert.rejects(runChecked("sh", ["-c", "echo bad thing >&2; exit 1"]), /sh: bad thing/);
});

test("runCommand() runs in cwd without changing the next command's, and runs many at once", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "berth-cmd-test-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  assert.equal((await runCommand("pwd", [], { cwd: dir })).stdout.toString(), `${dir}\n`);
  assert.notEqual((await runCommand("pwd", [])).stdout.toString(), `${dir}\n`);
  const many = await Promise.all(Array.from({ length: 25 }, (_, i) => runCommand("sh", ["-c", `sleep 0.0${i % 5}; echo ${i}`])));
  assert.deepEqual(many.map((r) => r.stdout.toString()), Array.from({ length: 25 }, (_, i) => `${i}\n`));
});

test("idle command shells do not keep a process alive", () => {
  const mod = fileURLToPath(new URL("./command-runner.js", import.meta.url));
  const t0 = Date.now();
  const r = spawnSync(process.execPath, ["--input-type=module", "-e",
    `const { runCommand } = await import(${JSON.stringify(mod)}); const r = await runCommand("echo", ["hi"]); process.stdout.write(r.stdout);`],
  { encoding: "utf8", timeout: 20_000 });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, "hi\n");
  assert.ok(Date.now() - t0 < 15_000);
});

test("a command directory left by a dead owner is removed; a live owner's is kept", async () => {
  const { mkdirSync, existsSync } = await import("node:fs");
  const base = existsSync("/dev/shm") ? "/dev/shm" : tmpdir();
  // A pid far above pid_max is never alive.
  const stale = join(base, "berth-cmd-99999999-test");
  const live = join(base, `berth-cmd-${process.ppid}-test`);
  mkdirSync(stale, { recursive: true });
  mkdirSync(live, { recursive: true });
  try {
    const mod = fileURLToPath(new URL("./command-runner.js", import.meta.url));
    const r = spawnSync(process.execPath, ["--input-type=module", "-e", `const { runCommand } = await import(${JSON.stringify(mod)}); await runCommand("true", []);`], { encoding: "utf8", timeout: 20_000 });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(existsSync(stale), false);
    assert.equal(existsSync(live), true);
  } finally {
    rm(stale, { recursive: true, force: true }).catch(() => undefined);
    await rm(live, { recursive: true, force: true });
  }
});
