/**
 * The CgroupManager conformance suite (containerd's snapshotter testsuite idea): the same
 * observable behaviour checked against the fake cgroupfs in every layout (unit tests) and
 * against this machine's real cgroupfs (root tests). A harness supplies the environment.
 */
import assert from "node:assert/strict";
import { dirname, join } from "node:path";
import { describe, test, type TestContext } from "node:test";
import { BerthError, kindOf } from "../../shared/errors.js";
import type { CgroupManager } from "./cgroup-manager.js";
import type { CgroupLayout } from "./layout.js";
import { compileDeviceFilter } from "./devices-ebpf.js";
import type { CgroupLogger } from "./_write.js";
import { cpuSharesToWeight } from "./v2.js";

/** A process a test places in a cgroup. It waits until `start()` so it allocates inside. */
export interface TestProcess {
  readonly pid: number;
  /** Lets the process exec its workload (after `apply`: memory is charged where it allocates). */
  start(): void;
  /** Resolves once the process has exited. */
  readonly exited: Promise<void>;
  /** Kills it (real: SIGKILL by pid) without waiting. */
  kill(): void;
}

/** What the suite needs from an environment (fake or real cgroupfs). */
export interface CgroupHarness {
  readonly name: string;
  /** The layout the managers run on. */
  layout(): CgroupLayout;
  open(cgroupsPath: string, opts?: { logger?: CgroupLogger; destroyTimeoutMs?: number }): CgroupManager;
  /** A fresh cgroup name, unique to this run (e.g. "berth-test-<pid>-<n>"), without a slash. */
  uniqueName(): string;
  /** sleep: idles; busy: spins on a CPU; hog: allocates memory without bound. */
  spawn(workload: "sleep" | "busy" | "hog"): Promise<TestProcess>;
  /** Whether the process consumed CPU during a short window. */
  progresses(p: TestProcess, mgr: CgroupManager): Promise<boolean>;
  /** Whether a process is still alive. */
  alive(p: TestProcess): boolean;
  exists(path: string): boolean;
  /** mkdir of a cgroup directory as another agent would (systemd inside a container). */
  mkdir(path: string): void;
  read(path: string): string;
  /** A block device of this machine, for blkio/io rules. */
  blockDevice(): { major: number; minor: number };
  /** Whether memory.limit_in_bytes below usage must fail with EBUSY (no swap to reclaim into). */
  readonly swapless: boolean;
  /** eBPF device programs attached so far (a fake attacher's record); absent when they are real. */
  devicePrograms?(): readonly { readonly dir: string; readonly program: Uint8Array }[];
}

/** Registers the conformance tests for `h` with node:test. */
export function cgroupConformanceSuite(h: CgroupHarness): void {
  describe(`CgroupManager conformance: ${h.name}`, () => {
    /** A created manager plus processes, all cleaned up after the test even on failure. */
    const setup = async (t: TestContext, opts: { logger?: CgroupLogger; destroyTimeoutMs?: number; relative?: boolean } = {}) => {
      const name = h.uniqueName();
      const mgr = h.open(opts.relative === true ? name : `/${name}`, opts);
      const procs: TestProcess[] = [];
      t.after(async () => {
        try {
          if (mgr.frozen()) mgr.thaw();
        } catch {
          // the cgroup may be gone already
        }
        for (const p of procs) {
          if (h.alive(p)) p.kill();
          await p.exited;
        }
        await h.open(mgr.path).destroy();
      });
      mgr.create();
      const run = async (workload: "sleep" | "busy" | "hog") => {
        const p = await h.spawn(workload);
        procs.push(p);
        mgr.apply(p.pid);
        p.start();
        return p;
      };
      return { mgr, name, run };
    };
    const file = (mgr: CgroupManager, ctrl: string, v1: string, v2: string) => {
      const p = mgr.locate(ctrl);
      assert.ok(p, `controller ${ctrl} is placed`);
      return { path: join(p.dir, p.version === 1 ? v1 : v2), version: p.version };
    };
    const readBack = (mgr: CgroupManager, ctrl: string, v1: string, v2: string) => {
      const f = file(mgr, ctrl, v1, v2);
      return { value: h.read(f.path).trim(), version: f.version };
    };

    test("create() makes the cgroup in every hierarchy, idempotently", async (t) => {
      const { mgr, name } = await setup(t);
      mgr.create();
      const files = mgr.procsFiles();
      const hierarchies = h.layout().hierarchies.filter((x) => x.version === 2 || !x.controllers.every((c) => c.startsWith("name=") && c !== "name=systemd"));
      assert.equal(files.length, hierarchies.length);
      for (const f of files) {
        assert.ok(f.endsWith(`/${name}/cgroup.procs`), f);
        assert.ok(h.exists(f), `${f} exists`);
      }
    });

    test("apply() moves a process into every hierarchy and pids() lists it", async (t) => {
      const { mgr, run } = await setup(t);
      const p = await run("sleep");
      assert.deepEqual(mgr.pids(), [p.pid]);
      for (const f of mgr.procsFiles()) assert.ok(h.read(f).split("\n").includes(String(p.pid)), `${f} lists ${p.pid}`);
    });

    test("set() applies memory, cpu, cpuset and pids limits that read back from the files", async (t) => {
      const { mgr } = await setup(t);
      mgr.set({
        memory: { limit: 64 * 2 ** 20, reservation: 32 * 2 ** 20 },
        cpu: { shares: 512, quota: 50000, period: 100000, cpus: "0", mems: "0" },
        pids: { limit: 32 },
      });
      assert.equal(readBack(mgr, "memory", "memory.limit_in_bytes", "memory.max").value, String(64 * 2 ** 20));
      assert.equal(readBack(mgr, "memory", "memory.soft_limit_in_bytes", "memory.low").value, String(32 * 2 ** 20));
      const shares = readBack(mgr, "cpu", "cpu.shares", "cpu.weight");
      assert.equal(shares.value, shares.version === 1 ? "512" : String(cpuSharesToWeight(512)));
      const quota = readBack(mgr, "cpu", "cpu.cfs_quota_us", "cpu.max");
      assert.equal(quota.value, quota.version === 1 ? "50000" : "50000 100000");
      if (quota.version === 1) assert.equal(readBack(mgr, "cpu", "cpu.cfs_period_us", "").value, "100000");
      assert.equal(readBack(mgr, "cpuset", "cpuset.cpus", "cpuset.cpus").value, "0");
      assert.equal(readBack(mgr, "cpuset", "cpuset.mems", "cpuset.mems").value, "0");
      assert.equal(readBack(mgr, "pids", "pids.max", "pids.max").value, "32");
      mgr.set({ pids: { limit: 0 } });
      assert.equal(readBack(mgr, "pids", "pids.max", "pids.max").value, "max");
    });

    test("set() orders memory and swap writes so raising and lowering both pass the kernel's checks", async (t) => {
      const { mgr } = await setup(t);
      const M = 2 ** 20;
      const swapOf = () => readBack(mgr, "memory", "memory.memsw.limit_in_bytes", "memory.swap.max");
      for (const [limit, swap] of [[64 * M, 128 * M], [256 * M, 512 * M], [32 * M, 64 * M]] as const) {
        mgr.set({ memory: { limit, swap } });
        assert.equal(readBack(mgr, "memory", "memory.limit_in_bytes", "memory.max").value, String(limit));
        const s = swapOf();
        // OCI swap is memory+swap; v2's memory.swap.max is swap alone.
        assert.equal(s.value, String(s.version === 1 ? swap : swap - limit));
      }
      mgr.set({ memory: { limit: -1 } });
      const unlimited = readBack(mgr, "memory", "memory.limit_in_bytes", "memory.max");
      assert.ok(unlimited.value === "max" || Number(unlimited.value) > 2 ** 62, unlimited.value);
    });

    // Only v1 without swap refuses; v2 reclaims or OOM-kills instead of failing the write.
    const refusesBelowUsage = h.layout().controllers.get("memory")?.version === 1 && h.swapless;
    if (refusesBelowUsage) test("set() refuses a memory limit below usage with a one-line error naming value and file", async (t) => {
      const { mgr, run } = await setup(t);
      await run("sleep");
      await waitFor(() => mgr.stats().memory.usage.usage > 8192, "memory is charged");
      assert.throws(
        () => mgr.set({ memory: { limit: 4096 } }),
        (err: unknown) => {
          assert.ok(err instanceof BerthError);
          assert.equal(kindOf(err), "invalid-argument");
          assert.equal(err.message, "set memory limit 4096: write `memory.limit_in_bytes`: device or resource busy");
          return true;
        },
      );
    });

    test("freeze() stops every process until thaw()", async (t) => {
      const { mgr, run } = await setup(t);
      const p = await run("busy");
      assert.equal(mgr.frozen(), false);
      assert.equal(await h.progresses(p, mgr), true, "runs before freeze");
      await mgr.freeze();
      assert.equal(mgr.frozen(), true);
      // The v1 freezer controller if mounted, else cgroup2's core freezer.
      const fz = mgr.locate("freezer");
      const unified = h.layout().unified?.mountPoint ?? "";
      const v2Procs = mgr.procsFiles().find((f) => f.startsWith(`${unified}/`)) ?? "";
      const state = fz?.version === 1 ? join(fz.dir, "freezer.state") : join(dirname(v2Procs), "cgroup.events");
      assert.match(h.read(state), fz?.version === 1 ? /^FROZEN$/m : /^frozen 1$/m, "the freezer reports frozen");
      assert.equal(await h.progresses(p, mgr), false, "no progress while frozen");
      await mgr.freeze();
      assert.equal(mgr.frozen(), true, "freezing a frozen cgroup is a no-op");
      mgr.thaw();
      assert.equal(mgr.frozen(), false);
      assert.equal(await h.progresses(p, mgr), true, "runs after thaw");
    });

    test("stats() reports memory, pids and cpu of the processes inside", async (t) => {
      const { mgr, run } = await setup(t);
      mgr.set({ pids: { limit: 32 }, memory: { limit: 128 * 2 ** 20 } });
      await run("busy");
      await waitFor(() => mgr.stats().cpu.usage.total > 0, "cpu usage shows");
      const s = mgr.stats();
      assert.ok(s.memory.usage.usage > 0, "memory usage");
      assert.equal(s.memory.usage.limit, 128 * 2 ** 20);
      assert.deepEqual(s.pids, { current: 1, limit: 32 });
      assert.equal(s.memory.event_count.oom_kill, 0);
      assert.equal(typeof JSON.parse(JSON.stringify(s)).memory.raw, "object");
    });

    test("oomKillCount() counts a process the OOM killer took for exceeding the limit", async (t) => {
      const { mgr, run } = await setup(t);
      assert.equal(mgr.oomKillCount(), 0);
      const M = 2 ** 20;
      mgr.set({ memory: { limit: 16 * M, swap: 16 * M } });
      const p = await run("hog");
      await p.exited;
      await waitFor(() => mgr.oomKillCount() === 1, "oom kill counted");
      assert.equal(mgr.stats().memory.event_count.oom_kill, 1);
    });

    test("device rules apply in the order listed (v1), or as an eBPF program on the cgroup2 directory (v2)", async (t) => {
      const warnings: string[] = [];
      const { mgr } = await setup(t, { logger: { warn: (m) => warnings.push(m) } });
      const devices = [
        { allow: false, access: "rwm" },
        { allow: true, type: "c", major: 1, minor: 3, access: "rwm" },
        { allow: true, type: "c", major: 1, minor: 5, access: "rwm" },
        { allow: false, type: "c", major: 1, minor: 5, access: "rwm" },
      ];
      mgr.set({ devices });
      assert.deepEqual(warnings, []);
      const p = mgr.locate("devices");
      if (p?.version === 1) {
        assert.equal(h.read(join(p.dir, "devices.list")).trim(), "c 1:3 rwm");
      } else if (h.devicePrograms !== undefined) {
        const dirs = mgr.procsFiles().map((f) => dirname(f));
        const last = h.devicePrograms().at(-1);
        assert.ok(last !== undefined && dirs.includes(last.dir), "attached to the cgroup2 directory");
        assert.deepEqual(last.program, compileDeviceFilter(devices));
      }
    });

    test("blkio weight and throttles read back, and a rule for a missing device is refused", async (t) => {
      const { mgr } = await setup(t);
      const { major, minor } = h.blockDevice();
      mgr.set({ blockIO: { weight: 500, throttleReadBpsDevice: [{ major, minor, rate: 1048576 }] } });
      const p = mgr.locate("blkio") ?? mgr.locate("io");
      assert.ok(p);
      const has = (f: string) => h.exists(join(p.dir, f));
      if (p.version === 1) {
        assert.equal(h.read(join(p.dir, has("blkio.weight") ? "blkio.weight" : "blkio.bfq.weight")).trim(), "500");
        assert.match(h.read(join(p.dir, "blkio.throttle.read_bps_device")), new RegExp(`^${major}:${minor} 1048576$`, "m"));
      } else {
        const weight = h.read(join(p.dir, has("io.bfq.weight") ? "io.bfq.weight" : "io.weight"));
        assert.match(weight, has("io.bfq.weight") ? /(^|default )500$/m : /(^|default )4950$/m);
        assert.match(h.read(join(p.dir, "io.max")), new RegExp(`^${major}:${minor} rbps=1048576( |$)`, "m"));
      }
      const bad = { major: 4095, minor: 4095, rate: 1024 };
      assert.throws(() => mgr.set({ blockIO: { throttleReadBpsDevice: [bad] } }), (err: unknown) => {
        assert.equal(kindOf(err), "invalid-argument");
        assert.match((err as Error).message, /^set blkio read bps "4095:4095 (rbps=)?1024": write `(blkio\.throttle\.read_bps_device|io\.max)`: no such device$/);
        return true;
      });
    });

    test("hugepage limits and unified keys go to wherever hugetlb and cgroup2 live", async (t) => {
      const { mgr } = await setup(t);
      const p = mgr.locate("hugetlb");
      if (p === undefined) {
        assert.throws(() => mgr.set({ hugepageLimits: [{ pageSize: "2MB", limit: 0 }] }), /hugetlb controller is not available/);
      } else {
        mgr.set({ hugepageLimits: [{ pageSize: "2MB", limit: 8 * 2 ** 20 }] });
        assert.equal(readBack(mgr, "hugetlb", "hugetlb.2MB.limit_in_bytes", "hugetlb.2MB.max").value, String(8 * 2 ** 20));
      }
      if (h.layout().unified === undefined) {
        assert.throws(() => mgr.set({ unified: { "hugetlb.2MB.max": "max" } }), /no cgroup2 filesystem/);
      } else if (p?.version === 2) {
        mgr.set({ unified: { "hugetlb.2MB.max": "4194304" } });
        assert.equal(h.read(join(p.dir, "hugetlb.2MB.max")).trim(), "4194304");
      }
    });

    test("a relative cgroupsPath lands under the runtime's own cgroup in each hierarchy", async (t) => {
      const { mgr, name } = await setup(t, { relative: true });
      for (const hier of h.layout().hierarchies) {
        const ctrl = hier.controllers[0];
        if (ctrl === undefined) continue;
        const p = mgr.locate(ctrl);
        assert.ok(p, `${ctrl} placed`);
        const own = hier.ownPath === "/" ? "" : hier.ownPath;
        assert.equal(p.dir, join(hier.mountPoint, own, name));
        assert.ok(h.exists(p.dir));
      }
    });

    test("destroy() retries while the last task exits, then removes every directory", async (t) => {
      const { mgr, run } = await setup(t);
      const p = await run("sleep");
      const dirs = mgr.procsFiles().map((f) => f.slice(0, -"/cgroup.procs".length));
      p.kill();
      await mgr.destroy();
      for (const d of dirs) assert.equal(h.exists(d), false, `${d} removed`);
    });

    test("destroy() removes sub-cgroups made inside the container's cgroup, children first", async (t) => {
      const { mgr } = await setup(t);
      const dirs = mgr.procsFiles().map((f) => dirname(f));
      for (const d of dirs) {
        h.mkdir(join(d, "sub"));
        h.mkdir(join(d, "sub", "leaf"));
      }
      await mgr.destroy();
      for (const d of dirs) assert.equal(h.exists(d), false, `${d} removed`);
    });

    test("apply() also moves a second (exec'd) process, and rejects a non-pid", async (t) => {
      const { mgr, run } = await setup(t);
      const a = await run("sleep");
      const b = await run("sleep");
      assert.deepEqual(mgr.pids(), [a.pid, b.pid].sort((x, y) => x - y));
      assert.throws(() => mgr.apply(0), (err: unknown) => kindOf(err) === "invalid-argument");
    });

    test("destroy() reports a cgroup that stays populated and never kills", async (t) => {
      const { mgr, run } = await setup(t);
      const p = await run("sleep");
      const quick = h.open(mgr.path, { destroyTimeoutMs: 50 });
      await assert.rejects(quick.destroy(), (err: unknown) => {
        assert.equal(kindOf(err), "failed-precondition");
        assert.match((err as Error).message, /^remove cgroup ".*": rmdir `.*`: device or resource busy$/);
        return true;
      });
      assert.equal(h.alive(p), true);
      assert.deepEqual(mgr.pids(), [p.pid]);
    });
  });
}

/** Polls `cond` every 10 ms for up to 5 s. */
export async function waitFor(cond: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting: ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
