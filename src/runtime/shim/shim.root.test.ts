// Root tests of berth-shim through its TS client: real containers in a busybox rootfs,
// plans from compilePlan() on runc's default spec.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { chmodSync, closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, readSync, readdirSync, rmSync, constants as fsc } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
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
    assert.equal((await c.state()).status, "created");
    await startContainer(box);
    const exit = await c.wait();
    assert.equal(exit.exitCode, 0);
    assert.equal(exit.signal, 0);
    assert.match(exit.exitedAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$/);
    const entries = logEntries(box);
    const out = entries.filter((e) => e.stream === "stdout").map((e) => e.log);
    const err = entries.filter((e) => e.stream === "stderr").map((e) => e.log);
    assert.deepEqual(out, ["out1\n", "a\tb<&>\"\n", "tail\n"]);
    assert.deepEqual(err, ["err1\n"]);
    for (const e of entries) assert.match(e.time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$/);
    // Go's encoding/json escapes: HTML characters as \u00XX, tab as \t.
    const raw = readFileSync(box.logPath, "utf8");
    assert.ok(raw.includes('"log":"a\\tb\\u003c\\u0026\\u003e\\"\\n"'), raw);
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
});
