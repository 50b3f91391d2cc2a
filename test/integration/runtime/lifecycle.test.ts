import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { spawn } from "node:child_process";
import { BERTH_RUNTIME, busyboxRootfs, cli, makeBundle, uniqueId, sh, type TempBundle } from "../../helpers/bundle.js";

function alive(pid: number): boolean {
  try {
    const st = readFileSync(`/proc/${pid}/stat`, "utf8");
    return !/\) [ZX] /.test(st);
  } catch {
    return false;
  }
}

async function until(pred: () => boolean, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error("timed out waiting");
    await new Promise((r) => setTimeout(r, 20));
  }
}

function withContainer(t: { after: (fn: () => void) => void }, args: string[]): { b: TempBundle; id: string; rt: (...a: string[]) => ReturnType<typeof cli> } {
  const b = makeBundle((s) => (s.process.args = args));
  const id = uniqueId("life");
  const rt = (...a: string[]) => cli(["--root", b.root, ...a]);
  t.after(() => {
    rt("delete", "--force", id);
    b.cleanup();
  });
  return { b, id, rt };
}

test("berth-runtime create/state/start/kill/delete follow the OCI lifecycle", async (t) => {
  const { b, id, rt } = withContainer(t, ["sleep", "600"]);
  const pidFile = join(b.dir, "pid");
  const c = rt("create", "--bundle", b.dir, "--pid-file", pidFile, id);
  assert.equal(c.status, 0, c.stderr);
  const pid = Number(readFileSync(pidFile, "utf8"));
  assert.ok(pid > 1 && alive(pid));
  const s1 = JSON.parse(rt("state", id).stdout);
  assert.deepEqual({ ...s1, created: undefined, owner: undefined, rootfs: undefined }, {
    ociVersion: "1.2.0", id, status: "created", pid, bundle: b.dir, created: undefined, owner: undefined, rootfs: undefined,
  });
  // Before start the user process has not executed: it is still berth-init, not sleep.
  assert.notEqual(readFileSync(`/proc/${pid}/comm`, "utf8").trim(), "sleep");
  const d = rt("delete", id);
  assert.notEqual(d.status, 0);
  assert.match(d.stderr, /status is "created", not "stopped"/);
  assert.equal(rt("start", id).status, 0);
  assert.equal(JSON.parse(rt("state", id).stdout).status, "running");
  await until(() => readFileSync(`/proc/${pid}/comm`, "utf8").trim() === "sleep");
  const again = rt("start", id);
  assert.notEqual(again.status, 0);
  assert.match(again.stderr, /status is "running", not "created"/);
  assert.equal(rt("kill", id, "KILL").status, 0);
  await until(() => !alive(pid));
  const stopped = JSON.parse(rt("state", id).stdout);
  assert.equal(stopped.status, "stopped");
  assert.equal(stopped.pid, undefined);
  const k = rt("kill", id);
  assert.notEqual(k.status, 0);
  assert.equal(rt("delete", id).status, 0);
  assert.equal(existsSync(join(b.root, id)), false);
  const gone = rt("state", id);
  assert.notEqual(gone.status, 0);
  assert.match(gone.stderr, /does not exist/);
  assert.notEqual(rt("delete", id).status, 0);
  assert.equal(rt("delete", "--force", id).status, 0);
});

test("berth-runtime delete --force kills a running container and removes its cgroup", async (t) => {
  const { b, id, rt } = withContainer(t, ["sleep", "600"]);
  assert.equal(rt("run", "-d", "-b", b.dir, "--pid-file", join(b.dir, "pid"), id).status, 0);
  const pid = Number(readFileSync(join(b.dir, "pid"), "utf8"));
  assert.ok(alive(pid));
  const cg = `/sys/fs/cgroup/pids/berth-runtime/${id}`;
  assert.ok(existsSync(cg));
  const d = rt("delete", "--force", id);
  assert.equal(d.status, 0, d.stderr);
  assert.equal(alive(pid), false);
  assert.equal(existsSync(cg), false);
  assert.equal(existsSync(join(b.root, id)), false);
});

test("berth-runtime run returns the container's exit status and prints its output", () => {
  const r = sh("echo out; echo err >&2; exit 7");
  assert.equal(r.status, 7);
  assert.equal(r.stdout, "out\n");
  assert.equal(r.stderr, "err\n");
});

test("berth-runtime run reports a missing executable as a one-line error", () => {
  const r = sh("", (s) => (s.process.args = ["/no/such/binary"]));
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /\/no\/such\/binary/);
  assert.equal(r.stderr.trim().split("\n").length, 1);
});

test("berth-runtime list, ps, pause, resume and events --stats report the container", async (t) => {
  const { b, id, rt } = withContainer(t, ["sh", "-c", "sleep 600 & sleep 600 & wait"]);
  assert.equal(rt("run", "--detach", "--bundle", b.dir, id).status, 0);
  const list = rt("list");
  assert.match(list.stdout, /^ID\s+PID\s+STATUS\s+BUNDLE\s+CREATED\s+OWNER/);
  assert.match(list.stdout, new RegExp(`${id}\\s+\\d+\\s+running\\s+${b.dir}`));
  assert.equal(rt("list", "-q").stdout, `${id}\n`);
  const json = JSON.parse(rt("list", "--format", "json").stdout);
  assert.equal(json[0].id, id);
  assert.equal(json[0].status, "running");
  assert.equal(json[0].rootfs, busyboxRootfs());
  await until(() => JSON.parse(rt("ps", "--format", "json", id).stdout).length === 3);
  const pids: number[] = JSON.parse(rt("ps", "--format", "json", id).stdout);
  const table = rt("ps", id).stdout;
  assert.match(table.split("\n")[0] ?? "", /PID/);
  for (const p of pids) assert.match(table, new RegExp(`\\b${p}\\b`));
  assert.equal(rt("pause", id).status, 0);
  assert.equal(JSON.parse(rt("state", id).stdout).status, "paused");
  const state = readFileSync(`/proc/${pids[0]}/stat`, "utf8");
  assert.ok(state.length > 0);
  assert.equal(readFileSync(`/sys/fs/cgroup/freezer/berth-runtime/${id}/freezer.state`, "utf8").trim(), "FROZEN");
  assert.notEqual(rt("pause", id).status, 0);
  assert.equal(rt("resume", id).status, 0);
  assert.equal(JSON.parse(rt("state", id).stdout).status, "running");
  const ev = JSON.parse(rt("events", "--stats", id).stdout);
  assert.equal(ev.type, "stats");
  assert.equal(ev.id, id);
  assert.equal(ev.data.pids.current, 3);
  assert.ok(ev.data.memory.usage.usage > 0);
  assert.equal(rt("kill", "--all", id, "KILL").status, 0);
  await until(() => JSON.parse(rt("state", id).stdout).status === "stopped");
});

test("berth-runtime exec runs a process inside a running container", async (t) => {
  const { b, id, rt } = withContainer(t, ["sleep", "600"]);
  assert.equal(rt("run", "-d", "-b", b.dir, id).status, 0);
  const e = rt("exec", "-e", "FOO=bar", "--cwd", "/tmp", id, "sh", "-c", "echo $FOO $(pwd) $(hostname); ps -o pid,comm | grep -c sleep; exit 3");
  assert.equal(e.status, 3, e.stderr);
  assert.equal(e.stdout, "bar /tmp runc\n1\n");
  const u = rt("exec", "-u", "65534:65534", id, "id");
  assert.equal(u.stdout.trim(), "uid=65534(nobody) gid=65534(nogroup)");
  const g = rt("exec", "-u", "65534", "-g", "7", id, "id");
  assert.equal(g.stdout.trim(), "uid=65534(nobody) gid=0(root) groups=7");
  const pidFile = join(b.dir, "exec.pid");
  const d = rt("exec", "--detach", "--pid-file", pidFile, id, "sleep", "300");
  assert.equal(d.status, 0, d.stderr);
  const epid = Number(readFileSync(pidFile, "utf8"));
  assert.ok(alive(epid));
  const pids: number[] = JSON.parse(rt("ps", "--format", "json", id).stdout);
  assert.ok(pids.includes(epid));
  const bad = rt("exec", id, "/nope");
  assert.notEqual(bad.status, 0);
  assert.match(bad.stderr, /nope/);
});

test("berth-runtime exec --process runs a process.json", (t) => {
  const { b, id, rt } = withContainer(t, ["sleep", "600"]);
  assert.equal(rt("run", "-d", "-b", b.dir, id).status, 0);
  const proc = { args: ["sh", "-c", "echo $A; id -u"], env: ["A=from-process-json", "PATH=/bin"], cwd: "/", user: { uid: 12, gid: 12 } };
  const file = join(b.dir, "process.json");
  writeFileSync(file, JSON.stringify(proc));
  const e = rt("exec", "--process", file, id);
  assert.equal(e.status, 0, e.stderr);
  assert.equal(e.stdout, "from-process-json\n12\n");
});

test("berth-runtime run forwards SIGTERM to the container and exits with its status", async (t) => {
  const b = makeBundle((s) => (s.process.args = ["sh", "-c", "trap 'echo got-term; exit 5' TERM; echo ready; sleep 600 & wait"]));
  const id = uniqueId("sig");
  t.after(() => {
    cli(["--root", b.root, "delete", "--force", id]);
    b.cleanup();
  });
  const child = spawn(process.execPath, [BERTH_RUNTIME, "--root", b.root, "run", "-b", b.dir, id], { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  child.stdout.setEncoding("utf8").on("data", (d: string) => (out += d));
  const exited = new Promise<number | null>((r) => child.on("exit", (code) => r(code)));
  await until(() => out.includes("ready\n"), 10_000);
  child.kill("SIGTERM");
  assert.equal(await exited, 5);
  assert.equal(out, "ready\ngot-term\n");
  assert.equal(existsSync(join(b.root, id)), false);
});
