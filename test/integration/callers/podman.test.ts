/**
 * berth-runtime under Debian's podman: `podman --runtime <berth-runtime> run ...` with
 * podman's own command line (conmon calls create --bundle --pid-file, start, state, kill,
 * delete, exec --process --detach --pid-file). podman is isolated from the machine: its own
 * --root, --runroot, --tmpdir, containers.conf, storage.conf, file locks, events file,
 * network config dir and cgroup parent, all removed afterwards. No image is pulled: the
 * busybox rootfs is imported from a tarball.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  alive, busyboxTarball, callerDir, childCgroups, ensurePackages, removeCgroupTree, run, unmountUnder, until,
  writeRecordingRuntime, RUNTIME_WRAPPER, type CommandResult,
} from "./caller-env.js";

const skip = process.getuid?.() !== 0
  ? "needs root"
  : ensurePackages({ podman: "podman", conmon: "conmon", runc: "runc" });

const IMAGE = "localhost/berth-busybox:test";
const CGROUP_PARENT = `berth-podman-${process.pid}`;

let dir = "";
let state = "";
let runtime: ReturnType<typeof writeRecordingRuntime>;
let env: NodeJS.ProcessEnv = {};
let globals: string[] = [];

/** podman with the isolated set-up and `--runtime` (berth-runtime unless told otherwise). */
function podman(args: readonly string[], rt = runtime.path, input?: string): Promise<CommandResult> {
  return run("podman", [...globals, "--runtime", rt, ...args], { env, ...(input !== undefined ? { input } : {}) });
}

/** `podman run` flags every test uses: no network, no pull, our cgroup parent. */
const RUN = ["--network", "none", "--pull", "never", "--cgroup-parent", `/${CGROUP_PARENT}`];

/** What to print when a podman command did not do what was expected. */
function explain(r: CommandResult): string {
  return `exit ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}\nruntime calls:\n${runtime.calls().slice(-15).join("\n")}`;
}

function stateEntries(): string[] {
  return readdirSync(state);
}

/** Containers of ours still in the memory hierarchy (podman keeps conmon's cgroup beside them). */
function containerCgroups(): string[] {
  return childCgroups("memory", CGROUP_PARENT).filter((n) => n !== "conmon");
}

before(async () => {
  if (skip !== undefined) return;
  dir = callerDir("berth-podman-");
  state = join(dir, "state");
  mkdirSync(state);
  for (const d of ["root", "runroot", "tmp", "networks"]) mkdirSync(join(dir, d));
  // The state root goes into the executable: podman's exit-command cleanup process (which
  // deletes --rm containers) is not given --runtime-flag, so a flag would miss that call.
  runtime = writeRecordingRuntime(dir, ["--root", state]);
  writeFileSync(join(dir, "containers.conf"), [
    "[containers]",
    // podman would otherwise ask for raised rlimits; CAP_SYS_RESOURCE is not ours here.
    "default_ulimits = []",
    'netns = "none"',
    'log_driver = "k8s-file"',
    "[engine]",
    'cgroup_manager = "cgroupfs"',
    'events_logger = "file"',
    `events_logfile_path = "${join(dir, "events.log")}"`,
    // File locks under --tmpdir instead of the machine-wide /dev/shm/libpod_lock.
    'lock_type = "file"',
    "[network]",
    `network_config_dir = "${join(dir, "networks")}"`,
    "",
  ].join("\n"));
  writeFileSync(join(dir, "storage.conf"), [
    "[storage]", 'driver = "vfs"', `runroot = "${join(dir, "runroot")}"`, `graphroot = "${join(dir, "root")}"`, "",
  ].join("\n"));
  writeFileSync(join(dir, "registries.conf"), "unqualified-search-registries = []\n");
  env = {
    ...process.env,
    CONTAINERS_CONF: join(dir, "containers.conf"),
    CONTAINERS_STORAGE_CONF: join(dir, "storage.conf"),
    CONTAINERS_REGISTRIES_CONF: join(dir, "registries.conf"),
  };
  globals = [
    "--root", join(dir, "root"), "--runroot", join(dir, "runroot"), "--tmpdir", join(dir, "tmp"),
    "--storage-driver", "vfs", "--cgroup-manager", "cgroupfs", "--events-backend", "file",
  ];
  const tar = busyboxTarball(dir);
  const imp = await podman(["import", tar, IMAGE]);
  assert.equal(imp.code, 0, explain(imp));
});

after(async () => {
  if (skip !== undefined || dir === "") return;
  try {
    await podman(["rm", "--all", "--force", "--time", "0"]);
    // Anything berth-runtime still holds (only if podman lost track of it).
    for (const id of stateEntries()) await run(RUNTIME_WRAPPER, ["--root", state, "delete", "--force", id]);
  } finally {
    unmountUnder(dir);
    await removeCgroupTree(CGROUP_PARENT);
    rmSync(dir, { recursive: true, force: true });
  }
});

test("the isolated podman set-up runs a container with runc (control for the tests below)", { skip }, async () => {
  const r = await podman(["run", "--rm", ...RUN, IMAGE, "echo", "hello from runc"], "runc");
  assert.equal(r.code, 0, explain(r));
  assert.equal(r.stdout, "hello from runc\n");
});

test("podman run --rm with berth-runtime prints the output, and podman deletes the container through it", { skip }, async () => {
  const before = runtime.calls().length;
  const r = await podman(["run", "--rm", ...RUN, IMAGE, "echo", "hello from berth"]);
  assert.equal(r.code, 0, explain(r));
  assert.equal(r.stdout, "hello from berth\n");
  const calls = runtime.calls().slice(before);
  assert.ok(calls.some((c) => /\bcreate\b.*--bundle/.test(c)), `no create --bundle call in:\n${calls.join("\n")}`);
  assert.ok(calls.some((c) => /\bstart\b/.test(c)), `no start call in:\n${calls.join("\n")}`);
  assert.ok(calls.some((c) => /\bdelete\b/.test(c)), `no delete call in:\n${calls.join("\n")}`);
  assert.deepEqual(stateEntries(), [], "berth-runtime still has state for a removed container");
  assert.deepEqual(containerCgroups(), [], "a container cgroup is left behind");
  assert.equal((await podman(["ps", "--all", "--quiet"])).stdout, "");
});

test("podman run returns the container's exit code", { skip }, async () => {
  const r = await podman(["run", "--rm", ...RUN, IMAGE, "sh", "-c", "echo out; echo err >&2; exit 42"]);
  assert.equal(r.code, 42, explain(r));
  assert.equal(r.stdout, "out\n");
  assert.match(r.stderr, /^err$/m);
});

test("podman run --memory limits the container's memory cgroup and the OOM killer enforces it", { skip }, async () => {
  const limit = await podman(["run", "--rm", ...RUN, "--memory", "48m", IMAGE, "cat", "/sys/fs/cgroup/memory/memory.limit_in_bytes"]);
  assert.equal(limit.code, 0, explain(limit));
  assert.equal(limit.stdout.trim(), String(48 * 1024 * 1024));
  // tmpfs pages are charged to the cgroup and there is no swap: filling /dev/shm past the
  // limit gets the writer killed.
  const oom = await podman(["run", "--rm", ...RUN, "--memory", "32m", "--memory-swap", "32m", IMAGE,
    "sh", "-c", "dd if=/dev/zero of=/dev/shm/fill bs=1M count=60 2>/dev/null; echo dd=$?"]);
  assert.equal(oom.code, 0, explain(oom));
  assert.equal(oom.stdout, "dd=137\n", explain(oom));
  const roomy = await podman(["run", "--rm", ...RUN, "--memory", "128m", IMAGE,
    "sh", "-c", "dd if=/dev/zero of=/dev/shm/fill bs=1M count=20 2>/dev/null; echo dd=$?"]);
  assert.equal(roomy.stdout, "dd=0\n", explain(roomy));
});

test("podman run --cap-drop removes the capability from the container process", { skip }, async () => {
  const script = "touch /tmp/f; chown 1 /tmp/f && echo chown=ok || echo chown=denied; grep CapEff /proc/self/status";
  const kept = await podman(["run", "--rm", ...RUN, IMAGE, "sh", "-c", script]);
  assert.equal(kept.code, 0, explain(kept));
  assert.match(kept.stdout, /^chown=ok$/m);
  const dropped = await podman(["run", "--rm", ...RUN, "--cap-drop", "CHOWN", IMAGE, "sh", "-c", script]);
  assert.equal(dropped.code, 0, explain(dropped));
  assert.match(dropped.stdout, /^chown=denied$/m);
  const eff = (r: CommandResult) => BigInt(`0x${/CapEff:\s*([0-9a-f]+)/.exec(r.stdout)?.[1] ?? "x"}`);
  assert.equal(eff(kept) & 1n, 1n, "CAP_CHOWN (bit 0) should be effective by default");
  assert.equal(eff(dropped) & 1n, 0n, "CAP_CHOWN (bit 0) should be dropped");
  assert.equal(eff(dropped), eff(kept) & ~1n, "only CAP_CHOWN should differ");
});

test("podman run --pids-limit caps the number of processes", { skip }, async () => {
  const r = await podman(["run", "--rm", ...RUN, "--pids-limit", "20", IMAGE,
    "sh", "-c", "cat /sys/fs/cgroup/pids/pids.max; for i in $(seq 40); do sleep 60 & done; echo all forked"]);
  assert.match(r.stdout, /^20$/m, explain(r));
  assert.doesNotMatch(r.stdout, /all forked/);
  assert.match(r.stderr, /can't fork/, explain(r));
  assert.notEqual(r.code, 0);
});

test("podman run --read-only makes the root read-only and keeps podman's tmpfs writable", { skip }, async () => {
  const r = await podman(["run", "--rm", ...RUN, "--read-only", IMAGE,
    "sh", "-c", "touch /newfile 2>&1; echo root=$?; touch /tmp/ok && echo tmp=$?"]);
  assert.equal(r.code, 0, explain(r));
  assert.match(r.stdout, /Read-only file system/);
  assert.match(r.stdout, /^root=1$/m);
  assert.match(r.stdout, /^tmp=0$/m);
  const rw = await podman(["run", "--rm", ...RUN, IMAGE, "sh", "-c", "touch /newfile; echo root=$?"]);
  assert.equal(rw.stdout, "root=0\n", explain(rw));
});

test("podman exec joins a running berth-runtime container, and podman stop delivers SIGTERM", { skip }, async (t) => {
  const name = `berth-exec-${process.pid}`;
  t.after(async () => {
    await podman(["rm", "--force", "--time", "0", name]);
  });
  const started = await podman(["run", "--detach", "--name", name, ...RUN, IMAGE,
    "sh", "-c", "echo marker > /tmp/marker; trap 'exit 7' TERM; sleep 600 & wait"]);
  assert.equal(started.code, 0, explain(started));
  const pidOut = await podman(["inspect", "--format", "{{.State.Pid}}", name]);
  const pid = Number(pidOut.stdout.trim());
  assert.ok(pid > 1 && alive(pid), explain(pidOut));
  await until(async () => (await podman(["exec", name, "cat", "/tmp/marker"])).stdout === "marker\n", 30_000, "the marker file");

  const before = runtime.calls().length;
  const cmdline = await podman(["exec", name, "cat", "/proc/1/cmdline"]);
  assert.equal(cmdline.code, 0, explain(cmdline));
  // The exec'd process sees the container's pid 1, so it joined the container's pid namespace.
  assert.match(cmdline.stdout, /^sh\0-c\0echo marker/);
  assert.ok(runtime.calls().slice(before).some((c) => /\bexec\b.*--process/.test(c)), "podman exec did not go through berth-runtime exec");
  const code = await podman(["exec", name, "sh", "-c", "exit 5"]);
  assert.equal(code.code, 5, explain(code));
  const stdin = await podman(["exec", "--interactive", name, "tr", "a-z", "A-Z"], runtime.path, "exec stdin\n");
  assert.equal(stdin.stdout, "EXEC STDIN\n", explain(stdin));
  const as = await podman(["exec", "--user", "65534", "--workdir", "/tmp", "--env", "X=from exec", name, "sh", "-c", 'id -u; pwd; echo "$X"']);
  assert.equal(as.stdout, "65534\n/tmp\nfrom exec\n", explain(as));
  const detached = await podman(["exec", "--detach", name, "sh", "-c", "echo detached > /tmp/detached"]);
  assert.equal(detached.code, 0, explain(detached));
  await until(async () => (await podman(["exec", name, "cat", "/tmp/detached"])).stdout === "detached\n", 30_000, "the detached exec");

  const stop = await podman(["stop", "--time", "20", name]);
  assert.equal(stop.code, 0, explain(stop));
  const status = await podman(["inspect", "--format", "{{.State.Status}} {{.State.ExitCode}}", name]);
  // 7 comes from the container's own TERM trap: the signal reached it, no SIGKILL was needed.
  assert.equal(status.stdout.trim(), "exited 7", explain(status));
  assert.equal(alive(pid), false);
  const rm = await podman(["rm", name]);
  assert.equal(rm.code, 0, explain(rm));
  await until(() => stateEntries().length === 0, 30_000, "berth-runtime state to be deleted");
});

test("podman stop falls back to SIGKILL for a container that ignores SIGTERM", { skip }, async (t) => {
  const name = `berth-stop-${process.pid}`;
  t.after(async () => {
    await podman(["rm", "--force", "--time", "0", name]);
  });
  // A pid 1 without a handler ignores SIGTERM, so only the KILL after the timeout ends it.
  const started = await podman(["run", "--detach", "--name", name, ...RUN, IMAGE, "sleep", "600"]);
  assert.equal(started.code, 0, explain(started));
  const stop = await podman(["stop", "--time", "1", name]);
  assert.equal(stop.code, 0, explain(stop));
  const status = await podman(["inspect", "--format", "{{.State.Status}} {{.State.ExitCode}}", name]);
  assert.equal(status.stdout.trim(), "exited 137", explain(status));
  assert.ok(runtime.calls().some((c) => /\bkill\b.*\b(KILL|9)\b/.test(c)), "no kill KILL call reached berth-runtime");
});

test("podman run -t gets a terminal through berth-runtime's --console-socket", { skip }, async () => {
  const before = runtime.calls().length;
  const r = await podman(["run", "--rm", "--tty", ...RUN, IMAGE, "sh", "-c", "tty; stty -a | head -1"]);
  assert.equal(r.code, 0, explain(r));
  // The pty turns "\n" into "\r\n": the output really went through a terminal.
  assert.match(r.stdout, /^\/dev\/pts\/\d+\r\n/);
  assert.match(r.stdout, /speed \d+ baud/);
  assert.ok(runtime.calls().slice(before).some((c) => /\bcreate\b.*--console-socket/.test(c)), "create was not given a console socket");
});

test("podman pause and unpause freeze and thaw the container's freezer cgroup", { skip }, async (t) => {
  const name = `berth-pause-${process.pid}`;
  t.after(async () => {
    await podman(["rm", "--force", "--time", "0", name]);
  });
  const started = await podman(["run", "--detach", "--name", name, ...RUN, IMAGE, "sleep", "600"]);
  assert.equal(started.code, 0, explain(started));
  const id = (await podman(["inspect", "--format", "{{.Id}}", name])).stdout.trim();
  const freezerState = join("/sys/fs/cgroup/freezer", CGROUP_PARENT, `libpod-${id}`, "freezer.state");
  const paused = await podman(["pause", name]);
  assert.equal(paused.code, 0, explain(paused));
  assert.equal(readFileSync(freezerState, "utf8").trim(), "FROZEN");
  assert.equal((await podman(["inspect", "--format", "{{.State.Status}}", name])).stdout.trim(), "paused");
  const resumed = await podman(["unpause", name]);
  assert.equal(resumed.code, 0, explain(resumed));
  assert.equal(readFileSync(freezerState, "utf8").trim(), "THAWED");
  assert.equal((await podman(["inspect", "--format", "{{.State.Status}}", name])).stdout.trim(), "running");
});

test("podman run --user, --workdir, --env and --hostname reach the container process", { skip }, async () => {
  const r = await podman(["run", "--rm", ...RUN, "--user", "65534:65534", "--workdir", "/tmp", "--env", "GREETING=hi there",
    "--hostname", "berth-box", IMAGE, "sh", "-c", 'id -u; id -g; pwd; echo "$GREETING"; hostname']);
  assert.equal(r.code, 0, explain(r));
  assert.equal(r.stdout, "65534\n65534\n/tmp\nhi there\nberth-box\n");
});

test("podman run -i gives the container podman's stdin", { skip }, async () => {
  const r = await podman(["run", "--rm", "--interactive", ...RUN, IMAGE, "sh", "-c", "tr a-z A-Z"], runtime.path, "piped through\n");
  assert.equal(r.code, 0, explain(r));
  assert.equal(r.stdout, "PIPED THROUGH\n");
});

test("podman run -v (read-only bind) and --tmpfs mount into the container", { skip }, async () => {
  const vol = join(dir, "volume");
  mkdirSync(vol, { recursive: true });
  writeFileSync(join(vol, "from-host"), "host data\n");
  const r = await podman(["run", "--rm", ...RUN, "--volume", `${vol}:/data:ro`, "--tmpfs", "/scratch", IMAGE, "sh", "-c",
    "cat /data/from-host; touch /data/new 2>/dev/null && echo data=rw || echo data=ro; touch /scratch/f && echo scratch=rw; grep ' /scratch ' /proc/mounts | cut -d' ' -f3"]);
  assert.equal(r.code, 0, explain(r));
  assert.equal(r.stdout, "host data\ndata=ro\nscratch=rw\ntmpfs\n");
});

test("podman kill -s delivers the signal to the container, and podman wait returns its exit code", { skip }, async (t) => {
  const name = `berth-kill-${process.pid}`;
  t.after(async () => {
    await podman(["rm", "--force", "--time", "0", name]);
  });
  const started = await podman(["run", "--detach", "--name", name, ...RUN, IMAGE,
    "sh", "-c", "trap 'exit 12' USR1; echo ready; while true; do sleep 0.1; done"]);
  assert.equal(started.code, 0, explain(started));
  await until(async () => (await podman(["logs", name])).stdout.includes("ready"), 30_000, "the container to trap USR1");
  const kill = await podman(["kill", "--signal", "USR1", name]);
  assert.equal(kill.code, 0, explain(kill));
  const wait = await podman(["wait", name]);
  assert.equal(wait.code, 0, explain(wait));
  assert.equal(wait.stdout.trim(), "12");
  assert.ok(runtime.calls().some((c) => /\bkill\b.*\b(USR1|10)\b/.test(c)), "no kill USR1 call reached berth-runtime");
});

test("podman run --device creates the node (podman sends fileMode with its file-type bits)", { skip }, async () => {
  const r = await podman(["run", "--rm", ...RUN, "--device", "/dev/zero:/dev/berthzero:rw", IMAGE,
    "sh", "-c", "ls -l /dev/berthzero; head -c 4 /dev/berthzero | od -An -tx1"]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^crw-rw-rw-\s+1 root\s+root\s+1,\s+5 /m);
  assert.match(r.stdout, /00 00 00 00/);
});

test("podman exec -t gets a pty through berth-runtime's --console-socket", { skip }, async (t) => {
  const name = `berth-exectty-${process.pid}`;
  t.after(async () => {
    await podman(["rm", "--force", "--time", "0", name]);
  });
  const started = await podman(["run", "--detach", "--name", name, ...RUN, IMAGE, "sleep", "600"]);
  assert.equal(started.code, 0, explain(started));
  const before = runtime.calls().length;
  const r = await podman(["exec", "-t", name, "sh", "-c", "tty; test -t 1 && echo exec-tty"]);
  assert.equal(r.code, 0, explain(r));
  assert.equal(r.stdout.replace(/\r/g, ""), "/dev/pts/0\nexec-tty\n");
  assert.ok(runtime.calls().slice(before).some((c) => /\bexec\b.*--console-socket/.test(c)), "exec went through berth-runtime with a console socket");
});
