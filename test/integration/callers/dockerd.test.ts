/**
 * berth-runtime under Debian's docker.io: a private dockerd (own data root, exec root,
 * pid file, socket, config file and key, cgroup parent; no bridge, no iptables; its own
 * managed containerd under the exec root) with `--add-runtime berth=<berth-runtime>`, and
 * `docker run --runtime berth`. containerd's runc shim calls berth-runtime with runc's
 * command line. dockerd and its containerd are killed by pid afterwards; nothing stays
 * mounted.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, openSync, closeSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { join } from "node:path";
import {
  alive, busyboxTarball, callerDir, childCgroups, ensurePackages, removeCgroupTree, run, unmountUnder, until,
  writeRecordingRuntime, type CommandResult,
} from "./caller-env.js";

const skip = process.getuid?.() !== 0
  ? "needs root"
  : ensurePackages({ dockerd: "docker.io", containerd: "containerd", "containerd-shim-runc-v2": "containerd", runc: "runc" });

const IMAGE = "berth-busybox:test";
const CGROUP_PARENT = `berth-dockerd-${process.pid}`;
/** Debian's client matches Debian's dockerd; another `docker` on PATH may be newer. */
const DOCKER = existsSync("/usr/bin/docker") ? "/usr/bin/docker" : "docker";

let dir = "";
let socket = "";
let dockerd: ChildProcess | undefined;
let containerdPid = 0;
let runtime: ReturnType<typeof writeRecordingRuntime>;
let env: NodeJS.ProcessEnv = {};

function docker(args: readonly string[], input?: string): Promise<CommandResult> {
  return run(DOCKER, args, { env, ...(input !== undefined ? { input } : {}) });
}

function dockerdLog(): string {
  try {
    return readFileSync(join(dir, "dockerd.log"), "utf8").split("\n").slice(-30).join("\n");
  } catch {
    return "";
  }
}

function explain(r: CommandResult): string {
  return `exit ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}\nruntime calls:\n${runtime.calls().slice(-15).join("\n")}\ndockerd log:\n${dockerdLog()}`;
}

function ping(): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ socketPath: socket, path: "/_ping", timeout: 2000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on("error", () => resolve(false));
    req.on("timeout", () => req.destroy());
    req.end();
  });
}

/** dockerd before 23 writes a trust key to /etc/docker/key.json unless told otherwise. */
async function daemonConfig(): Promise<Record<string, string>> {
  const v = await run("dockerd", ["--version"]);
  const major = Number(/version (\d+)\./.exec(v.stdout)?.[1] ?? "0");
  return major > 0 && major < 23 ? { "deprecated-key-path": join(dir, "key.json") } : {};
}

/** The container cgroups dockerd made under our parent. */
function containerCgroups(): string[] {
  return childCgroups("memory", CGROUP_PARENT);
}

before(async () => {
  if (skip !== undefined) return;
  dir = callerDir("berth-dockerd-");
  socket = join(dir, "docker.sock");
  runtime = writeRecordingRuntime(dir);
  mkdirSync(join(dir, "docker-config"));
  writeFileSync(join(dir, "daemon.json"), JSON.stringify(await daemonConfig()));
  env = { ...process.env, DOCKER_HOST: `unix://${socket}`, DOCKER_CONFIG: join(dir, "docker-config"), DOCKER_CONTEXT: "" };
  delete env.DOCKER_TLS_VERIFY;
  const log = openSync(join(dir, "dockerd.log"), "w");
  try {
    dockerd = spawn("dockerd", [
      "--data-root", join(dir, "data"), "--exec-root", join(dir, "exec"), "--pidfile", join(dir, "dockerd.pid"),
      "-H", `unix://${socket}`, "--config-file", join(dir, "daemon.json"),
      "--bridge", "none", "--iptables=false", "--ip6tables=false", "--ip-forward=false", "--ip-masq=false",
      "--userland-proxy=false",
      // The default -500 needs CAP_SYS_RESOURCE, which this machine's bounding set lacks.
      "--oom-score-adjust", "0",
      "--exec-opt", "native.cgroupdriver=cgroupfs", "--cgroup-parent", `/${CGROUP_PARENT}`,
      "--storage-driver", "vfs", "--add-runtime", `berth=${runtime.path}`,
    ], { stdio: ["ignore", log, log], env });
  } finally {
    closeSync(log);
  }
  const child = dockerd;
  await until(async () => {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`dockerd exited early:\n${dockerdLog()}`);
    return ping();
  }, 60_000, "dockerd to answer /_ping");
  const ctrPidFile = join(dir, "exec", "containerd", "containerd.pid");
  if (existsSync(ctrPidFile)) containerdPid = Number(readFileSync(ctrPidFile, "utf8").trim());
  const imp = await docker(["import", busyboxTarball(dir), IMAGE]);
  assert.equal(imp.code, 0, explain(imp));
});

after(async () => {
  if (skip !== undefined || dir === "") return;
  try {
    if (dockerd !== undefined && dockerd.exitCode === null && dockerd.signalCode === null) {
      const ids = (await docker(["ps", "--all", "--quiet"])).stdout.split("\n").filter((l) => l !== "");
      if (ids.length > 0) await docker(["rm", "--force", ...ids]);
      const child = dockerd;
      const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
      if (child.pid !== undefined) process.kill(child.pid, "SIGTERM");
      const timer = setTimeout(() => {
        if (child.pid !== undefined && child.exitCode === null) process.kill(child.pid, "SIGKILL");
      }, 20_000);
      await exited;
      clearTimeout(timer);
    }
    // dockerd stops its managed containerd on a clean exit; not after a SIGKILL.
    if (containerdPid > 0 && alive(containerdPid)) {
      process.kill(containerdPid, "SIGTERM");
      await until(() => !alive(containerdPid), 30_000, "containerd to exit").catch(() => process.kill(containerdPid, "SIGKILL"));
    }
  } finally {
    unmountUnder(dir);
    await removeCgroupTree(CGROUP_PARENT);
    rmSync(dir, { recursive: true, force: true });
  }
});

test("the private dockerd runs a container with its default runtime runc (control for the tests below)", { skip }, async () => {
  const r = await docker(["run", "--rm", "--network", "none", IMAGE, "echo", "hello from runc"]);
  assert.equal(r.code, 0, explain(r));
  assert.equal(r.stdout, "hello from runc\n");
});

test("docker run --runtime berth --rm prints the output, returns the exit code and deletes the container", { skip }, async () => {
  const before = runtime.calls().length;
  const r = await docker(["run", "--runtime", "berth", "--rm", "--network", "none", IMAGE,
    "sh", "-c", "echo hello from berth; echo err >&2; exit 3"]);
  assert.equal(r.code, 3, explain(r));
  assert.equal(r.stdout, "hello from berth\n");
  assert.match(r.stderr, /^err$/m);
  const calls = runtime.calls().slice(before);
  assert.ok(calls.some((c) => /\bcreate\b.*--bundle/.test(c)), `no create --bundle call in:\n${calls.join("\n")}`);
  assert.ok(calls.some((c) => /\bstart\b/.test(c)), `no start call in:\n${calls.join("\n")}`);
  assert.ok(calls.some((c) => /\bdelete\b/.test(c)), `no delete call in:\n${calls.join("\n")}`);
  await until(async () => (await docker(["ps", "--all", "--quiet"])).stdout === "", 30_000, "the container to be removed");
  await until(() => containerCgroups().length === 0, 30_000, "the container cgroup to be removed");
});

test("docker run --runtime berth applies --memory, --pids-limit, --cap-drop and --read-only", { skip }, async () => {
  const r = await docker(["run", "--runtime", "berth", "--rm", "--network", "none",
    "--memory", "48m", "--pids-limit", "20", "--cap-drop", "CHOWN", "--read-only", IMAGE, "sh", "-c", [
      "echo mem=$(cat /sys/fs/cgroup/memory/memory.limit_in_bytes)",
      "echo pids=$(cat /sys/fs/cgroup/pids/pids.max)",
      // /dev/shm stays writable under --read-only, so only the capability can refuse chown.
      "touch /dev/shm/f && chown 1 /dev/shm/f 2>/dev/null && echo chown=ok || echo chown=denied",
      "touch /newfile 2>/dev/null && echo root=rw || echo root=ro",
    ].join("; ")]);
  assert.equal(r.code, 0, explain(r));
  assert.equal(r.stdout, `mem=${48 * 1024 * 1024}\npids=20\nchown=denied\nroot=ro\n`, explain(r));
});

test("docker exec joins a berth-runtime container and docker stop delivers SIGTERM", { skip }, async (t) => {
  const name = `berth-exec-${process.pid}`;
  t.after(async () => {
    await docker(["rm", "--force", name]);
  });
  const started = await docker(["run", "--runtime", "berth", "--detach", "--name", name, "--network", "none", IMAGE,
    "sh", "-c", "echo marker > /tmp/marker; trap 'exit 7' TERM; sleep 600 & wait"]);
  assert.equal(started.code, 0, explain(started));
  const pid = Number((await docker(["inspect", "--format", "{{.State.Pid}}", name])).stdout.trim());
  assert.ok(pid > 1 && alive(pid));
  await until(async () => (await docker(["exec", name, "cat", "/tmp/marker"])).stdout === "marker\n", 30_000, "the marker file");
  const before = runtime.calls().length;
  const cmdline = await docker(["exec", name, "cat", "/proc/1/cmdline"]);
  assert.equal(cmdline.code, 0, explain(cmdline));
  assert.match(cmdline.stdout, /^sh\0-c\0echo marker/);
  assert.ok(runtime.calls().slice(before).some((c) => /\bexec\b.*--process/.test(c)), "docker exec did not go through berth-runtime exec");
  const code = await docker(["exec", name, "sh", "-c", "exit 5"]);
  assert.equal(code.code, 5, explain(code));
  const stop = await docker(["stop", "--time", "20", name]);
  assert.equal(stop.code, 0, explain(stop));
  const status = await docker(["inspect", "--format", "{{.State.Status}} {{.State.ExitCode}}", name]);
  assert.equal(status.stdout.trim(), "exited 7", explain(status));
  assert.equal(alive(pid), false);
});

test("docker run -t --runtime berth gets a terminal through the shim's console socket", { skip }, async () => {
  const before = runtime.calls().length;
  const r = await docker(["run", "--runtime", "berth", "--rm", "--tty", "--network", "none", IMAGE, "sh", "-c", "tty; stty -a | head -1"]);
  assert.equal(r.code, 0, explain(r));
  // The pty turns "\n" into "\r\n": the output really went through a terminal.
  assert.match(r.stdout, /^\/dev\/pts\/\d+\r\n/);
  assert.match(r.stdout, /speed \d+ baud/);
  assert.ok(runtime.calls().slice(before).some((c) => /\bcreate\b.*--console-socket/.test(c)), "create was not given a console socket");
});

test("docker pause and unpause freeze and thaw a berth-runtime container", { skip }, async (t) => {
  const name = `berth-pause-${process.pid}`;
  t.after(async () => {
    await docker(["rm", "--force", name]);
  });
  const started = await docker(["run", "--runtime", "berth", "--detach", "--name", name, "--network", "none", IMAGE, "sleep", "600"]);
  assert.equal(started.code, 0, explain(started));
  const id = started.stdout.trim();
  const freezerState = join("/sys/fs/cgroup/freezer", CGROUP_PARENT, id, "freezer.state");
  const paused = await docker(["pause", name]);
  assert.equal(paused.code, 0, explain(paused));
  assert.equal(readFileSync(freezerState, "utf8").trim(), "FROZEN");
  assert.equal((await docker(["inspect", "--format", "{{.State.Status}}", name])).stdout.trim(), "paused");
  assert.ok(runtime.calls().some((c) => /\bpause\b/.test(c)), "no pause call reached berth-runtime");
  const resumed = await docker(["unpause", name]);
  assert.equal(resumed.code, 0, explain(resumed));
  assert.equal(readFileSync(freezerState, "utf8").trim(), "THAWED");
  assert.equal((await docker(["inspect", "--format", "{{.State.Status}}", name])).stdout.trim(), "running");
});

test("docker run --runtime berth passes --user, --workdir, --env, --hostname, --ulimit and -i stdin", { skip }, async () => {
  const r = await docker(["run", "--runtime", "berth", "--rm", "--interactive", "--network", "none",
    "--user", "65534:65534", "--workdir", "/tmp", "--env", "GREETING=hi there", "--hostname", "berth-box",
    "--ulimit", "nofile=100:200", IMAGE, "sh", "-c", 'id -u; id -g; pwd; echo "$GREETING"; hostname; ulimit -n; ulimit -Hn; tr a-z A-Z'],
  "piped through\n");
  assert.equal(r.code, 0, explain(r));
  assert.equal(r.stdout, "65534\n65534\n/tmp\nhi there\nberth-box\n100\n200\nPIPED THROUGH\n");
});

test("docker run --runtime berth mounts -v (read-only bind), --tmpfs and --device, and runs --init", { skip }, async () => {
  const vol = join(dir, "volume");
  mkdirSync(vol, { recursive: true });
  writeFileSync(join(vol, "from-host"), "host data\n");
  const r = await docker(["run", "--runtime", "berth", "--rm", "--network", "none", "--init",
    "--volume", `${vol}:/data:ro`, "--tmpfs", "/scratch", "--device", "/dev/null:/dev/berth-null", IMAGE, "sh", "-c", [
      "cat /data/from-host",
      "touch /data/new 2>/dev/null && echo data=rw || echo data=ro",
      "touch /scratch/f && echo scratch=rw",
      "echo discard > /dev/berth-null && echo device=ok",
      // docker-init is pid 1 and runs the command as its child.
      "tr '\\0' ' ' < /proc/1/cmdline; echo",
    ].join("; ")]);
  assert.equal(r.code, 0, explain(r));
  const lines = r.stdout.split("\n");
  assert.deepEqual(lines.slice(0, 4), ["host data", "data=ro", "scratch=rw", "device=ok"], explain(r));
  assert.match(lines[4] ?? "", /^\/sbin\/docker-init -- sh -c /, explain(r));
});
