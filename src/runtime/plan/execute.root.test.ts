// Root tests of berth-init through runExecutor(): hand-built plans run in a busybox rootfs.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, existsSync, openSync, closeSync, readFileSync, readSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildBusyboxRootfs } from "../../fixtures/busybox-rootfs.js";
import { runExecutor, PlanOpError, type ExecutorHandle, type ExecutorOptions } from "./executor.js";
import type { Op, Plan } from "./plan.js";

const CLONE_NEWNS = 0x00020000;
const CLONE_NEWUTS = 0x04000000;
const CLONE_NEWIPC = 0x08000000;
const CLONE_NEWUSER = 0x10000000;
const CLONE_NEWPID = 0x20000000;
const MS_BIND = 4096;
const MS_REC = 16384;
const MS_SLAVE = 1 << 19;
const ENOENT = 2;

const ENV = ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOME=/root"];

let dir = "";
let rootfs = "";
const started: ExecutorHandle[] = [];

before(() => {
  dir = mkdtempSync(join(tmpdir(), "berth-execute-"));
  rootfs = join(dir, "rootfs");
  buildBusyboxRootfs(rootfs);
});

after(async () => {
  for (const h of started) {
    const pid = await h.pid.catch(() => undefined);
    if (pid !== undefined) {
      try { process.kill(pid, "SIGKILL"); } catch { /* already gone */ }
    }
    h.kill("SIGKILL");
    await h.exited.catch(() => undefined);
  }
  rmSync(dir, { recursive: true, force: true });
});

/** Ops that enter the rootfs the way compile.ts does: rslave /, bind the rootfs, proc, pivot. */
function enterRootfs(): Op[] {
  return [
    { op: "mount", source: "", target: "/", fstype: "", flags: MS_REC | MS_SLAVE, data: "" },
    { op: "mount", source: rootfs, target: rootfs, fstype: "", flags: MS_BIND | MS_REC, data: "" },
    { op: "mount", source: "proc", target: join(rootfs, "proc"), fstype: "proc", flags: 0, data: "" },
    { op: "pivot-root", root: rootfs },
  ];
}

function plan(ops: Op[], extra: Partial<Plan> = {}): Plan {
  return {
    joinNamespaces: [],
    cloneFlags: CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWUTS | CLONE_NEWIPC,
    uidMappings: [],
    gidMappings: [],
    cgroupProcs: [],
    execFifo: "",
    ...extra,
    ops,
  };
}

function sh(script: string): Op {
  return { op: "exec", path: "/bin/sh", args: ["sh", "-c", script], env: ENV };
}

function start(opts: ExecutorOptions): ExecutorHandle {
  const h = runExecutor({ stdio: ["ignore", "pipe", "pipe"], ...opts });
  started.push(h);
  return h;
}

/** Run a plan with --wait and collect the container's stdout and berth-init's exit status. */
async function run(p: Plan, onHook?: ExecutorOptions["onHook"]): Promise<{ out: string; err: string; status: number }> {
  const h = start({ plan: p, mode: "wait", ...(onHook !== undefined ? { onHook } : {}) });
  let out = "";
  let err = "";
  h.process.stdout?.setEncoding("utf8").on("data", (c: string) => { out += c; });
  h.process.stderr?.setEncoding("utf8").on("data", (c: string) => { err += c; });
  const status = await h.exited;
  await new Promise((r) => setImmediate(r));
  return { out, err, status };
}

describe("berth-init", () => {
  test("runs a container with its own hostname, pid 1 and /proc", async () => {
    const { out, status } = await run(plan([
      ...enterRootfs(),
      { op: "sethostname", name: "berth-test" },
      sh("hostname; echo pid=$$; test -r /proc/self/status && echo proc-ok; ls /"),
    ]));
    assert.equal(status, 0);
    const lines = out.split("\n");
    assert.equal(lines[0], "berth-test");
    assert.equal(lines[1], "pid=1");
    assert.equal(lines[2], "proc-ok");
    assert.ok(lines.includes("bin") && lines.includes("etc"), out);
  });

  test("reports a failing mount with its op index, name, errno and path", async () => {
    const p = plan([
      ...enterRootfs(),
      { op: "mount", source: "/does-not-exist", target: "/mnt-missing", fstype: "", flags: MS_BIND, data: "" },
      sh("echo unreachable"),
    ]);
    const h = start({ plan: p, mode: "detach" });
    await h.pid;
    const err = await h.created.then(() => undefined, (e: unknown) => e);
    assert.ok(err instanceof PlanOpError, String(err));
    assert.equal(err.opIndex, 4);
    assert.equal(err.opName, "mount");
    assert.equal(err.errno, ENOENT);
    assert.equal(err.code, "ENOENT");
    assert.equal(err.path, "/mnt-missing");
    assert.match(err.message, /^mount `\/does-not-exist` to `\/mnt-missing`: No such file or directory$/);
    await assert.rejects(h.execed, PlanOpError);
  });

  test("--wait exits with the container's status", async () => {
    const { status } = await run(plan([...enterRootfs(), sh("exit 7")]));
    assert.equal(status, 7);
    // Without a pid namespace the shell is not an init and dies of its own SIGKILL.
    const killed = await run(plan([...enterRootfs(), sh("kill -9 $$")], { cloneFlags: CLONE_NEWNS }));
    assert.equal(killed.status, 128 + 9);
  });

  test("--wait forwards SIGTERM to the container process", async () => {
    const h = start({
      plan: plan([...enterRootfs(), sh("trap 'exit 42' TERM; echo ready; while :; do sleep 0.05; done")]),
      mode: "wait",
    });
    await new Promise<void>((resolve) => {
      h.process.stdout?.setEncoding("utf8").on("data", (c: string) => { if (c.includes("ready")) resolve(); });
    });
    h.kill("SIGTERM");
    assert.equal(await h.exited, 42);
  });

  test("reports a command not found in PATH like runc", async () => {
    const h = start({ plan: plan([...enterRootfs(), { op: "exec", path: "nope", args: ["nope"], env: ENV }]), mode: "wait" });
    const err = await h.created.then(() => undefined, (e: unknown) => e);
    assert.ok(err instanceof PlanOpError, String(err));
    assert.equal(err.message, 'exec: "nope": executable file not found in $PATH');
    assert.equal(err.errno, ENOENT);
    assert.equal(await h.exited, 1);
  });

  test("searches PATH from the container's env for a bare command", async () => {
    const { out, status } = await run(plan([...enterRootfs(), { op: "exec", path: "echo", args: ["echo", "found"], env: ENV }]));
    assert.equal(status, 0);
    assert.equal(out, "found\n");
  });

  test("set-user and capabilities shape /proc/self/status", async () => {
    const CAP_CHOWN = 0n;
    const CAP_NET_BIND_SERVICE = 10n;
    const caps = (1n << CAP_CHOWN) | (1n << CAP_NET_BIND_SERVICE);
    const { out, status } = await run(plan([
      ...enterRootfs(),
      { op: "set-user", uid: 1000, gid: 1001, additionalGids: [1002, 1003] },
      { op: "capabilities", bounding: caps, effective: caps, permitted: caps, inheritable: caps, ambient: 1n << CAP_NET_BIND_SERVICE },
      sh("grep -E '^(Uid|Gid|Groups|Cap[A-Za-z]+):' /proc/self/status"),
    ]));
    assert.equal(status, 0, out);
    const field = (name: string): string => (out.match(new RegExp(`^${name}:\\s*(.*)$`, "m"))?.[1] ?? "").trim();
    assert.equal(field("Uid").split(/\s+/)[0], "1000");
    assert.equal(field("Gid").split(/\s+/)[0], "1001");
    assert.equal(field("Groups"), "1002 1003");
    assert.equal(field("CapBnd"), "0000000000000401");
    assert.equal(field("CapInh"), "0000000000000401");
    // Across execve as a non-root uid only the ambient set survives into permitted/effective.
    assert.equal(field("CapPrm"), "0000000000000400");
    assert.equal(field("CapEff"), "0000000000000400");
    assert.equal(field("CapAmb"), "0000000000000400");
  });

  test("wait-start blocks until the exec fifo is opened", async () => {
    const fifo = join(dir, "exec.fifo");
    const marker = join(rootfs, "tmp", "ran");
    rmSync(marker, { force: true });
    const h = start({
      plan: plan([
        { op: "open-exec-fifo", path: fifo },
        ...enterRootfs(),
        { op: "wait-start" },
        sh("echo yes > /tmp/ran"),
      ], { execFifo: fifo }),
      mode: "detach",
    });
    const pid = await h.pid;
    assert.ok(pid > 1);
    await h.created;
    assert.equal(await h.exited, 0);
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(existsSync(marker), false, "the command ran before start");
    const fd = openSync(fifo, "r");
    try {
      const buf = Buffer.alloc(1);
      assert.equal(readSync(fd, buf), 1);
      assert.equal(buf.toString(), "0");
    } finally {
      closeSync(fd);
    }
    await h.execed;
    for (let i = 0; i < 100 && !existsSync(marker); i++) await new Promise((r) => setTimeout(r, 20));
    assert.equal(readFileSync(marker, "utf8"), "yes\n");
  });
});
