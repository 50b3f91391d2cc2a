/** Containers through berth's own CLI, compared with the docker CLI where both print. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { CLI_MAIN, startDaemon, attached } from "./daemon-helper.js";



test("berth run: output, exit codes, stdin, flags, errors", async (t) => {
  const d = await startDaemon(t);
  const hi = await d.berth(["run", "--rm", "busybox", "echo", "hi"]);
  assert.equal(hi.stdout, "hi\n", hi.stderr);
  assert.equal(hi.code, 0);
  const three = await d.berth(["run", "--rm", "busybox", "sh", "-c", "echo out; echo err >&2; exit 3"]);
  assert.deepEqual([three.code, three.stdout, three.stderr], [3, "out\n", "err\n"]);
  const flags = await d.berth(["run", "--rm", "-e", "FOO=bar", "-w", "/tmp", "-u", "nobody", "-h", "hh", "-l", "a=b", "--memory", "32m",
    "--cpus", "0.5", "--pids-limit", "9", "--cap-drop", "ALL", "--network", "none", "busybox", "sh", "-c",
    "echo $FOO; pwd; id -u; hostname; cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/cpu/cpu.cfs_quota_us /sys/fs/cgroup/pids/pids.max; grep CapEff /proc/self/status"]);
  assert.equal(flags.stdout, `bar\n/tmp\n65534\nhh\n${32 * 1024 * 1024}\n50000\n9\nCapEff:\t0000000000000000\n`, flags.stderr);
  const cat = await d.berth(["run", "--rm", "-i", "busybox", "cat"], "in\n");
  assert.equal(cat.stdout, "in\n");
  const ro = await d.berth(["run", "--rm", "--read-only", "--entrypoint", "touch", "busybox", "/x"]);
  assert.equal(ro.code, 1);
  assert.match(ro.stderr, /Read-only file system/);
  const priv = await d.berth(["run", "--rm", "--privileged", "busybox", "grep", "CapEff", "/proc/self/status"]);
  assert.doesNotMatch(priv.stdout, /00000000a80425fb/);
  const missing = await d.berth(["run", "--rm", "busybox", "nope"]);
  assert.equal(missing.code, 127);
  assert.match(missing.stderr, /executable file not found/);
  // --pull never: a missing image must not make the test reach out to Docker Hub.
  const noImage = await d.berth(["run", "--rm", "--pull", "never", "no-such-image"]);
  assert.equal(noImage.code, 125);
  assert.match(noImage.stderr, /No such image: no-such-image/);
  const badName = await d.berth(["create", "--name", "a b", "busybox"]);
  assert.equal(badName.code, 1);
  assert.match(badName.stderr, /^Error response from daemon: Invalid container name/);
  const tty = spawnSync("script", ["-qec", `${process.execPath} ${CLI_MAIN} -H ${d.host} run --rm -t busybox sh -c 'tty; exit 4'`, "/dev/null"], { encoding: "utf8", input: "" });
  assert.match(tty.stdout, /\/dev\/pts\/0\r*\n/);
  assert.equal(tty.status, 4);
});

test("berth create/start/ps/logs/exec/stop/restart/kill/wait/rm/inspect, and ps as docker prints it", async (t) => {
  const d = await startDaemon(t);
  const id = (await d.berth(["create", "--name", "c1", "busybox", "sh", "-c", "echo one; echo two >&2; exec sleep 100"])).stdout.trim();
  assert.match(id, /^[0-9a-f]{64}$/);
  assert.equal((await d.berth(["ps", "-q"])).stdout, "");
  assert.equal((await d.berth(["ps", "-aq", "--no-trunc"])).stdout, `${id}\n`);
  assert.equal((await d.berth(["start", "c1"])).stdout, "c1\n");
  await d.berth(["run", "-d", "--name", "c2", "-l", "k=v", "busybox", "sleep", "100"]);
  await d.berth(["run", "--name", "c3", "busybox", "sh", "-c", "exit 2"]);
  for (const args of [["ps"], ["ps", "-a"], ["ps", "-a", "--no-trunc"], ["ps", "-q"], ["ps", "-a", "--filter", "label=k=v"], ["ps", "-a", "--filter", "exited=2"], ["ps", "--filter", "name=c1"]]) {
    const [b, dk] = await Promise.all([d.berth(args), d.docker(args)]);
    // Ages move between the two calls; compare with times and column padding normalised.
    const norm = (s: string) => s.replace(/Less than a second|About a minute|\d+ seconds?/g, "T").replace(/ {2,}/g, "  ");
    assert.equal(norm(b.stdout), norm(dk.stdout), `berth ${args.join(" ")}`);
  }
  let logs = await d.berth(["logs", "c1"]);
  for (let i = 0; i < 50 && logs.stdout === ""; i++) {
    await new Promise((r) => setTimeout(r, 100));
    logs = await d.berth(["logs", "c1"]);
  }
  assert.deepEqual([logs.stdout, logs.stderr], ["one\n", "two\n"]);
  assert.match((await d.berth(["logs", "-t", "--tail", "1", "c1"])).stderr, /^\d{4}-\d\d-\d\dT[\d:.]+Z two\n$/);
  const ex = await d.berth(["exec", "-e", "X=5", "-w", "/etc", "-u", "nobody", "c1", "sh", "-c", "echo $X $(pwd) $(id -u); exit 9"]);
  assert.deepEqual([ex.code, ex.stdout], [9, "5 /etc 65534\n"]);
  assert.equal((await d.berth(["exec", "-i", "c1", "cat"], "piped\n")).stdout, "piped\n");
  assert.equal((await d.berth(["exec", "-d", "c1", "sh", "-c", "echo detached > /tmp/d"])).code, 0);
  await new Promise((r) => setTimeout(r, 300));
  assert.equal((await d.berth(["exec", "c1", "cat", "/tmp/d"])).stdout, "detached\n");
  assert.equal((await d.berth(["inspect", "-f", "{{.Name}} {{.State.Running}}", "c1"])).stdout, "/c1 true\n");
  const follow = spawn(process.execPath, [CLI_MAIN, "-H", d.host, "logs", "-f", "c1"], { stdio: ["ignore", "pipe", "ignore"] });
  let followed = "";
  follow.stdout.on("data", (c: Buffer) => { followed += c.toString(); });
  const followDone = new Promise<number | null>((r) => follow.on("close", (code) => r(code)));
  assert.equal((await d.berth(["restart", "-t", "1", "c1"])).stdout, "c1\n");
  assert.equal(await followDone, 0, "logs -f ends when the container stops");
  assert.equal(followed, "one\n");
  assert.equal((await d.berth(["kill", "c1"])).stdout, "c1\n");
  assert.equal((await d.berth(["wait", "c1", "c3"])).stdout.split("\n").sort().join(" "), " 137 2");
  const rm = await d.berth(["rm", "c2"]);
  assert.equal(rm.code, 1);
  assert.match(rm.stderr, /container is running/);
  assert.equal((await d.berth(["rm", "-f", "c1", "c2", "c3"])).code, 0);
  assert.equal((await d.berth(["ps", "-aq"])).stdout, "");
  const missing = await d.berth(["stop", "nope"]);
  assert.deepEqual([missing.code, missing.stderr], [1, "Error response from daemon: No such container: nope\n"]);
});

test("berth attach streams a running container and exits with its code; Ctrl-P Ctrl-Q detaches", async (t) => {
  const d = await startDaemon(t);
  // The output comes only once the client is attached (the attach event), however slow the machine.
  const since = Math.floor(Date.now() / 1000) - 1;
  await d.berth(["run", "-d", "--name", "a1", "busybox", "sh", "-c", "while [ ! -e /go ]; do sleep 0.05; done; echo late; exit 6"]);
  const attaching = d.berth(["attach", "a1"]);
  await attached(d, "a1", since);
  await d.docker(["exec", "a1", "touch", "/go"]);
  const att = await attaching;
  assert.deepEqual([att.code, att.stdout], [6, "late\n"]);
  await d.berth(["run", "-d", "-i", "--name", "a2", "busybox", "cat"]);
  const child = spawn(process.execPath, [CLI_MAIN, "-H", d.host, "attach", "a2"], { stdio: ["pipe", "pipe", "ignore"] });
  let out = "";
  const closed = new Promise<number | null>((r) => child.on("close", (code) => r(code)));
  child.stdout.on("data", (c: Buffer) => {
    out += c.toString();
    // The echo came back: now the detach sequence.
    if (out === "echoed\n") child.stdin.write(Buffer.from([0x10, 0x11]));
  });
  setTimeout(() => child.stdin.write("echoed\n"), 500);
  assert.equal(await closed, 0);
  assert.equal(out, "echoed\n");
  assert.equal((await d.berth(["inspect", "-f", "{{.State.Running}}", "a2"])).stdout, "true\n", "still running after detach");
  assert.equal((await d.berth(["rm", "-f", "a2", "a1"])).code, 0);
});
