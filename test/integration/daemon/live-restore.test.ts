/**
 * What a clean stop of berthd (SIGTERM) does to running containers: by default, as dockerd,
 * it stops them with their stop signal and stop timeout; with `live-restore` (daemon.json or
 * `--live-restore`) it leaves them running under their shims and the next daemon takes
 * them over.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import type { ChildProcess } from "node:child_process";
import { DAEMON_MAIN, httpCall, runCommand, spawnDaemon, startDaemon, type TestDaemon } from "./daemon-helper.js";

function alive(pid: number): boolean {
  try {
    return !/\) [ZX] /.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return false;
  }
}

async function waitPing(socket: string, child: ChildProcess): Promise<void> {
  for (let i = 0; i < 600; i++) {
    if (child.exitCode !== null) throw new Error(`berthd exited with ${child.exitCode}`);
    if (await httpCall(socket, "GET", "/_ping").then((r) => r.status === 200, () => false)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error("berthd did not answer /_ping");
}

/** Start a second daemon on the test daemon's data root; returns a docker runner and a stop. */
async function again(d: TestDaemon, extra: readonly string[] = []): Promise<{ docker: (args: readonly string[]) => ReturnType<TestDaemon["docker"]>; stop: () => Promise<void> }> {
  const child = spawnDaemon(d.dir, d.dataRoot, d.socket, extra);
  let log = "";
  child.stderr?.on("data", (c: Buffer) => { log += c.toString(); });
  const exited = new Promise<void>((r) => child.once("exit", () => r()));
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
    await exited;
    clearTimeout(timer);
  };
  try {
    await waitPing(d.socket, child);
  } catch (err) {
    await stop();
    throw new Error(`${(err as Error).message}: ${log}`);
  }
  return { docker: (args) => d.docker(args), stop };
}

async function stopDaemon(d: TestDaemon): Promise<number> {
  const t0 = Date.now();
  await d.stop();
  return Date.now() - t0;
}

test("live-restore: SIGTERM leaves containers running under their shims; the next daemon takes them over", async (t) => {
  const d = await startDaemon(t, { daemonJson: { "live-restore": true } });
  assert.equal((await d.docker(["info", "--format", "{{.LiveRestoreEnabled}}"])).stdout, "true\n");
  const name = `live-${process.pid}`;
  const run = await d.docker(["run", "-d", "--name", name, "busybox", "sh", "-c", "echo before; trap 'exit 3' TERM; while true; do sleep 0.2; done"]);
  assert.equal(run.code, 0, run.stderr);
  const pid = Number((await d.docker(["inspect", "-f", "{{.State.Pid}}", name])).stdout.trim());
  assert.ok(pid > 0 && alive(pid));
  let next: Awaited<ReturnType<typeof again>> | undefined;
  t.after(async () => {
    if (next !== undefined) {
      await next.docker(["rm", "-f", name]);
      await next.stop();
    } else if (alive(pid)) {
      process.kill(pid, "SIGKILL");
    }
  });

  const ms = await stopDaemon(d);
  assert.ok(ms < 5000, `a live-restore stop waits for no container (${ms} ms)`);
  assert.equal(d.process.exitCode, 0);
  assert.ok(alive(pid), "the container survives the daemon's clean stop");
  await new Promise((r) => setTimeout(r, 300));
  assert.ok(alive(pid));

  next = await again(d);
  const st = await next.docker(["inspect", "-f", "{{.State.Status}} {{.State.Pid}}", name]);
  assert.equal(st.stdout, `running ${pid}\n`, st.stderr);
  assert.equal((await next.docker(["exec", name, "echo", "exec-ok"])).stdout, "exec-ok\n");
  assert.equal((await next.docker(["logs", name])).stdout, "before\n");
  assert.equal((await next.docker(["stop", name])).code, 0);
  assert.equal((await next.docker(["inspect", "-f", "{{.State.ExitCode}}", name])).stdout, "3\n");
});

test("default: SIGTERM stops containers with their stop signal, then SIGKILL after their stop timeout; --live-restore as a flag", async (t) => {
  const d = await startDaemon(t);
  assert.equal((await d.docker(["info", "--format", "{{.LiveRestoreEnabled}}"])).stdout, "false\n");
  const polite = `polite-${process.pid}`;
  const stubborn = `stubborn-${process.pid}`;
  assert.equal((await d.docker(["run", "-d", "--name", polite, "busybox", "sh", "-c", "trap 'exit 7' TERM; while true; do sleep 0.2; done"])).code, 0);
  // PID 1 without a handler ignores SIGTERM: only the SIGKILL after 2 s ends it.
  assert.equal((await d.docker(["run", "-d", "--name", stubborn, "--stop-timeout", "2", "busybox", "sleep", "1000"])).code, 0);
  const pids = (await d.docker(["inspect", "-f", "{{.State.Pid}}", polite, stubborn])).stdout.trim().split("\n").map(Number);
  assert.equal(pids.length, 2);
  let next: Awaited<ReturnType<typeof again>> | undefined;
  t.after(async () => {
    for (const p of pids) if (alive(p)) process.kill(p, "SIGKILL");
    if (next !== undefined) {
      await next.docker(["rm", "-f", polite, stubborn]);
      await next.stop();
    }
  });

  const ms = await stopDaemon(d);
  assert.equal(d.process.exitCode, 0);
  assert.ok(ms >= 1900, `the stop timeout of 2 s is waited for (${ms} ms)`);
  assert.ok(ms < 9000, `not the default 10 s for a container with --stop-timeout 2 (${ms} ms)`);
  for (const p of pids) assert.equal(alive(p), false, `container process ${p} stopped with the daemon`);

  next = await again(d, ["--live-restore"]);
  const st = await next.docker(["inspect", "-f", "{{.State.Status}} {{.State.ExitCode}}", polite, stubborn]);
  assert.equal(st.stdout, "exited 7\nexited 137\n", st.stderr);
  assert.equal((await next.docker(["info", "--format", "{{.LiveRestoreEnabled}}"])).stdout, "true\n");
  // A directive given both ways is refused, as by dockerd.
  writeFileSync(`${d.dir}/both.json`, JSON.stringify({ "live-restore": false }));
  const both = await runCommand(process.execPath, [DAEMON_MAIN, "--live-restore", "--config-file", `${d.dir}/both.json`, "--data-root", `${d.dir}/other`]);
  assert.equal(both.code, 1);
  assert.match(both.stderr, /specified both as a flag and in the configuration file: live-restore/);
});
