/**
 * `startShim()`: spawn `native/build/berth-shim` for one container, detached (its own
 * session, stdio /dev/null), hand it the plan on fd 3 and follow berth-init's reports
 * (`pid`, `hook`, `created`, `error`) until the container waits at `wait-start`.
 */
import { spawn } from "node:child_process";
import type { Duplex } from "node:stream";
import { fileURLToPath } from "node:url";
import { unavailable } from "../../shared/errors.js";
import { encodePlan } from "../plan/encode.js";
import { PlanOpError } from "../plan/executor.js";
import type { Plan } from "../plan/plan.js";

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

function frame(bytes: Uint8Array): Buffer {
  const head = Buffer.alloc(4);
  head.writeUInt32LE(bytes.length);
  return Buffer.concat([head, bytes]);
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
  const bytes = encodePlan(opts.plan);
  const child = spawn(opts.binary ?? DEFAULT_BERTH_SHIM, shimArgs(opts), {
    detached: true,
    stdio: ["ignore", "ignore", "ignore", "pipe"],
  });
  // The shim outlives us: never let it keep this process alive.
  child.unref();
  const sock = child.stdio[3] as Duplex | null;
  const shimExited = new Promise<number>((resolve) => {
    child.once("exit", (code, signal) => resolve(code ?? (signal !== null ? 128 : 1)));
    child.once("error", () => resolve(-1));
  });

  let settleExec!: (err?: Error) => void;
  const execed = new Promise<void>((resolve, reject) => {
    settleExec = (err) => (err === undefined ? resolve() : reject(err));
  });
  execed.catch(() => {});

  return new Promise<StartedShim>((resolve, reject) => {
    let pid = 0;
    let created = false;
    let failure: Error | undefined;
    const fail = (err: Error): void => {
      if (failure !== undefined) return;
      failure = err;
      settleExec(err);
      if (created) return;
      // Keep this process alive until the shim is gone, so the rejection is delivered.
      // The container process needs no kill: it exits after reporting its error, or reads
      // EOF in `sync` once our end of fd 3 is gone, and the shim exits with it.
      child.ref();
      sock?.destroy();
      // The shim exits on a failed plan; report only once it is gone.
      void shimExited.then(() => reject(err));
    };
    child.once("error", (err) => fail(unavailable(`start shim: spawn \`${opts.binary ?? DEFAULT_BERTH_SHIM}\`: ${err.message}`, err)));
    if (sock === null) {
      fail(unavailable("start shim: no fd 3"));
      return;
    }
    sock.on("error", () => { /* EPIPE when the shim died early: the close path reports it */ });
    sock.write(frame(bytes));
    const answerHook = async (phase: string): Promise<void> => {
      try {
        const state = opts.onHook !== undefined ? await opts.onHook(phase, pid) : new Uint8Array();
        sock.write(frame(state));
      } catch (err) {
        fail(new Error(`run hook phase ${JSON.stringify(phase)}: ${(err as Error).message}`, { cause: err }));
        sock.destroy();
      }
    };
    let buffered = "";
    sock.setEncoding("utf8");
    sock.on("data", (chunk: string) => {
      buffered += chunk;
      for (let nl = buffered.indexOf("\n"); nl >= 0; nl = buffered.indexOf("\n")) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        if (line.trim() === "") continue;
        let msg: Record<string, unknown>;
        try {
          msg = JSON.parse(line) as Record<string, unknown>;
        } catch {
          fail(new Error(`read berth-shim report: invalid JSON line ${JSON.stringify(line)}`));
          continue;
        }
        switch (msg.type) {
          case "pid":
            pid = Number(msg.pid);
            break;
          case "hook":
            void answerHook(String(msg.phase));
            break;
          case "created":
            created = true;
            (sock as Duplex & { unref?: () => void }).unref?.();
            resolve({
              pid, shimPid: child.pid ?? 0,
              get execed(): Promise<void> {
                (sock as Duplex & { ref?: () => void }).ref?.();
                return execed;
              },
            });
            break;
          case "error":
            fail(new PlanOpError(msg as unknown as ConstructorParameters<typeof PlanOpError>[0]));
            break;
          default:
            fail(new Error(`read berth-shim report: unknown type ${JSON.stringify(msg.type)}`));
        }
      }
    });
    sock.on("close", () => {
      if (failure !== undefined) return;
      if (created) {
        settleExec();
        return;
      }
      void shimExited.then((status) => {
        fail(new Error(`start shim: berth-shim ended before the container was created (exit status ${status})`));
      });
    });
  });
}
