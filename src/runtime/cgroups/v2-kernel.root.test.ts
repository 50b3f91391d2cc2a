import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { detectCgroupLayout, parseCgroupMounts } from "./layout.js";
import { openCgroupManager } from "./manager.js";
import { waitFor } from "./testsuite.js";

/**
 * The v2 code paths against a real cgroup2 kernel, on a host that is not pure v2: the
 * layout is restricted to this machine's cgroup2 mount (mountinfo with only that line),
 * so the manager runs exactly as on a pure v2 host whose only controller is what that
 * mount holds (here hugetlb). Core v2 features (cgroup.freeze, cgroup.events, cpu.stat,
 * cgroup.procs) need no controller.
 */
const cgroup2Line = fs
  .readFileSync("/proc/self/mountinfo", "utf8")
  .split("\n")
  .find((l) => parseCgroupMounts(l)[0]?.fstype === "cgroup2");

test("a v2-only view of the real cgroup2 mount: create, apply, freeze, thaw, stats, hugetlb, destroy", { skip: cgroup2Line === undefined ? "no cgroup2 mount on this host" : false }, async (t) => {
  const layout = detectCgroupLayout({ mountinfo: cgroup2Line ?? "", procCgroup: "0::/\n" });
  assert.equal(layout.mode, "v2");
  const unified = layout.unified;
  assert.ok(unified);
  const name = `berth-test-v2-${process.pid}`;
  const mgr = openCgroupManager(`/${name}`, { layout });
  const dir = join(unified.mountPoint, name);
  // The shell waits until it is inside, then spins.
  const child = spawn("sh", ["-c", "read go; exec sh -c 'while :; do :; done'"], { stdio: ["pipe", "ignore", "ignore"] });
  const exited = new Promise((r) => child.once("exit", r));
  t.after(async () => {
    try {
      mgr.thaw();
    } catch {
      // not created
    }
    if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) process.kill(child.pid, "SIGKILL");
    await exited;
    await mgr.destroy();
  });
  const pid = child.pid;
  assert.ok(pid !== undefined);

  mgr.create();
  assert.deepEqual(mgr.procsFiles(), [join(dir, "cgroup.procs")]);
  for (const c of unified.controllers) {
    assert.ok(fs.readFileSync(join(unified.mountPoint, "cgroup.subtree_control"), "utf8").split(/\s+/).includes(c), `${c} enabled`);
  }
  mgr.apply(pid);
  child.stdin.end("go\n");
  assert.deepEqual(mgr.pids(), [pid]);
  assert.match(fs.readFileSync(join(dir, "cgroup.events"), "utf8"), /^populated 1$/m);

  await waitFor(() => mgr.stats().cpu.usage.total > 0, "cpu.stat shows usage");
  await mgr.freeze();
  assert.equal(mgr.frozen(), true);
  assert.equal(fs.readFileSync(join(dir, "cgroup.freeze"), "utf8").trim(), "1");
  const frozenAt = mgr.stats().cpu.usage.total;
  await sleep(300);
  assert.equal(mgr.stats().cpu.usage.total, frozenAt, "no cpu time while frozen");
  mgr.thaw();
  assert.equal(mgr.frozen(), false);
  await waitFor(() => mgr.stats().cpu.usage.total > frozenAt, "cpu time after thaw");

  if (unified.controllers.includes("hugetlb")) {
    mgr.set({ hugepageLimits: [{ pageSize: "2MB", limit: 4 * 2 ** 21 }], unified: { "hugetlb.2MB.rsvd.max": "max" } });
    assert.equal(fs.readFileSync(join(dir, "hugetlb.2MB.max"), "utf8").trim(), String(4 * 2 ** 21));
    assert.equal(fs.readFileSync(join(dir, "hugetlb.2MB.rsvd.max"), "utf8").trim(), "max");
    assert.deepEqual(mgr.stats().hugetlb["2MB"], { usage: 0, max: 0, failcnt: 0 });
  }
  assert.throws(() => mgr.set({ memory: { limit: 2 ** 26 } }), /^BerthError: set memory: the memory controller is not available on this host$/);

  process.kill(pid, "SIGKILL");
  await mgr.destroy();
  assert.equal(fs.existsSync(dir), false);
});
