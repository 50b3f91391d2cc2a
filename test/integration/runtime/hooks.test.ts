import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, readlinkSync, rmSync, chmodSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cli, makeBundle, uniqueId } from "../../helpers/bundle.js";

function hook(dir: string, name: string) {
  return { path: "/bin/sh", args: ["sh", "-c", `cat > ${dir}/${name}.json`], env: ["PATH=/bin:/usr/bin"] };
}

function read(dir: string, name: string): { id: string; status: string; pid?: number; bundle: string } {
  return JSON.parse(readFileSync(join(dir, `${name}.json`), "utf8"));
}

test("hooks of every kind run at their point of the lifecycle with the state on stdin", (t) => {
  const out = mkdtempSync(join(tmpdir(), "berth-hooks-"));
  chmodSync(out, 0o777);
  const id = uniqueId("hooks");
  const b = makeBundle((s) => {
    s.process.args = ["sleep", "600"];
    s.mounts.push({ destination: "/hooks", type: "bind", source: out, options: ["rbind"] });
    s.hooks = {
      prestart: [hook(out, "prestart")],
      createRuntime: [hook(out, "createRuntime")],
      // Runs in the container's namespaces before pivot_root: the host paths are still there.
      createContainer: [{ path: "/bin/sh", args: ["sh", "-c", `cat > ${out}/createContainer.json; readlink /proc/self/ns/uts > ${out}/createContainer.uts`] }],
      // Runs inside the container after pivot_root: the bind mount is at /hooks.
      startContainer: [{ path: "/bin/sh", args: ["sh", "-c", "cat > /hooks/startContainer.json; hostname > /hooks/startContainer.hostname"] }],
      poststart: [hook(out, "poststart")],
      poststop: [hook(out, "poststop")],
    };
  });
  t.after(() => {
    cli(["--root", b.root, "delete", "--force", id]);
    b.cleanup();
    rmSync(out, { recursive: true, force: true });
  });
  const c = cli(["--root", b.root, "create", "-b", b.dir, "--pid-file", join(b.dir, "pid"), id]);
  assert.equal(c.status, 0, c.stderr);
  const pid = Number(readFileSync(join(b.dir, "pid"), "utf8"));
  assert.deepEqual(readdirSync(out).sort(), ["createContainer.json", "createContainer.uts", "createRuntime.json", "prestart.json"]);
  for (const name of ["prestart", "createRuntime", "createContainer"]) {
    const st = read(out, name);
    assert.equal(st.id, id);
    assert.equal(st.pid, pid);
    assert.equal(st.bundle, b.dir);
    assert.equal(st.status, "creating");
  }
  // createContainer ran in the container's namespaces, not the host's.
  assert.equal(readFileSync(join(out, "createContainer.uts"), "utf8").trim(), readlinkSync(`/proc/${pid}/ns/uts`));
  assert.notEqual(readlinkSync(`/proc/${pid}/ns/uts`), readlinkSync("/proc/self/ns/uts"));
  assert.equal(cli(["--root", b.root, "start", id]).status, 0);
  assert.equal(read(out, "poststart").status, "running");
  assert.equal(read(out, "poststart").pid, pid);
  assert.equal(read(out, "startContainer").id, id);
  assert.equal(readFileSync(join(out, "startContainer.hostname"), "utf8"), "runc\n");
  assert.equal(existsSync(join(out, "poststop.json")), false);
  assert.equal(cli(["--root", b.root, "kill", id, "KILL"]).status, 0);
  for (let i = 0; i < 500 && JSON.parse(cli(["--root", b.root, "state", id]).stdout).status !== "stopped"; i++) {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
  }
  assert.equal(cli(["--root", b.root, "delete", id]).status, 0);
  const post = read(out, "poststop");
  assert.equal(post.status, "stopped");
  assert.equal(post.id, id);
});

test("a failing prestart hook aborts create and leaves nothing behind", (t) => {
  const id = uniqueId("hookfail");
  const b = makeBundle((s) => {
    s.process.args = ["sleep", "600"];
    s.hooks = { prestart: [{ path: "/bin/sh", args: ["sh", "-c", "echo broken hook >&2; exit 3"] }] };
  });
  t.after(() => {
    cli(["--root", b.root, "delete", "--force", id]);
    b.cleanup();
  });
  const c = cli(["--root", b.root, "create", "-b", b.dir, id]);
  assert.notEqual(c.status, 0);
  assert.match(c.stderr, /prestart hook "\/bin\/sh": exit status 3: broken hook/);
  assert.equal(existsSync(join(b.root, id)), false);
  assert.equal(existsSync(`/sys/fs/cgroup/memory/berth-runtime/${id}`), false);
  assert.equal(existsSync(`/sys/fs/cgroup/pids/berth-runtime/${id}`), false);
});

test("failing poststart and poststop hooks are warnings, not errors", (t) => {
  const id = uniqueId("hookwarn");
  const b = makeBundle((s) => {
    s.process.args = ["sleep", "600"];
    s.hooks = { poststart: [{ path: "/bin/false" }], poststop: [{ path: "/bin/false" }] };
  });
  t.after(() => {
    cli(["--root", b.root, "delete", "--force", id]);
    b.cleanup();
  });
  const r = cli(["--root", b.root, "run", "-d", "-b", b.dir, id]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /level=warning.*poststart hook .*\/bin\/false.*: exit status 1/);
  assert.equal(JSON.parse(cli(["--root", b.root, "state", id]).stdout).status, "running");
  const d = cli(["--root", b.root, "delete", "--force", id]);
  assert.equal(d.status, 0);
  assert.match(d.stderr, /level=warning.*poststop hook .*\/bin\/false.*: exit status 1/);
  assert.equal(existsSync(join(b.root, id)), false);
});
