import assert from "node:assert/strict";
import { afterEach, test } from "node:test";
import { kindOf } from "../../shared/errors.js";
import { FakeCgroupfs, type FakeLayoutKind } from "./fake-cgroupfs.js";
import { openCgroupManager } from "./manager.js";

/** The freeze/thaw state machine against the fake's FREEZING and cgroup.events lag. */
let fake: FakeCgroupfs | undefined;
afterEach(() => fake?.cleanup());

function open(kind: FakeLayoutKind, lag: number, freezeTimeoutMs = 2000) {
  fake = FakeCgroupfs.create(kind);
  fake.freezeLag = lag;
  const mgr = openCgroupManager("/f", {
    root: fake.root, mountinfo: fake.mountinfo, procCgroup: fake.procCgroup, fs: fake, freezeTimeoutMs,
  });
  mgr.create();
  mgr.apply(4242);
  fake.writes.length = 0;
  return { mgr, f: fake };
}

test("v1 freeze() rewrites FROZEN while the kernel says FREEZING, then reports frozen", async () => {
  const { mgr, f } = open("hybrid", 3);
  let settled = false;
  const p = mgr.freeze().then(() => (settled = true));
  assert.equal(settled, false);
  await p;
  assert.equal(mgr.frozen(), true);
  assert.deepEqual(f.writesUnder("freezer/f/"), Array(4).fill("freezer.state=FROZEN"));
  mgr.thaw();
  assert.equal(mgr.frozen(), false);
  assert.deepEqual(f.writesUnder("freezer/f/").at(-1), "freezer.state=THAWED");
});

test("v1 frozen() is false while the cgroup is still FREEZING", async () => {
  const { mgr, f } = open("v1", 1000, 100);
  f.writeFile(`${f.root}/freezer/f/freezer.state`, "FROZEN");
  assert.equal(mgr.frozen(), false);
});

test("v1 freeze() gives up after the timeout, thaws, and says so", async () => {
  const { mgr, f } = open("v1", 1_000_000, 60);
  await assert.rejects(mgr.freeze(), (err: unknown) => {
    assert.equal(kindOf(err), "unavailable");
    assert.equal((err as Error).message, 'freeze cgroup "/f": still freezing after 60 ms');
    return true;
  });
  assert.equal(f.writesUnder("freezer/f/").at(-1), "freezer.state=THAWED");
  assert.equal(mgr.frozen(), false);
});

test("v2 freeze() writes cgroup.freeze once and waits for cgroup.events frozen 1", async () => {
  const { mgr, f } = open("v2", 3);
  await mgr.freeze();
  assert.deepEqual(f.writesUnder("f/"), ["cgroup.freeze=1"]);
  assert.match(f.content("f/cgroup.events"), /^frozen 1$/m);
  assert.equal(mgr.frozen(), true);
  mgr.thaw();
  assert.deepEqual(f.writesUnder("f/"), ["cgroup.freeze=1", "cgroup.freeze=0"]);
  assert.equal(mgr.frozen(), false);
});

test("v2 freeze() that never settles undoes itself and fails", async () => {
  const { mgr, f } = open("v2", 1_000_000, 60);
  await assert.rejects(mgr.freeze(), { message: 'freeze cgroup "/f": not frozen after 60 ms' });
  assert.deepEqual(f.writesUnder("f/"), ["cgroup.freeze=1", "cgroup.freeze=0"]);
});

test("freeze() of a cgroup that was never created is not-found", async () => {
  fake = FakeCgroupfs.create("hybrid");
  const mgr = openCgroupManager("/nope", { root: fake.root, mountinfo: fake.mountinfo, procCgroup: fake.procCgroup, fs: fake });
  await assert.rejects(mgr.freeze(), (err: unknown) => kindOf(err) === "not-found");
  assert.equal(mgr.frozen(), false);
  assert.deepEqual(mgr.pids(), []);
});

test("apply() to a cgroup that was never created is failed-precondition and names the file", () => {
  fake = FakeCgroupfs.create("v2");
  const mgr = openCgroupManager("/nope", { root: fake.root, mountinfo: fake.mountinfo, procCgroup: fake.procCgroup, fs: fake });
  assert.throws(() => mgr.apply(123), (err: unknown) => {
    assert.equal(kindOf(err), "failed-precondition");
    assert.equal((err as Error).message, `add pid 123 to cgroup "/nope": open \`${fake?.root}/nope/cgroup.procs\`: no such file or directory`);
    return true;
  });
});
