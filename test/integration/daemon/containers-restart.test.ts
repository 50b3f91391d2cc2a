/** Containers outlive berthd: kill -9 the daemon, start it again, the shims are still there. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { httpCall, spawnDaemon, startDaemon } from "./daemon-helper.js";

test("after kill -9 of berthd a running container keeps running and one that exited shows its real code", async (t) => {
  const d = await startDaemon(t);
  const run = await d.docker(["run", "-d", "--name", "surv", "busybox", "sh", "-c", "echo before; while true; do sleep 0.2; done"]);
  assert.equal(run.code, 0, run.stderr);
  assert.equal((await d.docker(["run", "-d", "--name", "quick", "busybox", "sh", "-c", "sleep 1.5; exit 7"])).code, 0);
  const pid = (await d.docker(["inspect", "-f", "{{.State.Pid}}", "surv"])).stdout.trim();
  process.kill(d.process.pid as number, "SIGKILL");
  await new Promise((r) => d.process.once("exit", r));
  await new Promise((r) => setTimeout(r, 2500));
  const again = spawnDaemon(d.dir, d.dataRoot, d.socket);
  t.after(async () => {
    if (again.exitCode === null && again.signalCode === null) {
      again.kill("SIGTERM");
      await new Promise((r) => again.once("exit", r));
    }
  });
  for (let i = 0; i < 200; i++) {
    try {
      if ((await httpCall(d.socket, "GET", "/_ping")).status === 200) break;
    } catch {
      // not yet
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  const st = await d.docker(["inspect", "-f", "{{.State.Status}} {{.State.Pid}}", "surv", "quick"]);
  assert.equal(st.stdout, `running ${pid}\nexited 0\n`, st.stderr);
  assert.equal((await d.docker(["inspect", "-f", "{{.State.ExitCode}}", "quick"])).stdout, "7\n");
  assert.equal((await d.docker(["logs", "surv"])).stdout, "before\n");
  assert.equal((await d.docker(["exec", "surv", "echo", "exec-ok"])).stdout, "exec-ok\n");
  assert.equal((await d.docker(["stop", "-t", "1", "surv"])).code, 0);
  assert.equal((await d.docker(["wait", "surv"])).stdout, "137\n");
  assert.equal((await d.docker(["rm", "surv", "quick"])).code, 0);
  assert.equal((await d.docker(["ps", "-aq"])).stdout, "");
});
