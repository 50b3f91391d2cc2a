/**
 * `docker exec` runs through the container's shim (the shim forks berth-init; the daemon
 * forks nothing): exit codes, separate stdout and stderr, stdin, a terminal, output larger
 * than the shim's buffers (backpressure, not a dropped client), a missing executable, a
 * paused container, and exec into a container after the daemon was killed and restarted.
 * The shim itself is not the daemon's child (shim-launch.ts starts it from a command shell).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import { httpCall, spawnDaemon, startDaemon } from "./daemon-helper.js";

/** Host pids whose command line is exactly `argv`. */
function pidsRunning(argv: readonly string[]): number[] {
  const want = `${argv.join("\0")}\0`;
  const out: number[] = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (readFileSync(`/proc/${name}/cmdline`, "utf8") === want) out.push(Number(name));
    } catch {
      // gone
    }
  }
  return out;
}

function parentOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
}

function commOf(pid: number): string {
  return readFileSync(`/proc/${pid}/comm`, "utf8").trim();
}

test("docker exec goes through the shim: status, streams, stdin, tty, big output, errors, after a daemon restart", async (t) => {
  const d = await startDaemon(t);
  const name = `exec-shim-${process.pid}`;
  const run = await d.docker(["run", "-d", "--name", name, "--network", "none", "busybox", "sleep", "100000"]);
  assert.equal(run.code, 0, run.stderr);

  const status = await d.docker(["exec", name, "sh", "-c", "echo out; echo err >&2; exit 7"]);
  assert.equal(status.code, 7);
  assert.equal(status.stdout, "out\n");
  assert.equal(status.stderr, "err\n");

  const stdin = await d.docker(["exec", "-i", name, "sh", "-c", "cat; echo done"], "line one\nline two\n");
  assert.equal(stdin.code, 0, stdin.stderr);
  assert.equal(stdin.stdout, "line one\nline two\ndone\n");

  const tty = await d.docker(["exec", "-t", name, "sh", "-c", "tty; echo x >&2"]);
  assert.equal(tty.code, 0, tty.stderr);
  assert.match(tty.stdout, /^\/dev\/pts\/\d+\r\nx\r\n$/, "one terminal stream: stderr arrives on it");

  // 12 MB: three times the most the shim buffers for a client; it must slow the process
  // down, not drop the client.
  const big = await d.docker(["exec", name, "head", "-c", "12000000", "/dev/zero"]);
  assert.equal(big.code, 0, big.stderr);
  assert.equal(big.stdoutBuf.length, 12_000_000);

  const missing = await d.docker(["exec", name, "no-such-binary"]);
  assert.equal(missing.code, 127);
  // The docker CLI prints the error the exec start stream carried on its stdout.
  assert.match(missing.stdout + missing.stderr, /no-such-binary.*not found/);

  // The process's parent is berth-init, and berth-init's is the container's shim.
  const marker = ["sleep", "31.4159"];
  const pending = d.docker(["exec", name, ...marker]);
  let pids: number[] = [];
  for (let i = 0; i < 200 && pids.length === 0; i++) {
    await new Promise((r) => setTimeout(r, 25));
    pids = pidsRunning(marker);
  }
  assert.equal(pids.length, 1, "the exec'd sleep runs");
  const init = parentOf(pids[0]!);
  assert.equal(commOf(init), "berth-init");
  const shim = parentOf(init);
  assert.equal(commOf(shim), "berth-shim");
  assert.notEqual(shim, d.process.pid);
  // The shim itself was started from a command shell, not forked from the daemon.
  assert.notEqual(parentOf(shim), d.process.pid, "the daemon is not the shim's parent");
  process.kill(pids[0]!, "SIGTERM");
  assert.equal((await pending).code, 143, "killed by SIGTERM: 128 + 15");

  assert.equal((await d.docker(["pause", name])).code, 0);
  const paused = await d.docker(["exec", name, "true"]);
  assert.notEqual(paused.code, 0);
  assert.match(paused.stderr, /paused/);
  assert.equal((await d.docker(["unpause", name])).code, 0);

  // kill -9 of the daemon: the container lives on under its shim; a new daemon execs into it.
  if (d.process.pid !== undefined) process.kill(d.process.pid, "SIGKILL");
  await new Promise((r) => d.process.once("exit", r));
  const again = spawnDaemon(d.dir, d.dataRoot, d.socket);
  const againExit = new Promise((r) => again.once("exit", r));
  t.after(async () => {
    if (again.exitCode === null && again.pid !== undefined) {
      process.kill(again.pid, "SIGKILL");
      await againExit;
    }
  });
  let up = false;
  for (let i = 0; i < 1200 && !up; i++) {
    await new Promise((r) => setTimeout(r, 50));
    up = await httpCall(d.socket, "GET", "/_ping").then((r) => r.status === 200, () => false);
  }
  assert.ok(up, "the restarted daemon serves");
  const after = await d.docker(["exec", name, "sh", "-c", "echo still here; exit 3"]);
  assert.equal(after.code, 3, after.stderr);
  assert.equal(after.stdout, "still here\n");
  assert.equal((await d.docker(["rm", "-f", name])).code, 0);
});
