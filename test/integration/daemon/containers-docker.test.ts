/** Containers through the real docker CLI against berthd. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { startDaemon, attached } from "./daemon-helper.js";



test("docker run: output, exit codes, -e -w -u, stdin, --rm, errors", async (t) => {
  const d = await startDaemon(t);
  const hi = await d.docker(["run", "--rm", "busybox", "echo", "hi"]);
  assert.equal(hi.code, 0, hi.stderr);
  assert.equal(hi.stdout, "hi\n");
  const three = await d.docker(["run", "--rm", "busybox", "sh", "-c", "echo out; echo err >&2; exit 3"]);
  assert.equal(three.code, 3);
  assert.equal(three.stdout, "out\n");
  assert.equal(three.stderr, "err\n");
  const env = await d.docker(["run", "--rm", "-e", "FOO=bar", "-w", "/tmp", "-u", "nobody", "-h", "myhost", "busybox", "sh", "-c", "echo $FOO; pwd; id -u; hostname"]);
  assert.equal(env.stdout, "bar\n/tmp\n65534\nmyhost\n", env.stderr);
  const cat = await d.docker(["run", "--rm", "-i", "busybox", "cat"], "from stdin\n");
  assert.equal(cat.stdout, "from stdin\n", cat.stderr);
  const missing = await d.docker(["run", "--rm", "busybox", "no-such-binary"]);
  assert.equal(missing.code, 127);
  assert.match(missing.stderr, /executable file not found/);
  const ps = await d.docker(["ps", "-aq"]);
  assert.equal(ps.stdout, "", "--rm containers are gone");
});

test("docker run -d, ps, logs, exec, top, stop, wait, rm -f, name conflicts", async (t) => {
  const d = await startDaemon(t);
  const run = await d.docker(["run", "-d", "--name", "web", "-l", "tier=front", "busybox", "sh", "-c", "echo started; echo oops >&2; exec sleep 100"]);
  assert.equal(run.code, 0, run.stderr);
  const id = run.stdout.trim();
  assert.match(id, /^[0-9a-f]{64}$/);
  const conflict = await d.docker(["create", "--name", "web", "busybox"]);
  assert.equal(conflict.code, 1);
  assert.match(conflict.stderr, new RegExp(`Conflict. The container name "/web" is already in use by container "${id}"`));
  const ps = await d.docker(["ps"]);
  assert.match(ps.stdout, /^CONTAINER ID\s+IMAGE\s+COMMAND\s+CREATED\s+STATUS\s+PORTS\s+NAMES\n/);
  assert.match(ps.stdout, new RegExp(`${id.slice(0, 12)}\\s+busybox\\s+"sh -c 'echo started…"\\s+.*\\s+Up .*\\s+web\\n`));
  assert.equal((await d.docker(["ps", "-q", "--filter", "label=tier=front"])).stdout.trim(), id.slice(0, 12));
  assert.equal((await d.docker(["ps", "-q", "--filter", "label=tier=back"])).stdout.trim(), "");
  let logs = await d.docker(["logs", "web"]);
  for (let i = 0; i < 50 && logs.stdout === ""; i++) {
    await new Promise((r) => setTimeout(r, 100));
    logs = await d.docker(["logs", "web"]);
  }
  assert.equal(logs.stdout, "started\n");
  assert.equal(logs.stderr, "oops\n");
  const ts = await d.docker(["logs", "-t", "--tail", "1", "web"]);
  assert.match(ts.stdout + ts.stderr, /^\d{4}-\d\d-\d\dT[\d:.]+Z (started|oops)\n$/);
  const ex = await d.docker(["exec", "-e", "X=1", "-w", "/etc", "web", "sh", "-c", "echo $X; pwd; exit 4"]);
  assert.equal(ex.code, 4);
  assert.equal(ex.stdout, "1\n/etc\n");
  const exi = await d.docker(["exec", "-i", "web", "cat"], "piped\n");
  assert.equal(exi.stdout, "piped\n");
  assert.equal((await d.docker(["exec", "-u", "nobody", "web", "id", "-u"])).stdout, "65534\n");
  assert.equal((await d.docker(["exec", "web", "nope"])).code, 127);
  const top = await d.docker(["top", "web"]);
  assert.match(top.stdout, /sleep 100/);
  const pid = Number((await d.docker(["inspect", "-f", "{{.State.Pid}}", "web"])).stdout.trim());
  assert.ok(pid > 0);
  assert.equal((await d.docker(["inspect", "-f", "{{.State.Status}} {{.Config.Hostname}}", "web"])).stdout.trim(), `running ${id.slice(0, 12)}`);
  const rmRunning = await d.docker(["rm", "web"]);
  assert.equal(rmRunning.code, 1);
  assert.match(rmRunning.stderr, /container is running: stop the container before removing or force remove/);
  const stop = await d.docker(["stop", "-t", "1", "web"]);
  assert.equal(stop.code, 0, stop.stderr);
  assert.equal((await d.docker(["wait", "web"])).stdout.trim(), "137");
  assert.match((await d.docker(["ps", "-a", "--filter", "exited=137"])).stdout, /Exited \(137\) .* ago\s+web/);
  const restarted = await d.docker(["start", "web"]);
  assert.equal(restarted.code, 0, restarted.stderr);
  assert.equal((await d.docker(["inspect", "-f", "{{.State.Running}}", "web"])).stdout.trim(), "true");
  const kill = await d.docker(["kill", "web"]);
  assert.equal(kill.code, 0, kill.stderr);
  assert.equal((await d.docker(["inspect", "-f", "{{.State.ExitCode}}", "web"])).stdout.trim(), "137");
  const d2 = (await d.docker(["run", "-d", "busybox", "sleep", "100"])).stdout.trim();
  assert.equal((await d.docker(["rm", "-f", d2])).code, 0);
  assert.equal((await d.docker(["rm", "web"])).code, 0);
  assert.equal((await d.docker(["ps", "-aq"])).stdout, "");
  const rmi = await d.docker(["run", "-d", "--name", "holder", "busybox", "sleep", "100"]);
  assert.equal(rmi.code, 0);
  const inUse = await d.docker(["rmi", "busybox"]);
  assert.notEqual(inUse.code, 0);
  assert.match(inUse.stderr, /conflict|being used/i);
  assert.equal((await d.docker(["rm", "-f", "holder"])).code, 0);
});

test("docker run resource and security flags land in the container", async (t) => {
  const d = await startDaemon(t);
  const mem = await d.docker(["run", "--rm", "--memory", "64m", "busybox", "cat", "/sys/fs/cgroup/memory/memory.limit_in_bytes"]);
  assert.equal(mem.stdout.trim(), String(64 * 1024 * 1024), mem.stderr);
  const oom = await d.docker(["run", "--name", "oom", "--memory", "8m", "--memory-swap", "8m", "busybox", "sh", "-c", "tail /dev/zero"]);
  assert.equal(oom.code, 137);
  assert.equal((await d.docker(["inspect", "-f", "{{.State.OOMKilled}} {{.State.ExitCode}}", "oom"])).stdout, "true 137\n");
  assert.equal((await d.docker(["rm", "oom"])).code, 0);
  const ro = await d.docker(["run", "--rm", "--read-only", "busybox", "touch", "/x"]);
  assert.notEqual(ro.code, 0);
  assert.match(ro.stderr, /Read-only file system/);
  const caps = await d.docker(["run", "--rm", "--cap-drop", "ALL", "busybox", "grep", "CapEff", "/proc/self/status"]);
  assert.match(caps.stdout, /CapEff:\s+0000000000000000/);
  const def = await d.docker(["run", "--rm", "busybox", "grep", "CapBnd", "/proc/self/status"]);
  assert.match(def.stdout, /CapBnd:\s+00000000a80425fb/);
  const pids = await d.docker(["run", "--rm", "--pids-limit", "12", "busybox", "cat", "/sys/fs/cgroup/pids/pids.max"]);
  assert.equal(pids.stdout.trim(), "12", pids.stderr);
  const none = await d.docker(["run", "--rm", "--network", "none", "busybox", "ls", "/sys/class/net"]);
  assert.equal(none.stdout.trim(), "lo");
  const shm = await d.docker(["run", "--rm", "busybox", "df", "-k", "/dev/shm"]);
  assert.match(shm.stdout, /shm\s+65536\s/);
  const hostsFile = await d.docker(["run", "--rm", "busybox", "cat", "/etc/hostname", "/etc/hosts"]);
  assert.match(hostsFile.stdout, /^[0-9a-f]{12}\n127\.0\.0\.1\tlocalhost\n/);
  const masked = await d.docker(["run", "--rm", "busybox", "sh", "-c", "cat /proc/kcore | wc -c; touch /proc/sys/x 2>&1 || true"]);
  assert.match(masked.stdout, /^0\n/);
});

test("docker run -t gives a terminal (through script), docker attach streams output", async (t) => {
  const d = await startDaemon(t);
  const env = `DOCKER_HOST=${d.host} DOCKER_CONFIG=${d.dir}/docker-config`;
  const r = spawnSync("script", ["-qec", `${env} docker run --rm -t busybox sh -c 'tty; exit 5'`, "/dev/null"], { encoding: "utf8", input: "" });
  assert.match(r.stdout, /\/dev\/pts\/0\r*\n/);
  assert.equal(r.status, 5);
  // The output comes only once the client is attached (the attach event), however slow the machine.
  const since = Math.floor(Date.now() / 1000) - 1;
  const id = (await d.docker(["run", "-d", "busybox", "sh", "-c", "while [ ! -e /go ]; do sleep 0.05; done; echo late; exit 2"])).stdout.trim();
  const attaching = d.docker(["attach", id]);
  await attached(d, id, since);
  await d.docker(["exec", id, "touch", "/go"]);
  const att = await attaching;
  assert.equal(att.stdout, "late\n");
  assert.equal(att.code, 2);
  assert.ok(readFileSync(`${d.dataRoot}/containers/${id}/${id}-json.log`, "utf8").includes('"log":"late\\n","stream":"stdout"'));
  const again = await d.docker(["start", "-a", id]);
  assert.deepEqual([again.code, again.stdout], [2, "late\n"], "start -a attaches to the next run of a stopped container");
});
