/**
 * State.OOMKilled: a container over its memory limit is killed by the kernel (exit 137,
 * OOMKilled true) through the docker CLI and berth; a plain SIGKILL is not an OOM kill,
 * and the next start clears the flag.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { startDaemon } from "../daemon/daemon-helper.js";

test("OOMKilled: set by the kernel's OOM kill, not by a SIGKILL, cleared by the next start", async (t) => {
  const d = await startDaemon(t);
  const oom = await d.docker(["run", "--name", "oomd", "--memory", "8m", "busybox", "sh", "-c", "tail /dev/zero"]);
  assert.equal(oom.code, 137, oom.stderr);
  assert.equal((await d.docker(["inspect", "-f", "{{.State.OOMKilled}} {{.State.ExitCode}} {{.HostConfig.Memory}}", "oomd"])).stdout, "true 137 8388608\n");
  const die = await d.docker(["events", "--since", "0", "--until", String(Math.ceil(Date.now() / 1000)), "--filter", "container=oomd",
    "--filter", "event=die", "--format", "{{.Actor.Attributes.exitCode}}"]);
  assert.equal(die.stdout, "137\n");

  const b = await d.berth(["run", "--name", "oomb", "--memory", "8m", "busybox", "sh", "-c", "head -c 64m /dev/zero | tail"]);
  assert.equal(b.code, 137, b.stderr);
  assert.equal((await d.berth(["inspect", "-f", "{{.State.OOMKilled}} {{.State.ExitCode}}", "oomb"])).stdout, "true 137\n");

  // The same limit, a process that stays under it, killed by hand: exit 137 but no OOM.
  assert.equal((await d.docker(["run", "-d", "--name", "calm", "--memory", "8m", "busybox", "sleep", "1000"])).code, 0);
  assert.equal((await d.docker(["kill", "calm"])).code, 0);
  assert.equal((await d.docker(["wait", "calm"])).stdout, "137\n");
  assert.equal((await d.docker(["inspect", "-f", "{{.State.OOMKilled}} {{.State.ExitCode}}", "calm"])).stdout, "false 137\n");

  // A new run starts with the flag cleared (the second run finds /done and stays small).
  const twice = await d.docker(["run", "--name", "twice", "--memory", "8m", "busybox", "sh", "-c", "if [ -f /done ]; then exec sleep 1000; fi; touch /done; tail /dev/zero"]);
  assert.equal(twice.code, 137, twice.stderr);
  assert.equal((await d.docker(["inspect", "-f", "{{.State.OOMKilled}}", "twice"])).stdout, "true\n");
  assert.equal((await d.docker(["start", "twice"])).code, 0);
  assert.equal((await d.docker(["inspect", "-f", "{{.State.Status}} {{.State.OOMKilled}}", "twice"])).stdout, "running false\n");
  assert.equal((await d.docker(["rm", "-f", "twice"])).code, 0);
  assert.equal((await d.docker(["rm", "oomd", "oomb", "calm"])).code, 0);
});
