/**
 * `startShim()`: spawn `native/build/berth-shim` for one container, detached (its own
 * session, stdio /dev/null), hand it the plan on fd 3 and follow berth-init's reports
 * (`pid`, `hook`, `created`, `error`) until the container waits at `wait-start`.
 */
import { spawn } from "node:child_process";
import type { Duplex } from "node:stream";
import { fileURLToPath } from "node:url";
import { unavailable } from "../../shared/errors.js";
import type { Plan } from "../plan/plan.js";
import { runShimSession } from "./session.js";

/** Default binary: native/build/berth-shim at the repository root (from dist/src/runtime/shim/). */
export const DEFAULT_BERTH_SHIM = fileURLToPath(new URL("../../../../native/build/berth-shim", import.meta.url));

/** What the shim needs to create and keep one container. */
export interface StartShimOptions {
  /** Container id (for the shim's diagnostics). */
  readonly id: string;
  /** An existing directory the shim writes `shim.sock`, `shim.pid`, `exit.json` (and `shim.log`) to. */
  readonly stateDir: string;
  /** The json-file log; ignored with the `none` driver. */
  readonly logPath: string;
  readonly logDriver: "json-file" | "none";
  /** The plan sets up a pty (`setup-console` without a console socket): the shim gets the master. */
  readonly terminal: boolean;
  /** Keep the container's stdin open for attached clients (`docker run -i`). */
  readonly openStdin: boolean;
  /** The container's plan (compilePlan without a console socket). */
  readonly plan: Plan;
  /** Answers the plan's `sync` ops, as for runExecutor(). */
  readonly onHook?: (phase: string, pid: number) => Promise<Uint8Array>;
  /** json-file `max-size` in bytes (0: no rotation). @default 0 */
  readonly logMaxSize?: number;
  /** json-file `max-file`. @default 1 */
  readonly logMaxFile?: number;
  /** A JSON object every log entry carries as `attrs` (json-file's labels/env/tag). @default none */
  readonly logAttrs?: string;
  /** Seconds the shim keeps serving wait/state after the container exited, unless shut down. @default 60 */
  readonly exitGrace?: number;
  /**
   * A cgroup file with an `oom_kill N` line (v1 `memory.oom_control`, v2 `memory.events`)
   * of the container's memory cgroup: `oomKilled` is true when the count grew while the
   * container ran. Without it `oomKilled` stays false.
   */
  readonly oomFile?: string;
  /** The shim's own diagnostics (JSON lines). @default <stateDir>/shim.log */
  readonly shimLog?: string;
  /** @default DEFAULT_BERTH_SHIM */
  readonly binary?: string;
}

/** A created container under its shim. */
export interface StartedShim {
  /** Host pid of the container process. */
  readonly pid: number;
  /** Pid of the berth-shim process. */
  readonly shimPid: number;
  /**
   * Settles when the container process execs (after `start`): resolves on success, rejects
   * with the PlanOpError of a failing later op (startContainer hooks, exec). Reading it
   * keeps this Node process alive until it settles.
   */
  readonly execed: Promise<void>;
}

/** The shim's command line for `opts` (exported for tests and for diagnostics). */
export function shimArgs(opts: StartShimOptions): string[] {
  const args = ["--id", opts.id, "--state-dir", opts.stateDir, "--log-driver", opts.logDriver];
  if (opts.logDriver === "json-file") args.push("--log-path", opts.logPath);
  if (opts.terminal) args.push("--terminal");
  if (opts.openStdin) args.push("--stdin");
  if (opts.logMaxSize !== undefined && opts.logMaxSize > 0) args.push("--log-max-size", String(opts.logMaxSize));
  if (opts.logMaxFile !== undefined) args.push("--log-max-file", String(opts.logMaxFile));
  if (opts.logAttrs !== undefined) args.push("--log-attrs", opts.logAttrs);
  if (opts.exitGrace !== undefined) args.push("--exit-grace", String(opts.exitGrace));
  if (opts.oomFile !== undefined) args.push("--oom-file", opts.oomFile);
  args.push("--shim-log", opts.shimLog ?? `${opts.stateDir}/shim.log`);
  return args;
}

/**
 * Start a shim and create the container under it. Resolves once the container process
 * waits at `wait-start` (the caller starts it by opening the plan's exec fifo); rejects
 * with PlanOpError when the plan fails, after the shim has exited.
 */
export function startShim(opts: StartShimOptions): Promise<StartedShim> {
  const binary = opts.binary ?? DEFAULT_BERTH_SHIM;
  const child = spawn(binary, shimArgs(opts), {
    detached: true,
    stdio: ["ignore", "ignore", "ignore", "pipe"],
  });
  // The shim outlives us: never let it keep this process alive.
  child.unref();
  const shimExited = new Promise<number>((resolve) => {
    child.once("exit", (code, signal) => resolve(code ?? (signal !== null ? 128 : 1)));
    child.once("error", () => resolve(-1));
  });
  // Keep this process alive until the shim is gone, so a failure is delivered.
  const gone = () => {
    child.ref();
    return shimExited.then(() => undefined);
  };
  const sock = child.stdio[3] as Duplex | null;
  if (sock === null) return gone().then(() => { throw unavailable("start shim: no fd 3"); });
  const session = runShimSession(sock, opts, {
    gone,
    shimPid: () => child.pid ?? 0,
    endedEarly: () => shimExited.then((status) => new Error(`start shim: berth-shim ended before the container was created (exit status ${status})`)),
  });
  child.once("error", (err) => session.fail(unavailable(`start shim: spawn \`${binary}\`: ${err.message}`, err)));
  return session.started;
}
