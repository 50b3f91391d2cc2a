import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { busyboxRootfs, cli, makeBundle, uniqueId, type SpecJson } from "../../helpers/bundle.js";

/** Host mounts under the rootfs or the bundle (tests in parallel mount elsewhere). */
function mountsUnder(...dirs: string[]): string[] {
  return readFileSync("/proc/self/mountinfo", "utf8").trim().split("\n").filter((l) => dirs.some((d) => (l.split(" ")[4] ?? "").startsWith(d)));
}

/** Create a container from a broken config and check the one-line error and that nothing is left. */
function failsCleanly(mutate: (s: SpecJson) => void, message: RegExp, prepare?: (dir: string) => void): void {
  const b = makeBundle(mutate);
  const id = uniqueId("bad");
  try {
    prepare?.(b.dir);
    const rootfs = busyboxRootfs();
    const before = mountsUnder(rootfs, b.dir);
    const r = cli(["--root", b.root, "create", "-b", b.dir, id]);
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, message);
    assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
    assert.equal(existsSync(join(b.root, id)), false, "state dir left behind");
    for (const c of ["pids", "memory", "cpu", "freezer", "devices"]) {
      assert.equal(existsSync(`/sys/fs/cgroup/${c}/berth-runtime/${id}`), false, `${c} cgroup left behind`);
    }
    // A process left in the cgroup would have kept its directory: the checks above cover processes.
    assert.deepEqual(mountsUnder(rootfs, b.dir), before, "mounts left behind");
    assert.equal(cli(["--root", b.root, "list", "-q"]).stdout, "");
  } finally {
    cli(["--root", b.root, "delete", "--force", id]);
    b.cleanup();
  }
}

test("malformed config.json is a clear error", () => {
  failsCleanly(() => {}, /^berth-runtime: invalid config.json: .*JSON at position 2$/m, (dir) => writeFileSync(join(dir, "config.json"), "{ nope"));
});

test("a missing config.json is a clear error", () => {
  failsCleanly(() => {}, /read config.json in bundle ".*": ENOENT/, (dir) => rmSync(join(dir, "config.json")));
});

test("a missing rootfs is a clear error", () => {
  failsCleanly((s) => (s.root.path = "/nonexistent/rootfs"), /invalid config.json: root.path "\/nonexistent\/rootfs" does not exist/);
});

test("an unknown namespace type is a clear error", () => {
  failsCleanly((s) => s.linux.namespaces.push({ type: "bogus" }), /invalid config.json: linux.namespaces\[6\].type must be one of .*got "bogus"/);
});

test("an unknown capability is an error", () => {
  failsCleanly((s) => s.process.capabilities.bounding.push("CAP_BOGUS"), /process.capabilities.bounding\[3\] names an unknown capability "CAP_BOGUS"/);
});

test("a relative mount destination is an error", () => {
  failsCleanly((s) => s.mounts.push({ destination: "rel", type: "tmpfs", source: "tmpfs" }), /mounts\[7\].destination must be an absolute path/);
});

test("a mount the kernel refuses fails create and leaves no mounts, cgroups or processes", () => {
  failsCleanly((s) => s.mounts.push({ destination: "/x", type: "nosuchfs", source: "none" }), /mount.*\/x.*No such device/);
});

test("a missing bind mount source is an error naming the field", () => {
  failsCleanly((s) => s.mounts.push({ destination: "/x", type: "bind", source: "/no/such/dir", options: ["rbind"] }), /mounts\[7\].source "\/no\/such\/dir" does not exist/);
});

test("an executable missing from the rootfs is an error", () => {
  failsCleanly((s) => (s.process.args = ["nosuchcmd"]), /process.args\[0\] "nosuchcmd": executable file not found in \$PATH/);
});

test("--log-format json writes the error as a JSON line to --log", (t) => {
  const b = makeBundle((s) => s.linux.namespaces.push({ type: "bogus" }));
  t.after(() => b.cleanup());
  const log = join(b.dir, "log.json");
  const r = cli(["--root", b.root, "--log", log, "--log-format", "json", "create", "-b", b.dir, uniqueId("log")]);
  assert.notEqual(r.status, 0);
  const line = JSON.parse(readFileSync(log, "utf8").trim().split("\n").at(-1) ?? "");
  assert.equal(line.level, "error");
  assert.match(line.msg, /linux.namespaces\[6\].type/);
  assert.ok(!Number.isNaN(Date.parse(line.time)));
});

test("an existing container id and unknown commands and flags are errors", (t) => {
  const b = makeBundle((s) => (s.process.args = ["sleep", "600"]));
  const id = uniqueId("dup");
  t.after(() => {
    cli(["--root", b.root, "delete", "--force", id]);
    b.cleanup();
  });
  assert.equal(cli(["--root", b.root, "create", "-b", b.dir, id]).status, 0);
  const dup = cli(["--root", b.root, "create", "-b", b.dir, id]);
  assert.notEqual(dup.status, 0);
  assert.match(dup.stderr, /a container with this id exists/);
  assert.equal(JSON.parse(cli(["--root", b.root, "state", id]).stdout).status, "created");
  assert.match(cli(["--root", b.root, "frobnicate"]).stderr, /unknown command "frobnicate"/);
  assert.match(cli(["--root", b.root, "create", "--bogus", id]).stderr, /flag provided but not defined: -bogus/);
  assert.match(cli(["--root", b.root, "state", "../etc"]).stderr, /check container id/);
});
