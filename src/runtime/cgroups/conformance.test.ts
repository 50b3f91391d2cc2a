import { after } from "node:test";
import * as fs from "node:fs";
import { FakeCgroupfs, type FakeLayoutKind } from "./fake-cgroupfs.js";
import { detectCgroupLayout } from "./layout.js";
import { openCgroupManager } from "./manager.js";
import { type CgroupHarness, type TestProcess, cgroupConformanceSuite } from "./testsuite.js";

/** The conformance suite against the fake cgroupfs, in each layout. Fake pids never collide with real ones' use. */
function fakeHarness(kind: FakeLayoutKind): CgroupHarness {
  const fake = FakeCgroupfs.create(kind);
  after(() => fake.cleanup());
  const programs: { dir: string; program: Uint8Array }[] = [];
  const opts = {
    root: fake.root, mountinfo: fake.mountinfo, procCgroup: fake.procCgroup, fs: fake,
    attachDeviceFilter: (dir: string, program: Uint8Array) => void programs.push({ dir, program }),
  };
  const layout = detectCgroupLayout(opts);
  let n = 0;
  let nextPid = 700000;
  const exited = new Set<number>();
  return {
    name: `fake ${kind}`,
    layout: () => layout,
    open: (path, o = {}) => openCgroupManager(path, { ...opts, layout, ...o }),
    uniqueName: () => `berth-test-${process.pid}-${n++}`,
    spawn: async (workload) => {
      const pid = nextPid++;
      let done!: () => void;
      const p: TestProcess = {
        pid,
        exited: new Promise<void>((r) => (done = r)),
        start() {
          if (workload !== "hog") return;
          // The kernel's answer to an unbounded allocation under a limit.
          setTimeout(() => {
            fake.processExit(pid, true);
            exited.add(pid);
            done();
          }, 5);
        },
        kill() {
          setTimeout(() => {
            fake.processExit(pid);
            exited.add(pid);
            done();
          }, 20);
        },
      };
      return p;
    },
    progresses: async (_p, mgr) => !mgr.frozen(),
    alive: (p) => !exited.has(p.pid),
    exists: (p) => fs.existsSync(p),
    mkdir: (p) => fake.mkdir(p),
    read: (p) => fs.readFileSync(p, "utf8"),
    blockDevice: () => ({ major: 8, minor: 0 }),
    swapless: true,
    devicePrograms: () => programs,
  };
}

for (const kind of ["v1", "hybrid", "v2"] as const) cgroupConformanceSuite(fakeHarness(kind));
