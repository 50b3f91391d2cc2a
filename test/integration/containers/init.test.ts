/**
 * `--init`: berth-docker-init as pid 1 (bind-mounted at /sbin/docker-init, the command after
 * "--"), reaping orphans that a plain pid 1 leaves as zombies, forwarding signals, passing the
 * exit status on; daemon.json `init: true` as the default, `--init=false` against it.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { startDaemon, type TestDaemon } from "../daemon/daemon-helper.js";

async function ok(r: Promise<{ code: number; stdout: string; stderr: string }>): Promise<string> {
  const res = await r;
  assert.equal(res.code, 0, res.stderr);
  return res.stdout;
}

const cmdline = ["cat", "/proc/1/cmdline"];
const args = (s: string) => s.split("\0").filter((x) => x !== "");

/** Zombies among the container's processes, read by an exec after an orphan has exited. */
async function zombies(d: TestDaemon, init: boolean): Promise<number> {
  const name = `reap-${init ? "init" : "plain"}-${process.pid}`;
  // The subshell exits at once, orphaning `sleep 0.2` to pid 1; plain `sleep` as pid 1 never waits.
  await ok(d.docker(["run", "-d", "--name", name, ...(init ? ["--init"] : []), "busybox", "sh", "-c", "(sleep 0.2 &); exec sleep 30"]));
  try {
    await new Promise((r) => setTimeout(r, 1200));
    const ps = await ok(d.docker(["exec", name, "ps", "-o", "stat,args"]));
    return ps.split("\n").filter((l) => /^Z/.test(l.trim())).length;
  } finally {
    await d.docker(["rm", "-f", name]);
  }
}

test("--init through docker and berth", async (t) => {
  const d = await startDaemon(t);

  await t.test("pid 1 is docker-init with the command after --, read-only at /sbin/docker-init", async () => {
    assert.deepEqual(args(await ok(d.docker(["run", "--rm", "--init", "busybox", ...cmdline]))), ["/sbin/docker-init", "--", ...cmdline]);
    assert.deepEqual(args(await ok(d.berth(["run", "--rm", "--init", "busybox", ...cmdline]))), ["/sbin/docker-init", "--", ...cmdline]);
    assert.deepEqual(args(await ok(d.docker(["run", "--rm", "busybox", ...cmdline]))), cmdline);
    const w = await d.docker(["run", "--rm", "--init", "busybox", "sh", "-c", "echo x > /sbin/docker-init"]);
    assert.notEqual(w.code, 0);
    assert.match(w.stderr, /Read-only file system/);
    const name = `inspected-${process.pid}`;
    await ok(d.docker(["create", "--name", name, "--init", "busybox", "true"]));
    assert.equal((await ok(d.docker(["inspect", "-f", "{{.HostConfig.Init}} {{.Path}}", name]))).trim(), "true true");
    await d.docker(["rm", "-f", name]);
  });

  await t.test("orphans are reaped with --init and stay zombies without it", async () => {
    assert.equal(await zombies(d, false), 1, "a plain pid 1 leaves the orphan a zombie");
    assert.equal(await zombies(d, true), 0);
  });

  await t.test("signals are forwarded and the exit status passed on", async () => {
    const r = await d.docker(["run", "--rm", "--init", "busybox", "sh", "-c", "exit 3"]);
    assert.equal(r.code, 3);
    const name = `sig-${process.pid}`;
    await ok(d.docker(["run", "-d", "--init", "--name", name, "busybox", "sh", "-c", "trap 'echo got-term; exit 7' TERM; echo ready; while :; do sleep 0.1; done"]));
    try {
      for (let i = 0; i < 50 && !(await d.docker(["logs", name])).stdout.includes("ready"); i++) await new Promise((res) => setTimeout(res, 100));
      const t0 = Date.now();
      await ok(d.docker(["stop", name]));
      assert.ok(Date.now() - t0 < 8000, "SIGTERM reached the trap; no SIGKILL after the timeout");
      assert.equal((await ok(d.docker(["inspect", "-f", "{{.State.ExitCode}}", name]))).trim(), "7");
      assert.equal((await ok(d.docker(["logs", name]))).trim(), "ready\ngot-term");
      await ok(d.docker(["start", name]));
      await ok(d.docker(["kill", "-s", "USR1", name]));
      assert.equal((await ok(d.docker(["wait", name]))).trim(), String(128 + 10), "USR1 forwarded: sh dies of it, init reports 128+10");
    } finally {
      await d.docker(["rm", "-f", name]);
    }
  });
});

test("daemon.json init: true is the default; --init=false turns it off", async (t) => {
  const d = await startDaemon(t, { daemonJson: { init: true } });
  assert.deepEqual(args(await ok(d.docker(["run", "--rm", "busybox", ...cmdline]))), ["/sbin/docker-init", "--", ...cmdline]);
  assert.deepEqual(args(await ok(d.docker(["run", "--rm", "--init=false", "busybox", ...cmdline]))), cmdline);
});
