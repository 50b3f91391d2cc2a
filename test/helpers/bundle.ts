/**
 * Test fixtures for the runtime: the busybox rootfs built once per test process (cached
 * under a temp dir keyed by pid), bundles with a runc-like default config.json, a
 * temporary runtime root, and a way to run berth-runtime's CLI.
 */
import { spawnSync } from "node:child_process";
import { chmodSync, mkdtempSync, rmSync, writeFileSync, mkdirSync, existsSync, readFileSync, openSync, closeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { buildBusyboxRootfs } from "../../src/fixtures/busybox-rootfs.js";
import { defaultSpec, type SpecJson } from "../../src/runtime/spec/default-spec.js";

export { defaultSpec, type SpecJson };

/** The compiled berth-runtime CLI. */
export const BERTH_RUNTIME = fileURLToPath(new URL("../../src/runtime/cli/main.js", import.meta.url));

let cachedRootfs: string | undefined;

/** A busybox rootfs shared by every bundle of this process (read-only use expected). */
export function busyboxRootfs(): string {
  if (cachedRootfs !== undefined && existsSync(join(cachedRootfs, "bin/busybox"))) return cachedRootfs;
  const dir = join(tmpdir(), `berth-test-rootfs-${process.pid}`);
  if (!existsSync(join(dir, "bin/busybox"))) buildBusyboxRootfs(dir);
  cachedRootfs = dir;
  process.on("exit", () => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A temp dir removed at cleanup. */
export interface TempBundle {
  readonly dir: string;
  readonly root: string;
  /** Write `spec` (a runc default spec adjusted by the test) as config.json. */
  writeSpec(spec: SpecJson): void;
  cleanup(): void;
}

/**
 * A bundle directory whose config.json points at the shared busybox rootfs, plus a fresh
 * runtime state root. `mutate` adjusts the default spec (args default: `true`).
 */
export function makeBundle(mutate: (s: SpecJson) => void = () => {}): TempBundle {
  const dir = mkdtempSync(join(tmpdir(), "berth-bundle-"));
  // Traversable by a container's root mapped to another host uid (user namespace tests).
  chmodSync(dir, 0o711);
  const root = join(dir, "state");
  mkdirSync(root, { mode: 0o711 });
  const spec = defaultSpec({ rootfs: busyboxRootfs(), args: ["true"] });
  // Tests share one rootfs directory: make the root read-only so none can change it.
  spec.root.readonly = true;
  mutate(spec);
  const b: TempBundle = {
    dir, root,
    writeSpec: (s) => writeFileSync(join(dir, "config.json"), JSON.stringify(s, null, 2)),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
  b.writeSpec(spec);
  return b;
}

/** A unique container id for this test process. */
export function uniqueId(prefix = "t"): string {
  return `${prefix}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
}

/**
 * Run berth-runtime synchronously. stdout and stderr go to temp files, not pipes: a
 * detached container inherits them and would keep a pipe open for its whole life.
 */
export function cli(args: readonly string[], opts: { timeoutMs?: number } = {}): { status: number | null; stdout: string; stderr: string } {
  const dir = mkdtempSync(join(tmpdir(), "berth-cli-"));
  const outPath = join(dir, "out");
  const errPath = join(dir, "err");
  const out = openSync(outPath, "w");
  const err = openSync(errPath, "w");
  try {
    const r = spawnSync(process.execPath, [BERTH_RUNTIME, ...args], {
      stdio: ["ignore", out, err],
      timeout: opts.timeoutMs ?? 30_000,
    });
    return { status: r.status, stdout: readFileSync(outPath, "utf8"), stderr: readFileSync(errPath, "utf8") };
  } finally {
    closeSync(out);
    closeSync(err);
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Result of running a container to completion. */
export interface RunResult {
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Run a container in the foreground with berth-runtime `run` from a bundle adjusted by
 * `mutate`, and clean everything up (container, state, bundle) afterwards.
 */
export function runContainer(mutate: (s: SpecJson, b: TempBundle) => void, opts: { timeoutMs?: number } = {}): RunResult {
  const b = makeBundle();
  const id = uniqueId("run");
  try {
    const spec = defaultSpec({ rootfs: busyboxRootfs(), args: ["true"] });
    spec.root.readonly = true;
    mutate(spec, b);
    b.writeSpec(spec);
    const r = cli(["--root", b.root, "run", "-b", b.dir, id], { timeoutMs: opts.timeoutMs ?? 30_000 });
    return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
  } finally {
    cli(["--root", b.root, "delete", "--force", id]);
    b.cleanup();
  }
}

/** Shorthand: run `sh -c script` in a default container adjusted by `mutate`. */
export function sh(script: string, mutate: (s: SpecJson, b: TempBundle) => void = () => {}): RunResult {
  return runContainer((s, b) => {
    s.process.args = ["sh", "-c", script];
    mutate(s, b);
  });
}
