import assert from "node:assert/strict";
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import * as fs from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { BerthError, kindOf } from "../../shared/errors.js";
import { EBPF, encodeEbpf } from "./devices-ebpf.js";
import { detectCgroupLayout, parseCgroupMounts } from "./layout.js";
import { openCgroupManager } from "./manager.js";
import type { LinuxDeviceCgroup } from "./resources.js";
import { DEFAULT_BERTH_DEVICES, berthDevicesAttacher } from "./v2.js";

/**
 * Device programs on this machine's real cgroup2 mount, through berth-devices: a
 * BPF_CGROUP_DEVICE program attaches to any cgroup2 directory, with or without controllers,
 * and the kernel runs it for tasks in that cgroup whatever their v1 devices cgroup says.
 */
const cgroup2Line = fs
  .readFileSync("/proc/self/mountinfo", "utf8")
  .split("\n")
  .find((l) => parseCgroupMounts(l)[0]?.fstype === "cgroup2");

const skip = cgroup2Line === undefined ? "no cgroup2 mount on this host" : false;

/** Program ids attached directly to `dir` (BPF_PROG_QUERY through `berth-devices --query`). */
function attachedIds(dir: string): number[] {
  const out = JSON.parse(execFileSync(DEFAULT_BERTH_DEVICES, ["--query", dir], { encoding: "utf8" })) as { ids: number[]; count: number };
  assert.equal(out.ids.length, out.count);
  return out.ids;
}

/** A shell that moves itself into `dir`, then opens /dev/null and /dev/zero for reading. */
async function probe(dir: string, children: ChildProcess[]): Promise<string> {
  const script = `echo $$ > '${join(dir, "cgroup.procs")}' || exit 9
true < /dev/null && echo null-ok
true < /dev/zero && echo zero-ok
exit 0`;
  const child = spawn("sh", ["-c", script], { stdio: ["ignore", "pipe", "pipe"] });
  children.push(child);
  let out = "";
  child.stdout.on("data", (b: Buffer) => (out += b.toString()));
  child.stderr.on("data", (b: Buffer) => (out += b.toString()));
  const code = await new Promise<number | null>((r) => child.once("close", r));
  assert.equal(code, 0, out);
  return out;
}

test("device programs on the real cgroup2 mount: deny /dev/zero, allow /dev/null, replace, destroy", { skip }, async (t) => {
  const layout = detectCgroupLayout({ mountinfo: cgroup2Line ?? "", procCgroup: "0::/\n" });
  const unified = layout.unified;
  assert.ok(unified);
  const name = `berth-test-${process.pid}-devices`;
  const dir = join(unified.mountPoint, name);
  const mgr = openCgroupManager(`/${name}`, { layout });
  const children: ChildProcess[] = [];
  t.after(async () => {
    // Only a child not yet reaped: its pid cannot have been reused.
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
    await Promise.all(children.map((c) => (c.exitCode === null && c.signalCode === null ? new Promise((r) => c.once("close", r)) : undefined)));
    await mgr.destroy();
  });

  mgr.create();
  const denyZero: LinuxDeviceCgroup[] = [
    { allow: false, access: "rwm" },
    { allow: true, type: "c", major: 1, minor: 3, access: "rwm" },
    { allow: false, type: "c", major: 1, minor: 5, access: "rwm" },
  ];
  mgr.set({ devices: denyZero });
  const first = attachedIds(dir);
  assert.equal(first.length, 1);
  const denied = await probe(dir, children);
  assert.match(denied, /^null-ok$/m);
  assert.doesNotMatch(denied, /zero-ok/);
  assert.match(denied, /\/dev\/zero: Operation not permitted/);

  mgr.set({ devices: [...denyZero.slice(0, 2), { allow: true, type: "c", major: 1, minor: 5, access: "r" }] });
  const second = attachedIds(dir);
  assert.equal(second.length, 1, "the new program replaced the old one");
  assert.notDeepEqual(second, first);
  const allowed = await probe(dir, children);
  assert.match(allowed, /^null-ok$/m);
  assert.match(allowed, /^zero-ok$/m);

  await mgr.destroy();
  assert.equal(fs.existsSync(dir), false);
});

test("berth-devices errors name the syscall: a missing cgroup, a program the verifier refuses", { skip }, () => {
  const attach = berthDevicesAttacher();
  const exit = encodeEbpf([{ code: EBPF.ALU32_MOV_K, dst: 0, src: 0, off: 0, imm: 1 }, { code: EBPF.JMP_EXIT, dst: 0, src: 0, off: 0, imm: 0 }]);
  const missing = `/sys/fs/cgroup/unified/berth-test-${process.pid}-missing`;
  assert.throws(() => attach(missing, exit), (err: unknown) => {
    assert.ok(err instanceof BerthError);
    assert.equal(kindOf(err), "not-found");
    assert.equal(err.message, `set devices: open \`${missing}\`: no such file or directory`);
    return true;
  });
  // exit without setting R0: the verifier refuses to read an uninitialised register.
  const noR0 = encodeEbpf([{ code: EBPF.JMP_EXIT, dst: 0, src: 0, off: 0, imm: 0 }]);
  assert.throws(() => attach(missing, noR0), (err: unknown) => {
    assert.ok(err instanceof BerthError);
    assert.match(err.message, /^set devices: bpf\(BPF_PROG_LOAD\): (permission denied|invalid argument) \(verifier: R0 !read_ok\)$/);
    return true;
  });
  assert.throws(() => attach(missing, new Uint8Array(12)), { message: "set devices: read `<stdin>`: invalid argument" });
});
