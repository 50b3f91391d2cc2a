import { spawn } from "node:child_process";
import * as fs from "node:fs";
import { join } from "node:path";
import { after } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { detectCgroupLayout } from "./layout.js";
import { openCgroupManager } from "./manager.js";
import { type CgroupHarness, type TestProcess, cgroupConformanceSuite } from "./testsuite.js";

/**
 * The conformance suite against this machine's real cgroupfs. Cgroups are named
 * berth-test-<pid>-<n>; any left behind by a failed test are removed at the end.
 */
const layout = detectCgroupLayout();
const prefix = `berth-test-${process.pid}-`;
let n = 0;
const started: TestProcess[] = [];

const workloads = {
  sleep: "exec sleep 1000",
  busy: "exec sh -c 'while :; do :; done'",
  hog: "exec tail /dev/zero",
} as const;

function cpuTicks(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return Number(fields[11]) + Number(fields[12]);
}

function alive(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
  } catch {
    return false;
  }
}

/** A real disk of this machine (virtio, SCSI or NVMe preferred over zram/loop). */
function blockDevice(): { major: number; minor: number } {
  const names = fs.readdirSync("/sys/block").sort((a, b) => Number(/^(vd|sd|nvme|xvd)/.test(b)) - Number(/^(vd|sd|nvme|xvd)/.test(a)));
  const name = names[0];
  if (name === undefined) throw new Error("no block device in /sys/block");
  const [major, minor] = fs.readFileSync(`/sys/block/${name}/dev`, "utf8").trim().split(":").map(Number);
  return { major: major ?? 0, minor: minor ?? 0 };
}

const harness: CgroupHarness = {
  name: `real ${layout.mode} cgroupfs`,
  layout: () => layout,
  open: (path, o = {}) => openCgroupManager(path, { layout, ...o }),
  uniqueName: () => `${prefix}${n++}`,
  spawn: async (workload) => {
    // The shell waits for a line on stdin, so the test can move it in before it execs.
    const child = spawn("sh", ["-c", `read go; ${workloads[workload]}`], { stdio: ["pipe", "ignore", "ignore"] });
    const pid = child.pid;
    if (pid === undefined) throw new Error("spawn sh: no pid");
    const exited = new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) resolve();
      else child.once("exit", () => resolve());
    });
    const p: TestProcess = {
      pid,
      exited,
      start: () => child.stdin.end("go\n"),
      kill: () => {
        if (child.exitCode === null && child.signalCode === null) process.kill(pid, "SIGKILL");
      },
    };
    started.push(p);
    return p;
  },
  progresses: async (p) => {
    // Up to a second, so a loaded machine still shows a running process progressing.
    const before = cpuTicks(p.pid);
    for (let i = 0; i < 10; i++) {
      await sleep(100);
      if (cpuTicks(p.pid) > before) return true;
    }
    return false;
  },
  alive: (p) => alive(p.pid),
  exists: (p) => fs.existsSync(p),
  mkdir: (p) => fs.mkdirSync(p),
  read: (p) => fs.readFileSync(p, "utf8"),
  blockDevice,
  swapless: fs.readFileSync("/proc/swaps", "utf8").trim().split("\n").length <= 1,
};

after(async () => {
  // Safety net: the tests clean up themselves; this catches what a crash left.
  for (const p of started) {
    if (alive(p.pid)) {
      try {
        process.kill(p.pid, "SIGKILL");
      } catch {
        // already gone
      }
    }
  }
  await sleep(50);
  for (const h of layout.hierarchies) {
    for (const base of [h.mountPoint, join(h.mountPoint, h.ownPath)]) {
      let names: string[] = [];
      try {
        names = fs.readdirSync(base).filter((e) => e.startsWith(prefix));
      } catch {
        continue;
      }
      for (const e of names) {
        try {
          fs.rmdirSync(join(base, e));
        } catch {
          // reported by the test that created it
        }
      }
    }
  }
});

cgroupConformanceSuite(harness);
