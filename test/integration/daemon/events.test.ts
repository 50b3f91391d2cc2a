import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { join } from "node:path";
import { startDaemon } from "./daemon-helper.js";

test("docker events streams live image events from berthd as they happen", async (t) => {
  const d = await startDaemon(t);
  const watcher = spawn("docker", ["events", "--filter", "type=image", "--format", "{{.Action}} {{.Actor.Attributes.name}}"], {
    env: { ...process.env, DOCKER_HOST: d.host, DOCKER_CONFIG: join(d.dir, "docker-config") },
    stdio: ["ignore", "pipe", "pipe"],
  });
  t.after(() => { if (watcher.exitCode === null && watcher.pid !== undefined) process.kill(watcher.pid, "SIGKILL"); });
  let out = "";
  const got = new Promise<void>((resolve) => {
    watcher.stdout.on("data", (c: Buffer) => {
      out += c.toString();
      if (out.includes("untag live:1\n")) resolve();
    });
  });
  // The subscription is live once the CLI has connected; retry the tag until seen.
  const deadline = Date.now() + 20_000;
  while (!out.includes("tag live:1\n") && Date.now() < deadline) {
    assert.equal((await d.berth(["tag", "busybox", "live:1"])).code, 0);
    await new Promise((r) => setTimeout(r, 200));
  }
  assert.equal((await d.berth(["rmi", "live:1"])).code, 0);
  await Promise.race([got, new Promise((r) => setTimeout(r, 10_000))]);
  assert.match(out, /^tag live:1$/m);
  assert.match(out, /^untag live:1$/m);
});
