// Root tests of berth-init through runExecutor(): hand-built plans run in a busybox rootfs.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, existsSync, openSync, closeSync, readFileSync, readSync, mkdirSync, writeFileSync, rmdirSync, chmodSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execFileSync, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { buildBusyboxRootfs } from "../../fixtures/busybox-rootfs.js";
import { runExecutor, PlanOpError, DEFAULT_BERTH_INIT, type ExecutorHandle, type ExecutorOptions } from "./executor.js";
import type { Op, Plan } from "./plan.js";
import { encodePlan } from "./encode.js";

const CLONE_NEWNS = 0x00020000;
const CLONE_NEWUTS = 0x04000000;
const CLONE_NEWIPC = 0x08000000;
const CLONE_NEWUSER = 0x10000000;
const CLONE_NEWPID = 0x20000000;
const MS_BIND = 4096;
const MS_REC = 16384;
const MS_SLAVE = 1 << 19;
const MS_NOSUID = 2;
const MS_NOEXEC = 8;
const ENOENT = 2;
const ETIMEDOUT = 110;

const ENV = ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOME=/root"];

let dir = "";
let rootfs = "";
const started: ExecutorHandle[] = [];

before(() => {
  dir = mkdtempSync(join(tmpdir(), "berth-execute-"));
  // The mapped root of a user namespace is "other" to the host: it must traverse the path.
  chmodSync(dir, 0o755);
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
async function run(p: Plan, onHook?: ExecutorOptions["onHook"]): Promise<{ out: string; err: string; status: number; failure?: unknown }> {
  const h = start({ plan: p, mode: "wait", ...(onHook !== undefined ? { onHook } : {}) });
  let failure: unknown;
  h.created.catch((e: unknown) => { failure = e; });
  let out = "";
  let err = "";
  h.process.stdout?.setEncoding("utf8").on("data", (c: string) => { out += c; });
  h.process.stderr?.setEncoding("utf8").on("data", (c: string) => { err += c; });
  const status = await h.exited;
  await new Promise((r) => setImmediate(r));
  return { out, err, status, failure };
}

/** Wait until the container's first process has exec'd `comm`. */
async function waitForComm(pid: number, comm: string): Promise<void> {
  const read = (): string => { try { return readFileSync(`/proc/${pid}/comm`, "utf8").trim(); } catch { return ""; } };
  for (let i = 0; i < 250 && read() !== comm; i++) await new Promise((r) => setTimeout(r, 20));
  assert.equal(read(), comm);
}

describe("berth-init", () => {
  test("runs a container with its own hostname, pid 1 and /proc", async () => {
    const { out, status } = await run(plan([
      ...enterRootfs(),
      { op: "sethostname", name: "berth-test" },
      sh("hostname; echo pid=$$; test -r /proc/self/status && echo proc-ok; echo sid=$(cut -d' ' -f6 /proc/$$/stat); ls /"),
    ]));
    assert.equal(status, 0);
    const lines = out.split("\n");
    assert.equal(lines[0], "berth-test");
    assert.equal(lines[1], "pid=1");
    assert.equal(lines[2], "proc-ok");
    // Its own session (leader: itself), not the runtime's.
    assert.equal(lines[3], "sid=1");
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

  test("--wait forwards a signal that arrives before exec, and the child has the default action", async () => {
    let h: ExecutorHandle | undefined;
    h = start({
      // No pid namespace: a namespace's init would ignore a signal it has no handler for.
      plan: plan([...enterRootfs(), { op: "sync", phase: "createRuntime" }, sh("echo should-not-run")], { cloneFlags: CLONE_NEWNS }),
      mode: "wait",
      onHook: async () => {
        h?.kill("SIGTERM");
        await new Promise((r) => setTimeout(r, 100));
        return new Uint8Array();
      },
    });
    assert.equal(await h.exited, 128 + 15);
  });

  test("fds berth-init inherited beyond stdio do not reach the container", async () => {
    const child = spawn(DEFAULT_BERTH_INIT, ["--wait"], { stdio: ["ignore", "pipe", "inherit", "pipe", "pipe"] });
    const bytes = encodePlan(plan([...enterRootfs(), sh("ls /proc/self/fd | sort -n | tr '\\n' ' '")], { cloneFlags: CLONE_NEWNS | CLONE_NEWPID }));
    const head = Buffer.alloc(4);
    head.writeUInt32LE(bytes.length);
    (child.stdio[3] as import("node:stream").Duplex).end(Buffer.concat([head, bytes]));
    let out = "";
    child.stdout?.setEncoding("utf8").on("data", (c: string) => { out += c; });
    const code = await new Promise<number | null>((r) => child.on("close", (c) => r(c)));
    assert.equal(code, 0);
    // 0-2 and the directory ls is reading; not fd 4 (nor fd 3, closed by execve).
    assert.equal(out.trim(), "0 1 2 3");
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
    // The shell creates the file before it writes to it: wait for the content.
    const content = (): string => (existsSync(marker) ? readFileSync(marker, "utf8") : "");
    for (let i = 0; i < 250 && content() !== "yes\n"; i++) await new Promise((r) => setTimeout(r, 20));
    assert.equal(content(), "yes\n");
  });

  test("sync hands the runtime's state to the child and run-hook gets it on stdin", async () => {
    const calls: [string, number][] = [];
    const state = JSON.stringify({ ociVersion: "1.2.0", id: "c1", status: "creating" });
    const p = plan([
      ...enterRootfs(),
      { op: "sync", phase: "createContainer" },
      { op: "run-hook", path: "/bin/sh", args: ["sh", "-c", "cat > /tmp/hook-state; echo $X >> /tmp/hook-state"], env: ["X=from-env"], timeout: 5 },
      sh("cat /tmp/hook-state"),
    ]);
    const h = start({
      plan: p,
      mode: "wait",
      onHook: async (phase, pid) => { calls.push([phase, pid]); return Buffer.from(state); },
    });
    let out = "";
    h.process.stdout?.setEncoding("utf8").on("data", (c: string) => { out += c; });
    assert.equal(await h.exited, 0);
    await h.execed;
    assert.deepEqual(calls, [["createContainer", await h.pid]]);
    assert.equal(out, `${state}from-env\n`);
  });

  test("a failing or hanging hook is reported as a run-hook error", async () => {
    const failing = start({
      plan: plan([...enterRootfs(), { op: "run-hook", path: "/bin/false", args: ["false"], env: [], timeout: 0 }, sh("true")]),
      mode: "wait",
    });
    const err = await failing.created.then(() => undefined, (e: unknown) => e);
    assert.ok(err instanceof PlanOpError, String(err));
    assert.equal(err.opName, "run-hook");
    assert.equal(err.opIndex, 4);
    assert.match(err.message, /exit status 1/);

    const t0 = Date.now();
    const hanging = start({
      plan: plan([...enterRootfs(), { op: "run-hook", path: "/bin/sleep", args: ["sleep", "30"], env: [], timeout: 1 }, sh("true")]),
      mode: "wait",
    });
    const err2 = await hanging.created.then(() => undefined, (e: unknown) => e);
    assert.ok(err2 instanceof PlanOpError, String(err2));
    assert.equal(err2.errno, ETIMEDOUT);
    assert.ok(Date.now() - t0 < 10_000);
  });

  test("a hook callback that throws rejects the handle and kills the container process", async () => {
    const h = start({
      plan: plan([...enterRootfs(), { op: "sync", phase: "prestart" }, sh("echo should-not-run")]),
      mode: "wait",
      onHook: async () => { throw new Error("no state"); },
    });
    await assert.rejects(h.created, /run hook phase "prestart": no state/);
    assert.notEqual(await h.exited, 0);
  });

  test("a new user namespace gets the id mappings and its root owns nothing on the host", async () => {
    const { out, status } = await run(plan([...enterRootfs(), sh("cat /proc/self/uid_map /proc/self/gid_map; id -u; id -g; stat -c %u /bin/busybox")], {
      cloneFlags: CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWUTS | CLONE_NEWIPC,
      uidMappings: [{ containerId: 0, hostId: 100000, size: 65536 }],
      gidMappings: [{ containerId: 0, hostId: 200000, size: 65536 }],
    }));
    assert.equal(status, 0, out);
    const lines = out.trim().split("\n").map((l) => l.trim().split(/\s+/).join(" "));
    assert.deepEqual(lines, ["0 100000 65536", "0 200000 65536", "0", "0", "65534"]);
  });

  test("set-user sets supplementary groups inside a new user namespace (setgroups stays allowed)", async () => {
    const { out, status } = await run(plan([
      ...enterRootfs(),
      { op: "set-user", uid: 1000, gid: 1000, additionalGids: [10, 20] },
      sh("cat /proc/self/setgroups; id -u; id -G"),
    ], {
      cloneFlags: CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID,
      uidMappings: [{ containerId: 0, hostId: 100000, size: 65536 }],
      gidMappings: [{ containerId: 0, hostId: 100000, size: 65536 }],
    }));
    assert.equal(status, 0, out);
    assert.deepEqual(out.trim().split("\n"), ["allow", "1000", "1000 10 20"]);
  });

  test("exec joins a running container's namespaces and cgroup", async () => {
    const cgroup = `/sys/fs/cgroup/pids/berth-native-test-${process.pid}`;
    mkdirSync(cgroup);
    try {
      const container = start({
        plan: plan([...enterRootfs(), { op: "sethostname", name: "joined" }, sh("echo ready; exec sleep 60")]),
        mode: "wait",
      });
      await new Promise<void>((resolve) => {
        container.process.stdout?.setEncoding("utf8").on("data", (c: string) => { if (c.includes("ready")) resolve(); });
      });
      const cpid = await container.pid;
      await waitForComm(cpid, "sleep");
      const ns = (name: string, nstype: number) => ({ nstype, path: `/proc/${cpid}/ns/${name}` });
      const exec = await run({
        joinNamespaces: [ns("ipc", CLONE_NEWIPC), ns("uts", CLONE_NEWUTS), ns("pid", CLONE_NEWPID), ns("mnt", CLONE_NEWNS)],
        cloneFlags: 0,
        uidMappings: [],
        gidMappings: [],
        cgroupProcs: [`${cgroup}/cgroup.procs`],
        execFifo: "",
        ops: [{ op: "chdir", path: "/" }, sh("hostname; cat /proc/1/comm; echo $$; grep pids /proc/self/cgroup")],
      });
      assert.equal(exec.status, 0, exec.err);
      const lines = exec.out.trim().split("\n");
      assert.equal(lines[0], "joined");
      assert.equal(lines[1], "sleep");
      assert.ok(Number(lines[2]) > 1, lines[2]);
      assert.match(lines[3] ?? "", new RegExp(`pids:/berth-native-test-${process.pid}$`));
      process.kill(cpid, "SIGKILL");
      assert.equal(await container.exited, 128 + 9);
    } finally {
      for (let i = 0; i < 50; i++) {
        try { rmdirSync(cgroup); break; } catch { await new Promise((r) => setTimeout(r, 50)); }
      }
    }
  });

  test("a parent-side failure names the step with op -1", async () => {
    const h = start({ plan: plan([sh("true")], { cgroupProcs: ["/sys/fs/cgroup/pids/berth-no-such-group/cgroup.procs"] }), mode: "detach" });
    const err = await h.pid.then(() => undefined, (e: unknown) => e);
    assert.ok(err instanceof PlanOpError, String(err));
    assert.equal(err.opIndex, -1);
    assert.equal(err.opName, "cgroup-procs");
    assert.equal(err.errno, ENOENT);
    assert.equal(await h.exited, 1);
  });

  test("seccomp with no-new-privileges denies the filtered syscall", { skip: process.arch !== "x64" ? "the filter uses x86_64 syscall numbers" : false }, async () => {
    // ld [nr]; jeq mkdir(83) -> errno; jeq mkdirat(258) -> errno; allow; ret ERRNO(EPERM)
    const insns: [number, number, number, number][] = [
      [0x20, 0, 0, 0],
      [0x15, 2, 0, 83],
      [0x15, 1, 0, 258],
      [0x06, 0, 0, 0x7fff0000],
      [0x06, 0, 0, 0x00050001],
    ];
    const filter = Buffer.alloc(insns.length * 8);
    insns.forEach(([code, jt, jf, k], i) => {
      filter.writeUInt16LE(code, i * 8);
      filter.writeUInt8(jt, i * 8 + 2);
      filter.writeUInt8(jf, i * 8 + 3);
      filter.writeUInt32LE(k, i * 8 + 4);
    });
    for (const flags of [0, 1 /* SECCOMP_FILTER_FLAG_TSYNC */]) {
      const { out, status } = await run(plan([
        ...enterRootfs(),
        { op: "no-new-privileges" },
        { op: "seccomp", filter, flags },
        sh("mkdir /tmp/denied 2>/dev/null; echo rc=$?; grep -E '^(Seccomp|NoNewPrivs):' /proc/self/status"),
      ]));
      assert.equal(status, 0, out);
      assert.match(out, /^rc=1$/m);
      assert.match(out, /^NoNewPrivs:\s+1$/m);
      assert.match(out, /^Seccomp:\s+2$/m);
    }
  });

  test("rlimit, umask, mask-path, readonly-path, write-file and symlink take effect", async () => {
    mkdirSync(join(rootfs, "secret"), { recursive: true });
    writeFileSync(join(rootfs, "secret", "key"), "k");
    writeFileSync(join(rootfs, "secret-file"), "s");
    mkdirSync(join(rootfs, "ro"), { recursive: true });
    const { out, status } = await run(plan([
      ...enterRootfs(),
      { op: "mount", source: "tmpfs", target: "/run", fstype: "tmpfs", flags: MS_NOSUID | MS_NOEXEC, data: "mode=755" },
      { op: "mkdir", path: "/run/a/b", mode: 0o700 },
      { op: "touch", path: "/run/a/file", mode: 0o600 },
      { op: "write-file", path: "/run/a/file", data: "written" },
      { op: "symlink", target: "/run/a/file", path: "/run/link" },
      { op: "symlink", target: "/run/a/file", path: "/run/link" },
      { op: "mount", source: "tmpfs", target: "/dev", fstype: "tmpfs", flags: MS_NOSUID, data: "mode=755" },
      { op: "mknod", path: "/dev/null", mode: 0o20666, major: 1, minor: 3, uid: 0, gid: 0 },
      { op: "mask-path", path: "/secret" },
      { op: "mask-path", path: "/secret-file" },
      { op: "mask-path", path: "/does/not/exist" },
      { op: "readonly-path", path: "/ro" },
      { op: "readonly-path", path: "/does/not/exist" },
      { op: "rlimit", resource: 7 /* RLIMIT_NOFILE */, soft: 100n, hard: 200n },
      { op: "umask", mask: 0o077 },
      sh([
        "ulimit -n; ulimit -Hn",
        "cat /run/link; echo",
        "stat -c %a /run/a/b",
        "ls /secret | wc -l",
        "wc -c < /secret-file",
        "stat -c '%t,%T %a' /dev/null",
        "touch /ro/x 2>/dev/null; echo ro=$?",
        "touch /tmp/umask-probe; stat -c %a /tmp/umask-probe; rm /tmp/umask-probe",
      ].join("; ")),
    ]));
    assert.equal(status, 0, out);
    assert.deepEqual(out.trim().split("\n").map((l) => l.trim()), ["100", "200", "written", "700", "0", "0", "1,3 666", "ro=1", "600"]);
  });

  test("bind-device binds a host device; touch leaves an existing fifo alone instead of blocking on it", async () => {
    const mnt = join(rootfs, "mnt");
    mkdirSync(mnt, { recursive: true });
    const { out, status } = await run(plan([
      { op: "mount", source: "", target: "/", fstype: "", flags: MS_REC | MS_SLAVE, data: "" },
      { op: "mount", source: "tmpfs", target: mnt, fstype: "tmpfs", flags: 0, data: "" },
      { op: "bind-device", source: "/dev/zero", path: join(mnt, "zero") },
      { op: "bind-device", source: "/dev/zero", path: join(mnt, "zero") },
      { op: "mknod", path: join(mnt, "fifo"), mode: 0o10644, major: 0, minor: 0, uid: 0, gid: 0 },
      { op: "touch", path: join(mnt, "fifo"), mode: 0o644 },
      ...enterRootfs(),
      sh("head -c 4 /mnt/zero | od -An -tx1; stat -c %F /mnt/fifo"),
    ]));
    assert.equal(status, 0, out);
    assert.deepEqual(out.trim().split("\n").map((l) => l.trim()), ["00 00 00 00", "fifo"]);
    assert.equal(existsSync(join(mnt, "zero")), false, "the tmpfs stayed in the container's mount namespace");
  });

  test("setup-console without a console socket relays the pty in --wait mode", async () => {
    const { out, status } = await run(plan([
      ...enterRootfs(),
      { op: "mount", source: "tmpfs", target: "/dev", fstype: "tmpfs", flags: MS_NOSUID, data: "mode=755" },
      { op: "mkdir", path: "/dev/pts", mode: 0o755 },
      { op: "mount", source: "devpts", target: "/dev/pts", fstype: "devpts", flags: MS_NOSUID | MS_NOEXEC, data: "newinstance,ptmxmode=0666,mode=0620" },
      { op: "symlink", target: "pts/ptmx", path: "/dev/ptmx" },
      { op: "setup-console", rows: 30, cols: 100 },
      sh("tty; stty size; echo done"),
    ]));
    assert.equal(status, 0, out);
    assert.deepEqual(out.replace(/\r/g, "").trim().split("\n"), ["/dev/pts/0", "30 100", "done"]);
  });

  test("set-user hands the pty to the new uid so it can reopen /proc/self/fd/1, as runc does", async () => {
    const { out, status } = await run(plan([
      ...enterRootfs(),
      { op: "mount", source: "tmpfs", target: "/dev", fstype: "tmpfs", flags: MS_NOSUID, data: "mode=755" },
      { op: "mknod", path: "/dev/null", mode: 0o20666, major: 1, minor: 3, uid: 0, gid: 0 },
      { op: "mkdir", path: "/dev/pts", mode: 0o755 },
      { op: "mount", source: "devpts", target: "/dev/pts", fstype: "devpts", flags: MS_NOSUID | MS_NOEXEC, data: "newinstance,ptmxmode=0666,mode=0620" },
      { op: "symlink", target: "pts/ptmx", path: "/dev/ptmx" },
      { op: "setup-console", rows: 0, cols: 0 },
      { op: "set-user", uid: 1000, gid: 1000, additionalGids: [] },
      sh("stat -L -c %u /proc/self/fd/1; echo reopened > /proc/self/fd/1"),
    ]));
    assert.equal(status, 0, out);
    assert.deepEqual(out.replace(/\r/g, "").trim().split("\n"), ["1000", "reopened"]);
  });

  test("the --wait pty relay carries stdin to the container", async () => {
    const h = start({
      plan: plan([
        ...enterRootfs(),
        { op: "mount", source: "tmpfs", target: "/dev", fstype: "tmpfs", flags: MS_NOSUID, data: "mode=755" },
        { op: "mkdir", path: "/dev/pts", mode: 0o755 },
        { op: "mount", source: "devpts", target: "/dev/pts", fstype: "devpts", flags: MS_NOSUID | MS_NOEXEC, data: "newinstance,ptmxmode=0666,mode=0620" },
        { op: "symlink", target: "pts/ptmx", path: "/dev/ptmx" },
        { op: "setup-console", rows: 0, cols: 0 },
        sh("stty -echo; echo ready; read line; echo got:$line"),
      ]),
      mode: "wait",
      stdio: ["pipe", "pipe", "pipe"],
    });
    let out = "";
    h.process.stdout?.setEncoding("utf8").on("data", (c: string) => {
      out += c;
      if (c.includes("ready")) h.process.stdin?.write("hello\n");
    });
    assert.equal(await h.exited, 0);
    assert.deepEqual(out.replace(/\r/g, "").trim().split("\n"), ["ready", "got:hello"]);
  });

  test("setup-console in --detach mode without a console socket fails with ENOTCONN", async () => {
    const h = start({
      plan: plan([
        ...enterRootfs(),
        { op: "mount", source: "devpts", target: "/dev/pts", fstype: "devpts", flags: 0, data: "newinstance,ptmxmode=0666", optional: true },
        { op: "mkdir", path: "/dev/pts", mode: 0o755 },
        { op: "mount", source: "devpts", target: "/dev/pts", fstype: "devpts", flags: 0, data: "newinstance,ptmxmode=0666" },
        { op: "setup-console", rows: 0, cols: 0 },
        sh("true"),
      ]),
      mode: "detach",
    });
    const err = await h.created.then(() => undefined, (e: unknown) => e);
    assert.ok(err instanceof PlanOpError, String(err));
    // /dev/ptmx in the busybox rootfs is missing, or there is no console socket: either way named.
    assert.equal(err.opName, "setup-console");
  });

  test("setup-console sends the pty master over the console socket as runc does", async () => {
    const nativeDir = fileURLToPath(new URL("../../../../native/", import.meta.url));
    execFileSync("make", ["-s", "-C", nativeDir, "build/console-recv"], { stdio: "ignore" });
    const socketPath = join(dir, "console.sock");
    const recv = spawn(join(nativeDir, "build/console-recv"), [socketPath], { stdio: ["ignore", "pipe", "inherit"] });
    try {
      let got = "";
      recv.stdout.setEncoding("utf8").on("data", (c: string) => { got += c; });
      const recvExit = new Promise<number | null>((r) => recv.on("exit", (code) => r(code)));
      for (let i = 0; i < 100 && !existsSync(socketPath); i++) await new Promise((r) => setTimeout(r, 20));
      const { status } = await run(plan([
        { op: "connect-console-socket", path: socketPath },
        ...enterRootfs(),
        { op: "mount", source: "tmpfs", target: "/dev", fstype: "tmpfs", flags: MS_NOSUID, data: "mode=755" },
        { op: "mkdir", path: "/dev/pts", mode: 0o755 },
        { op: "mount", source: "devpts", target: "/dev/pts", fstype: "devpts", flags: MS_NOSUID | MS_NOEXEC, data: "newinstance,ptmxmode=0666,mode=0620" },
        { op: "symlink", target: "pts/ptmx", path: "/dev/ptmx" },
        { op: "setup-console", rows: 0, cols: 0 },
        sh("tty; echo via-socket"),
      ]));
      assert.equal(status, 0);
      assert.equal(await recvExit, 0);
      assert.deepEqual(got.replace(/\r/g, "").trim().split("\n"), ["name=/dev/ptmx", "/dev/pts/0", "via-socket"]);
    } finally {
      if (recv.exitCode === null) recv.kill("SIGKILL");
    }
  });

  test("exec joins a container's user namespace first and becomes its root", async () => {
    const container = start({
      plan: plan([...enterRootfs(), sh("echo ready; exec sleep 60")], {
        cloneFlags: CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWUTS | CLONE_NEWIPC,
        uidMappings: [{ containerId: 0, hostId: 300000, size: 65536 }],
        gidMappings: [{ containerId: 0, hostId: 300000, size: 65536 }],
      }),
      mode: "wait",
    });
    await new Promise<void>((resolve) => {
      container.process.stdout?.setEncoding("utf8").on("data", (c: string) => { if (c.includes("ready")) resolve(); });
    });
    const cpid = await container.pid;
    await waitForComm(cpid, "sleep");
    const ns = (name: string, nstype: number) => ({ nstype, path: `/proc/${cpid}/ns/${name}` });
    const exec = await run({
      joinNamespaces: [ns("user", CLONE_NEWUSER), ns("ipc", CLONE_NEWIPC), ns("uts", CLONE_NEWUTS), ns("pid", CLONE_NEWPID), ns("mnt", CLONE_NEWNS)],
      cloneFlags: 0,
      uidMappings: [],
      gidMappings: [],
      cgroupProcs: [],
      execFifo: "",
      ops: [{ op: "chdir", path: "/" }, sh("id -u; cat /proc/self/uid_map; cat /proc/1/comm")],
    });
    assert.equal(exec.status, 0, exec.err);
    const lines = exec.out.trim().split("\n").map((l) => l.trim().split(/\s+/).join(" "));
    assert.deepEqual(lines, ["0", "0 300000 65536", "sleep"]);
    process.kill(cpid, "SIGKILL");
    assert.equal(await container.exited, 128 + 9);
  });

  test("a process joining a container cannot be inspected through /proc by the container's processes", async () => {
    // CVE-2019-5736: until execve, /proc/<pid>/exe of the joining process is berth-init on
    // the host. It is non-dumpable, so a same-uid process without CAP_SYS_PTRACE is refused.
    const CAP_SYS_PTRACE = 19n;
    // Only caps we hold (this machine's bounding set lacks CAP_SYS_RESOURCE).
    const held = BigInt(`0x${readFileSync("/proc/self/status", "utf8").match(/^CapPrm:\s*([0-9a-f]+)$/m)?.[1] ?? "0"}`);
    const noPtrace = held & ~(1n << CAP_SYS_PTRACE);
    const caps: Op = { op: "capabilities", bounding: noPtrace, effective: noPtrace, permitted: noPtrace, inheritable: 0n, ambient: 0n };
    const container = start({ plan: plan([...enterRootfs(), sh("echo ready; exec sleep 60")]), mode: "wait" });
    await new Promise<void>((resolve) => {
      container.process.stdout?.setEncoding("utf8").on("data", (c: string) => { if (c.includes("ready")) resolve(); });
    });
    const cpid = await container.pid;
    const joins = [
      { nstype: CLONE_NEWIPC, path: `/proc/${cpid}/ns/ipc` },
      { nstype: CLONE_NEWUTS, path: `/proc/${cpid}/ns/uts` },
      { nstype: CLONE_NEWPID, path: `/proc/${cpid}/ns/pid` },
      { nstype: CLONE_NEWNS, path: `/proc/${cpid}/ns/mnt` },
    ];
    const execPlan = (ops: Op[]): Plan => ({ joinNamespaces: joins, cloneFlags: 0, uidMappings: [], gidMappings: [], cgroupProcs: [], execFifo: "", ops });
    let probe = "";
    const target = await run(execPlan([caps, { op: "sync", phase: "probe" }, sh("true")]), async (_phase, hostPid) => {
      const nspid = readFileSync(`/proc/${hostPid}/status`, "utf8").match(/^NSpid:.*\s(\d+)$/m)?.[1];
      assert.ok(nspid !== undefined);
      const r = await run(execPlan([caps, sh(`readlink /proc/${nspid}/exe; echo rc=$?; readlink /proc/$$/exe`)]));
      probe = r.out + r.err;
      return new Uint8Array();
    });
    assert.equal(target.status, 0, String(target.failure));
    const lines = probe.trim().split("\n");
    assert.deepEqual(lines, ["rc=1", "/bin/busybox"]);
    process.kill(cpid, "SIGKILL");
    await container.exited;
  });
});
