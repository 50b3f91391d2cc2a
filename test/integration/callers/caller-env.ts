/**
 * Shared set-up for the tests that put berth-runtime under real callers (podman, dockerd):
 * installing the caller's Debian packages, an executable berth-runtime that records each
 * call, the busybox rootfs as an image tarball, running commands with their output in
 * files, and removing what the callers leave behind (mounts, cgroups).
 */
import { execFileSync, spawn } from "node:child_process";
import { chmodSync, closeSync, existsSync, mkdtempSync, openSync, readFileSync, readdirSync, rmSync, rmdirSync, writeFileSync } from "node:fs";
import { constants, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { buildBusyboxRootfs } from "../../../src/fixtures/busybox-rootfs.js";

/** The committed wrapper that makes the compiled CLI one executable path. */
export const RUNTIME_WRAPPER = fileURLToPath(new URL("../../../../scripts/berth-runtime-wrapper.sh", import.meta.url));

/** Where every cgroup hierarchy of this host is mounted (v1 hierarchies and the cgroup2 mount). */
const CGROUP_MOUNTS = "/sys/fs/cgroup";

/** Result of a finished command. */
export interface CommandResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

function onPath(bin: string): boolean {
  try {
    execFileSync("sh", ["-c", `command -v ${bin}`], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

/**
 * Make sure each binary is installed, running `apt-get install` for the packages of the
 * missing ones. Returns a reason to skip when they still cannot be found, else undefined.
 */
export function ensurePackages(binToPackage: Readonly<Record<string, string>>): string | undefined {
  const missing = Object.entries(binToPackage).filter(([bin]) => !onPath(bin));
  if (missing.length === 0) return undefined;
  const pkgs = [...new Set(missing.map(([, pkg]) => pkg))];
  // Other test files may install packages at the same time: wait for dpkg's lock.
  const apt = (args: string[]) => execFileSync("apt-get", ["-o", "DPkg::Lock::Timeout=600", ...args], {
    stdio: "ignore", timeout: 600_000, env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
  });
  try {
    apt(["install", "-y", "-qq", ...pkgs]);
  } catch {
    // A fresh machine may have no package lists yet.
    try {
      apt(["update", "-qq"]);
      apt(["install", "-y", "-qq", ...pkgs]);
    } catch (err) {
      return `apt-get install ${pkgs.join(" ")} failed: ${(err as Error).message.split("\n")[0]}`;
    }
  }
  const still = missing.filter(([bin]) => !onPath(bin)).map(([bin]) => bin);
  return still.length === 0 ? undefined : `${still.join(", ")} missing after apt-get install ${pkgs.join(" ")}`;
}

/**
 * Write `<dir>/berth-runtime`: an executable that appends its arguments to `<dir>/calls.log`
 * and runs the committed wrapper with this process's node, plus `extraArgs` (global flags
 * such as `--root`) before the caller's own arguments.
 */
export function writeRecordingRuntime(dir: string, extraArgs: readonly string[] = []): { path: string; calls: () => string[] } {
  const path = join(dir, "berth-runtime");
  const log = join(dir, "calls.log");
  const quoted = [RUNTIME_WRAPPER, ...extraArgs].map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(" ");
  writeFileSync(path, `#!/bin/sh\nprintf '%s\\n' "$*" >> '${log}'\nBERTH_NODE='${process.execPath}' exec ${quoted} "$@"\n`);
  chmodSync(path, 0o755);
  return { path, calls: () => (existsSync(log) ? readFileSync(log, "utf8").split("\n").filter((l) => l !== "") : []) };
}

/** Build the busybox rootfs under `dir` and pack it as `<dir>/rootfs.tar` (for `podman import`, `docker import`). */
export function busyboxTarball(dir: string): string {
  const rootfs = join(dir, "rootfs");
  buildBusyboxRootfs(rootfs);
  const tar = join(dir, "rootfs.tar");
  execFileSync("tar", ["-C", rootfs, "-cf", tar, "."]);
  rmSync(rootfs, { recursive: true, force: true });
  return tar;
}

/**
 * Run a command to completion, with `input` (if given) as stdin. stdout and stderr go to
 * temp files, not pipes: a caller may leave a daemonised helper (conmon, a shim) holding
 * inherited descriptors.
 */
export function run(cmd: string, args: readonly string[], opts: { env?: NodeJS.ProcessEnv; timeoutMs?: number; input?: string } = {}): Promise<CommandResult> {
  const dir = mkdtempSync(join(tmpdir(), "berth-caller-out-"));
  const outPath = join(dir, "out");
  const errPath = join(dir, "err");
  const out = openSync(outPath, "w");
  const err = openSync(errPath, "w");
  let input: number | "ignore" = "ignore";
  if (opts.input !== undefined) {
    writeFileSync(join(dir, "in"), opts.input);
    input = openSync(join(dir, "in"), "r");
  }
  return new Promise<CommandResult>((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: [input, out, err], env: opts.env ?? process.env });
    const timer = setTimeout(() => {
      if (child.pid !== undefined && child.exitCode === null) child.kill("SIGKILL");
    }, opts.timeoutMs ?? 120_000);
    child.once("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      resolve({
        code: code ?? 128 + (signal === null ? 0 : signalNumber(signal)),
        stdout: readFileSync(outPath, "utf8"),
        stderr: readFileSync(errPath, "utf8"),
      });
    });
  }).finally(() => {
    if (typeof input === "number") closeSync(input);
    closeSync(out);
    closeSync(err);
    rmSync(dir, { recursive: true, force: true });
  });
}

function signalNumber(sig: NodeJS.Signals): number {
  return constants.signals[sig] ?? 0;
}

/** Mount points at or below `dir`, deepest first. */
export function mountsUnder(dir: string): string[] {
  const points = readFileSync("/proc/self/mountinfo", "utf8").split("\n")
    .map((l) => l.split(" ")[4])
    .filter((p): p is string => p !== undefined && (p === dir || p.startsWith(`${dir}/`)));
  return [...new Set(points)].sort((a, b) => b.length - a.length);
}

/** Lazily unmount everything at or below `dir` (what a killed caller may have left). */
export function unmountUnder(dir: string): void {
  for (const p of mountsUnder(dir)) {
    try {
      execFileSync("umount", ["-l", p], { stdio: "ignore" });
    } catch {
      // already gone with its parent
    }
  }
}

/** The directories named `name` directly below each cgroup hierarchy's root. */
export function cgroupDirs(name: string): string[] {
  const out: string[] = [];
  for (const h of readdirSync(CGROUP_MOUNTS)) {
    const d = join(CGROUP_MOUNTS, h, name);
    if (existsSync(d)) out.push(d);
  }
  return out;
}

function subdirs(dir: string): string[] {
  try {
    return readdirSync(dir, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => join(dir, e.name));
  } catch {
    return [];
  }
}

/** Child cgroups of `/<name>` in one hierarchy (the containers and conmon of a caller). */
export function childCgroups(hierarchy: string, name: string): string[] {
  return subdirs(join(CGROUP_MOUNTS, hierarchy, name)).map((d) => d.slice(d.lastIndexOf("/") + 1)).sort();
}

function rmdirTree(dir: string): void {
  for (const d of subdirs(dir)) rmdirTree(d);
  rmdirSync(dir);
}

/**
 * Remove the cgroup `/<name>` and its children in every hierarchy. The callers' helper
 * processes may take a moment to leave, so EBUSY is retried for a few seconds.
 */
export async function removeCgroupTree(name: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const left: string[] = [];
    for (const d of cgroupDirs(name)) {
      try {
        rmdirTree(d);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== "ENOENT") left.push(d);
      }
    }
    if (left.length === 0) return;
    if (Date.now() > deadline) throw new Error(`remove cgroup "${name}": still busy in ${left.join(", ")}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** True while `pid` is a live (not zombie) process. */
export function alive(pid: number): boolean {
  try {
    return !/\) [ZX] /.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return false;
  }
}

/** Poll `pred` every 50 ms until it holds or `ms` pass. */
export async function until(pred: () => boolean | Promise<boolean>, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!(await pred())) {
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A fresh temp directory for one caller (traversable, as the callers' helpers expect). */
export function callerDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  chmodSync(dir, 0o755);
  return dir;
}
