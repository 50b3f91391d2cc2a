// Root tests of berth-shim through its TS client: real containers in a busybox rootfs,
// plans from compilePlan() on runc's default spec.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { chmodSync, closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, readSync, readdirSync, rmSync, rmdirSync, writeFileSync, constants as fsc } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildBusyboxRootfs } from "../../fixtures/busybox-rootfs.js";
import { compilePlan } from "../plan/compile.js";
import { PlanOpError } from "../plan/executor.js";
import type { Plan } from "../plan/plan.js";
import { hostCapabilities, mountInfo, mountPointOf } from "../proc.js";
import { defaultSpec, validateSpec, type SpecJson } from "../spec/index.js";
import { connectShim, readExitFile, startShim, type ShimAttachStream, type ShimOutputChunk, type StartShimOptions } from "./index.js";

let dir = "";
let rootfs = "";
let seq = 0;
/** Pids this file started (shims and containers), killed by pid in `after`. */
const pids = new Set<number>();

before(() => {
  dir = mkdtempSync(join(tmpdir(), "berth-shim-"));
  chmodSync(dir, 0o755);
  rootfs = join(dir, "rootfs");
  buildBusyboxRootfs(rootfs);
});

after(async () => {
  // Also any shim (or its not yet exec'd child) of ours that a failed test did not record:
  // they carry our unique temp dir on their command line.
  for (const p of readdirSync("/proc").filter((n) => /^\d+$/.test(n))) {
    try {
      if (readFileSync(`/proc/${p}/cmdline`, "utf8").includes(dir)) pids.add(Number(p));
    } catch { /* gone */ }
  }
  for (const pid of pids) {
    try { process.kill(pid, "SIGKILL"); } catch { /* gone */ }
  }
  await sleep(50);
  rmSync(dir, { recursive: true, force: true });
});

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return !/^\d+ \(.*\) Z /.test(stat);
  } catch {
    return false;
  }
}

async function until(what: string, pred: () => boolean, ms = 5000): Promise<void> {
  for (let t = 0; !pred(); t += 10) {
    if (t > ms) assert.fail(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

interface Box {
  id: string;
  stateDir: string;
  logPath: string;
  fifo: string;
}

function newBox(): Box {
  const id = `shim-test-${process.pid}-${++seq}`;
  const stateDir = join(dir, id);
  mkdirSync(stateDir);
  return { id, stateDir, logPath: join(stateDir, "json.log"), fifo: join(stateDir, "exec.fifo") };
}

/** A plan from runc's default spec: no cgroup mount or namespace (these tests make no cgroup). */
function planFor(box: Box, args: string[], mutate: (s: SpecJson) => void = () => {}): Plan {
  const s = defaultSpec({ rootfs, args });
  s.mounts = (s.mounts as { type: string }[]).filter((m) => m.type !== "cgroup");
  s.linux.namespaces = (s.linux.namespaces as { type: string }[]).filter((n) => n.type !== "cgroup");
  s.hostname = box.id.slice(-12);
  mutate(s);
  return compilePlan(validateSpec(s), {
    rootfs, bundle: dir, execFifo: box.fifo, cgroupProcs: [],
    rootfsParentMount: mountPointOf(rootfs, mountInfo()),
    hostCapabilities: hostCapabilities(),
  });
}

async function start(box: Box, args: string[], opts: Partial<StartShimOptions> = {}, mutate?: (s: SpecJson) => void) {
  const terminal = opts.terminal ?? false;
  const r = await startShim({
    id: box.id, stateDir: box.stateDir, logPath: box.logPath, logDriver: "json-file",
    terminal, openStdin: false, exitGrace: 30,
    plan: planFor(box, args, (s) => { s.process.terminal = terminal; mutate?.(s); }),
    ...opts,
  });
  pids.add(r.shimPid);
  pids.add(r.pid);
  return r;
}

/** Let the created container exec: what the daemon's `start` does (open the exec fifo, read its byte). */
async function startContainer(box: Box): Promise<void> {
  const fd = openSync(box.fifo, fsc.O_RDONLY | fsc.O_NONBLOCK);
  try {
    const buf = Buffer.alloc(1);
    for (let i = 0; i < 500; i++) {
      let n = 0;
      try { n = readSync(fd, buf, 0, 1, null); } catch (err) { if ((err as NodeJS.ErrnoException).code !== "EAGAIN") throw err; }
      if (n === 1) return;
      await sleep(5);
    }
    assert.fail("the container never opened the exec fifo");
  } finally {
    closeSync(fd);
    rmSync(box.fifo, { force: true });
  }
}

/** Collect an attach stream's output until it ends. */
function collect(a: ShimAttachStream): { text: () => string; chunks: ShimOutputChunk[]; ended: Promise<void> } {
  const chunks: ShimOutputChunk[] = [];
  const ended = new Promise<void>((resolve) => {
    a.output.on("data", (c: ShimOutputChunk) => chunks.push(c));
    a.output.on("end", () => resolve());
  });
  return { chunks, ended, text: () => Buffer.concat(chunks.map((c) => c.data)).toString("utf8") };
}

async function shutdown(box: Box, shimPid: number): Promise<void> {
  const c = connectShim(box.stateDir);
  await c.shutdown();
  c.close();
  await until("the shim to exit", () => !alive(shimPid));
}

function logEntries(box: Box): { log: string; stream: string; time: string }[] {
  return readFileSync(box.logPath, "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l) as { log: string; stream: string; time: string });
}

describe("berth-shim", () => {
  test("writes stdout and stderr to the json-file log in Docker's format and exit.json", async () => {
    const box = newBox();
    const r = await start(box, ["sh", "-c", "echo out1; echo err1 >&2; printf 'a\\tb<&>\"'; echo; printf tail"]);
    const c = connectShim(box.stateDir);
    assert.equal(readFileSync(join(box.stateDir, "shim.pid"), "utf8").trim(), String(r.shimPid));
    // A second shim on the same state dir is refused and leaves the first one's files alone.
    const other = await start(box, ["true"]).then(() => undefined, (e: unknown) => e);
    assert.ok(other instanceof PlanOpError && other.code === "EADDRINUSE", String(other));
    assert.equal(readFileSync(join(box.stateDir, "shim.pid"), "utf8").trim(), String(r.shimPid));
    assert.deepEqual(await c.state(), { pid: r.pid, status: "created" });
    await startContainer(box);
    const exit = await c.wait();
    assert.equal(exit.exitCode, 0);
    assert.equal(exit.signal, 0);
    assert.match(exit.exitedAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$/);
    const entries = logEntries(box);
    const out = entries.filter((e) => e.stream === "stdout").map((e) => e.log);
    const err = entries.filter((e) => e.stream === "stderr").map((e) => e.log);
    // A last line without its newline is logged as Docker does: a partial entry, no \n added.
    assert.deepEqual(out, ["out1\n", "a\tb<&>\"\n", "tail"]);
    assert.deepEqual(err, ["err1\n"]);
    for (const e of entries) assert.match(e.time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$/);
    // moby's jsonlog escapes: HTML characters and controls other than \n and \r as \u00XX.
    const raw = readFileSync(box.logPath, "utf8");
    assert.ok(raw.includes('"log":"a\\u0009b\\u003c\\u0026\\u003e\\"\\n"'), raw);
    assert.deepEqual(readExitFile(box.stateDir), exit);
    const st = await c.state();
    assert.equal(st.status, "exited");
    assert.deepEqual(st.exit, exit);
    c.close();
    await shutdown(box, r.shimPid);
    assert.equal(existsSync(join(box.stateDir, "shim.sock")), false);
    assert.equal(existsSync(join(box.stateDir, "shim.pid")), false);
    assert.deepEqual(readExitFile(box.stateDir), exit);
  });

  test("an attach made before start receives all output with stream ids, then the exit", async () => {
    const box = newBox();
    const r = await start(box, ["sh", "-c", "for i in 1 2 3; do echo o$i; echo e$i >&2; done; exit 3"]);
    const c = connectShim(box.stateDir);
    const a = c.attach();
    const b = c.attach();
    await Promise.all([a.ready, b.ready]);
    const got = collect(a);
    const got2 = collect(b);
    await startContainer(box);
    const exit = await a.exit;
    await Promise.all([got.ended, got2.ended]);
    assert.equal(exit?.exitCode, 3);
    assert.equal((await b.exit)?.exitCode, 3);
    // Several clients at once: each gets all of it.
    assert.equal(got2.text(), got.text());
    const by = (n: 1 | 2) => Buffer.concat(got.chunks.filter((ch) => ch.stream === n).map((ch) => ch.data)).toString();
    assert.equal(by(1), "o1\no2\no3\n");
    assert.equal(by(2), "e1\ne2\ne3\n");
    assert.equal((await c.wait()).exitCode, 3);
    c.close();
    await shutdown(box, r.shimPid);
  });

  test("stdin sent through attach reaches cat, and closing it ends cat", async () => {
    const box = newBox();
    const r = await start(box, ["cat"], { openStdin: true });
    const c = connectShim(box.stateDir);
    const a = c.attach({ stdin: true });
    await a.ready;
    const got = collect(a);
    await startContainer(box);
    a.writeStdin("hello shim\n");
    await until("cat to echo", () => got.text() === "hello shim\n");
    a.writeStdin("second line\n");
    a.closeStdin();
    const exit = await a.exit;
    assert.equal(exit?.exitCode, 0);
    assert.equal(got.text(), "hello shim\nsecond line\n");
    assert.deepEqual(logEntries(box).map((e) => e.log), ["hello shim\n", "second line\n"]);
    c.close();
    await shutdown(box, r.shimPid);
  });

  test("a tty container echoes input, resize changes `stty size`, and its output is logged as stdout", async () => {
    const box = newBox();
    const r = await start(box, ["sh"], { terminal: true, openStdin: true });
    const c = connectShim(box.stateDir);
    const a = c.attach({ stdin: true });
    await a.ready;
    const got = collect(a);
    await startContainer(box);
    await c.resize(33, 111);
    a.writeStdin("echo mark-$((6*7))\r");
    await until("the shell to answer", () => got.text().includes("mark-42"));
    // The pty echoes what was typed (the command line) before the output.
    assert.ok(got.text().includes("echo mark-$((6*7))"), got.text());
    a.writeStdin("stty size\r");
    await until("stty size", () => got.text().includes("33 111"));
    await c.resize(20, 70);
    a.writeStdin("stty size; exit 5\r");
    const exit = await a.exit;
    assert.equal(exit?.exitCode, 5);
    assert.ok(got.text().includes("20 70"), got.text());
    assert.ok(got.chunks.every((ch) => ch.stream === 1));
    const entries = logEntries(box);
    assert.ok(entries.length > 0 && entries.every((e) => e.stream === "stdout"));
    assert.ok(entries.some((e) => e.log.includes("mark-42")));
    c.close();
    await shutdown(box, r.shimPid);
  });

  test("kill with SIGKILL gives 137 with the signal, and resize without a terminal is refused", async () => {
    const box = newBox();
    const r = await start(box, ["sh", "-c", "echo up; exec sleep 1000"]);
    const c = connectShim(box.stateDir);
    await startContainer(box);
    await until("the container to run", () => readFileSync(`/proc/${r.pid}/comm`, "utf8").trim() === "sleep");
    assert.equal((await c.state()).status, "running");
    await assert.rejects(c.resize(10, 10), (e: Error & { kind?: string }) => e.kind === "failed-precondition");
    const waiting = c.wait();
    await c.kill("SIGKILL");
    const exit = await waiting;
    assert.equal(exit.exitCode, 137);
    assert.equal(exit.signal, 9);
    await assert.rejects(c.kill("SIGTERM"), (e: Error & { kind?: string }) => e.kind === "failed-precondition");
    assert.deepEqual(readExitFile(box.stateDir), exit);
    c.close();
    await shutdown(box, r.shimPid);
  });

  test("the shim keeps the container after the Node process that started it is killed with SIGKILL", async () => {
    const box = newBox();
    const plan = planFor(box, ["sh", "-c", "trap 'echo bye; exit 0' TERM; echo started; while :; do sleep 0.05; done"]);
    const url = (p: string) => new URL(p, import.meta.url).href;
    const script = `
      import { startShim } from ${JSON.stringify(url("./start.js"))};
      const opts = JSON.parse(process.argv[1]);
      const plan = JSON.parse(opts.plan, (k, v) => v !== null && typeof v === "object" && "$big" in v ? BigInt(v.$big) : v);
      const r = await startShim({ ...opts, plan });
      process.stdout.write(JSON.stringify({ pid: r.pid, shimPid: r.shimPid }) + "\\n");
      setInterval(() => {}, 1000);
    `;
    const opts = {
      id: box.id, stateDir: box.stateDir, logPath: box.logPath, logDriver: "json-file", terminal: false,
      openStdin: false, exitGrace: 30, plan: encodePlanJson(plan),
    };
    const node = spawn(process.execPath, ["--input-type=module", "-e", script, JSON.stringify(opts)], { stdio: ["ignore", "pipe", "inherit"] });
    pids.add(node.pid ?? 0);
    const line = await new Promise<string>((resolve, reject) => {
      let out = "";
      node.stdout.setEncoding("utf8").on("data", (d: string) => { out += d; if (out.includes("\n")) resolve(out.trim()); });
      node.once("exit", () => reject(new Error(`the starter exited: ${out}`)));
    });
    const r = JSON.parse(line) as { pid: number; shimPid: number };
    pids.add(r.pid);
    pids.add(r.shimPid);
    process.kill(node.pid ?? 0, "SIGKILL");
    await new Promise((res) => node.once("exit", res));
    await startContainer(box);
    await until("output in the log", () => existsSync(box.logPath) && readFileSync(box.logPath, "utf8").includes("started"));
    assert.ok(alive(r.shimPid), "the shim survived its starter");
    assert.ok(alive(r.pid), "the container survived");
    const c = connectShim(box.stateDir);
    const st = await c.state();
    assert.equal(st.status, "running");
    assert.equal(st.pid, r.pid);
    await c.kill("SIGTERM");
    const exit = await c.wait();
    assert.equal(exit.exitCode, 0);
    assert.deepEqual(logEntries(box).map((e) => e.log), ["started\n", "bye\n"]);
    c.close();
    await shutdown(box, r.shimPid);
  });

  test("a running shim stays under 2 MB of RSS", async () => {
    const box = newBox();
    const r = await start(box, ["sh", "-c", "i=0; while [ $i -lt 2000 ]; do echo line $i; i=$((i+1)); done; exec sleep 1000"]);
    const c = connectShim(box.stateDir);
    const a = c.attach();
    await a.ready;
    const got = collect(a);
    await startContainer(box);
    await until("all lines", () => got.text().includes("line 1999\n"));
    const status = readFileSync(`/proc/${r.shimPid}/status`, "utf8");
    const rss = Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1]);
    assert.ok(rss > 0 && rss <= 2048, `VmRSS ${rss} kB`);
    await c.kill("SIGKILL");
    assert.equal((await c.wait()).exitCode, 137);
    a.close();
    c.close();
    await shutdown(box, r.shimPid);
  });

  test("a failing plan reports the op error and leaves no shim behind", async () => {
    const box = newBox();
    const err = await start(box, ["true"], {}, (s) => {
      s.mounts.push({ destination: "/mnt/x", type: "bind", source: join(dir, "does-not-exist"), options: ["bind"] });
    }).then(() => undefined, (e: unknown) => e);
    assert.ok(err instanceof PlanOpError, String(err));
    assert.equal(err.opName, "mount");
    assert.equal(err.code, "ENOENT");
    // No process has this state dir on its command line any more.
    const shims = readdirSync("/proc").filter((p) => /^\d+$/.test(p)).filter((p) => {
      try { return readFileSync(`/proc/${p}/cmdline`, "utf8").includes(box.stateDir); } catch { return false; }
    });
    assert.deepEqual(shims, []);
    assert.equal(existsSync(join(box.stateDir, "shim.sock")), false);
    assert.equal(existsSync(join(box.stateDir, "shim.pid")), false);
    assert.equal(readExitFile(box.stateDir), undefined);
  });
  test("a program that is not found after start exits 127, and `execed` rejects with the exec error", async () => {
    const box = newBox();
    const r = await start(box, ["/no/such/program"]);
    const c = connectShim(box.stateDir);
    const execed = r.execed.then(() => undefined, (e: unknown) => e);
    await startContainer(box);
    const exit = await c.wait();
    assert.equal(exit.exitCode, 127);
    const err = await execed;
    assert.ok(err instanceof PlanOpError, String(err));
    assert.equal(err.opName, "exec");
    assert.equal(err.code, "ENOENT");
    c.close();
    await shutdown(box, r.shimPid);
  });

  test("the none log driver writes no log, and orphans of a container without a pid namespace are reaped", async () => {
    const box = newBox();
    const r = await start(box, ["sh", "-c", "sleep 1 & echo orphan=$!"], { logDriver: "none" },
      (s) => { s.linux.namespaces = (s.linux.namespaces as { type: string }[]).filter((n) => n.type !== "pid"); });
    const c = connectShim(box.stateDir);
    const a = c.attach();
    await a.ready;
    const got = collect(a);
    await startContainer(box);
    assert.equal((await c.wait()).exitCode, 0);
    await got.ended;
    const orphan = Number(/orphan=(\d+)/.exec(got.text())?.[1]);
    assert.ok(orphan > 0, got.text());
    pids.add(orphan);
    // The shell exited first: the sleep was reparented to the shim (a child subreaper),
    // which reaps it when it ends, so it never lingers as a zombie.
    const ppid = Number(readFileSync(`/proc/${orphan}/stat`, "utf8").split(") ")[1]?.split(" ")[1]);
    assert.equal(ppid, r.shimPid);
    await until("the orphan to be reaped", () => !existsSync(`/proc/${orphan}`));
    assert.equal(existsSync(box.logPath), false);
    c.close();
    await shutdown(box, r.shimPid);
  });

  test("a client that stops reading is disconnected and the container's output goes on", async () => {
    const box = newBox();
    // About 6 MB: past the shim's 1 MiB per-client bound and the socket buffers.
    const r = await start(box, ["sh", "-c", "head -c 6000000 /dev/zero | tr '\\0' x; echo; echo end"]);
    const c = connectShim(box.stateDir);
    // A raw attach that never reads its socket.
    const { createConnection } = await import("node:net");
    const { encodeFrame, FRAME } = await import("./protocol.js");
    const stuck = createConnection(join(box.stateDir, "shim.sock"));
    await new Promise((res) => stuck.once("connect", res));
    stuck.write(encodeFrame(FRAME.attach, Buffer.from([0])));
    stuck.pause();
    await sleep(100);
    const t0 = Date.now();
    await startContainer(box);
    const exit = await c.wait();
    assert.equal(exit.exitCode, 0);
    // Held for at most the 2 s no-progress deadline (plus the time to write the log).
    assert.ok(Date.now() - t0 < 8000, `took ${Date.now() - t0} ms`);
    const entries = logEntries(box);
    assert.equal(entries.at(-1)?.log, "end\n");
    assert.equal(entries.filter((e) => e.log.endsWith("\n")).length, 2);
    const diag = readFileSync(join(box.stateDir, "shim.log"), "utf8");
    assert.match(diag, /made no progress for 2000 ms/);
    stuck.destroy();
    c.close();
    await shutdown(box, r.shimPid);
  });
  test("without shutdown the shim exits after its grace period, keeping exit.json", async () => {
    const box = newBox();
    const r = await start(box, ["sh", "-c", "echo bye; exit 4"], { exitGrace: 1 });
    await startContainer(box);
    await until("the shim to exit after the grace period", () => !alive(r.shimPid), 5000);
    assert.equal(readExitFile(box.stateDir)?.exitCode, 4);
    assert.equal(existsSync(join(box.stateDir, "shim.sock")), false);
    assert.equal(existsSync(join(box.stateDir, "shim.pid")), false);
    assert.deepEqual(logEntries(box).map((e) => e.log), ["bye\n"]);
    await assert.rejects(connectShim(box.stateDir).state(), (e: Error & { kind?: string }) => e.kind === "unavailable");
  });
  test("a container killed by the OOM killer of its memory cgroup exits 137 with oomKilled", async (t) => {
    const memRoot = "/sys/fs/cgroup/memory";
    if (!existsSync(join(memRoot, "memory.oom_control"))) {
      t.skip("no cgroup v1 memory hierarchy at /sys/fs/cgroup/memory");
      return;
    }
    const cg = join(memRoot, `berth-shim-test-${process.pid}`);
    mkdirSync(cg);
    t.after(async () => {
      for (let i = 0; i < 100; i++) {
        try { rmdirSync(cg); return; } catch { await sleep(20); }
      }
    });
    writeFileSync(join(cg, "memory.limit_in_bytes"), String(32 << 20));
    const box = newBox();
    const s = planFor(box, ["sh", "-c", "x=$(head -c 400000000 /dev/zero | tr '\\0' a); echo survived"]);
    const r = await startShim({
      id: box.id, stateDir: box.stateDir, logPath: box.logPath, logDriver: "json-file", terminal: false, openStdin: false,
      exitGrace: 30, plan: { ...s, cgroupProcs: [join(cg, "cgroup.procs")] }, oomFile: join(cg, "memory.oom_control"),
    });
    pids.add(r.shimPid);
    pids.add(r.pid);
    const c = connectShim(box.stateDir);
    await startContainer(box);
    const exit = await c.wait();
    assert.equal(exit.exitCode, 137);
    assert.equal(exit.oomKilled, true);
    assert.equal(readExitFile(box.stateDir)?.oomKilled, true);
    c.close();
    await shutdown(box, r.shimPid);
  });
  test("the json-file log rotates by max-size and max-file", async () => {
    const box = newBox();
    const r = await start(box, ["sh", "-c", "i=0; while [ $i -lt 200 ]; do echo line-$i; i=$((i+1)); done"],
      { logMaxSize: 2000, logMaxFile: 3 });
    await startContainer(box);
    const c = connectShim(box.stateDir);
    assert.equal((await c.wait()).exitCode, 0);
    for (const f of [box.logPath, `${box.logPath}.1`, `${box.logPath}.2`]) {
      const size = readFileSync(f).length;
      assert.ok(size > 0 && size <= 2000, `${f}: ${size} bytes`);
    }
    assert.equal(existsSync(`${box.logPath}.3`), false);
    // The newest lines are in the current file, in order, the older ones in .1.
    const current = logEntries(box).map((e) => e.log);
    assert.equal(current.at(-1), "line-199\n");
    const older = readFileSync(`${box.logPath}.1`, "utf8").split("\n").filter(Boolean).map((l) => (JSON.parse(l) as { log: string }).log);
    const n = (l: string | undefined) => Number(/line-(\d+)/.exec(l ?? "")?.[1]);
    assert.equal(n(older.at(-1)) + 1, n(current[0]));
    c.close();
    await shutdown(box, r.shimPid);
  });
});

/** Plans carry bigints (rlimits): JSON with them as {"$big": "…"}, for the starter child process. */
function encodePlanJson(plan: Plan): string {
  return JSON.stringify(plan, (_k, v: unknown) => (typeof v === "bigint" ? { $big: v.toString() } : v));
}
