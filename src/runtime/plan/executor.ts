/**
 * Runs `native/build/berth-init` on a Plan and follows its protocol (native/README.md):
 * the plan goes down fd 3 as a u32le length and the encoded bytes; JSON lines come back
 * (`pid`, `hook`, `created`, `error`); EOF on fd 3 without an error means the container
 * process exec'd.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { constants as osConstants } from "node:os";
import type { Duplex, Stream } from "node:stream";
import { fileURLToPath } from "node:url";
import { KernelError } from "../../shared/errors.js";
import { encodePlan } from "./encode.js";
import type { Plan } from "./plan.js";

/** One stdio entry of berth-init (and so of the container), as for child_process.spawn. */
export type StdioEntry = "pipe" | "ignore" | "inherit" | number | Stream;

export interface ExecutorOptions {
  plan: Plan;
  /** `detach`: berth-init exits once the child runs (runc create); `wait`: it stays and exits with the child's status. */
  mode: "detach" | "wait";
  /**
   * stdio for berth-init and so the container: [stdin, stdout, stderr], as child_process stdio entries.
   * @default ["ignore", "inherit", "inherit"]
   */
  stdio?: [StdioEntry, StdioEntry, StdioEntry];
  /**
   * Called for each `sync` op; returns the state JSON bytes handed to the child (and to
   * the `run-hook` ops after it). Without it the child receives empty state.
   */
  onHook?: (phase: string, pid: number) => Promise<Uint8Array>;
  /** @default <repo>/native/build/berth-init */
  binary?: string;
}

export interface ExecutorHandle {
  /** Host pid of the container process. */
  readonly pid: Promise<number>;
  /** Resolves at {"type":"created"} (or at exec, if the plan has no wait-start). */
  readonly created: Promise<void>;
  /**
   * Resolves when the container process exec'd (EOF on fd 3 with no error), rejects with
   * its error. In detach mode fd 3 stops keeping Node alive after `created`; reading this
   * property makes it keep Node alive again until it settles.
   */
  readonly execed: Promise<void>;
  /** berth-init's own exit status (128+signal when killed). */
  readonly exited: Promise<number>;
  /** The berth-init child process (its stdio streams when "pipe" was asked for). */
  readonly process: ChildProcess;
  /** Kills berth-init (not the container process, unless berth-init is waiting and forwards it). */
  kill(signal?: NodeJS.Signals): void;
}

/** The `error` line of berth-init: a failed op (or the parent's setup, with opIndex -1). */
export class PlanOpError extends KernelError {
  /** Index of the failed op in `plan.ops`, or -1 for the parent's steps. */
  readonly opIndex: number;
  /** The op's name ("mount", "pivot-root", ...) or the parent step ("clone", "cgroup-procs", ...). */
  readonly opName: string;
  constructor(report: ErrorReport) {
    super(report.name, report.errno, errnoCode(report.errno), report.path, report.message);
    this.name = "PlanOpError";
    this.message = report.message;
    this.opIndex = report.op;
    this.opName = report.name;
  }
}

interface ErrorReport {
  op: number;
  name: string;
  errno: number;
  message: string;
  path?: string;
}

/** Default binary: native/build/berth-init at the repository root (from dist/src/runtime/plan/). */
export const DEFAULT_BERTH_INIT = fileURLToPath(new URL("../../../../native/build/berth-init", import.meta.url));

function errnoCode(errno: number): string {
  for (const [name, value] of Object.entries(osConstants.errno)) if (value === errno) return name;
  return errno === 0 ? "EUNKNOWN" : `E${errno}`;
}

function signalNumber(signal: NodeJS.Signals): number {
  return osConstants.signals[signal] ?? 0;
}

interface Deferred<T> {
  promise: Promise<T>;
  resolve(v: T): void;
  reject(e: unknown): void;
  settled: boolean;
}

function deferred<T>(): Deferred<T> {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => { resolve = res; reject = rej; });
  // Unobserved rejections must not crash the process: callers await what they need.
  promise.catch(() => {});
  const d: Deferred<T> = {
    promise,
    settled: false,
    resolve: (v) => { if (!d.settled) { d.settled = true; resolve(v); } },
    reject: (e) => { if (!d.settled) { d.settled = true; reject(e); } },
  };
  return d;
}

function frame(bytes: Uint8Array): Buffer {
  const head = Buffer.alloc(4);
  head.writeUInt32LE(bytes.length);
  return Buffer.concat([head, bytes]);
}

/** Start berth-init on `opts.plan` and follow its reports. Throws RangeError for a plan that cannot be encoded. */
export function runExecutor(opts: ExecutorOptions): ExecutorHandle {
  const bytes = encodePlan(opts.plan);
  const hasWaitStart = opts.plan.ops.some((op) => op.op === "wait-start");
  const pid = deferred<number>();
  const created = deferred<void>();
  const execed = deferred<void>();
  const exited = deferred<number>();
  let failure: Error | undefined;

  const failAll = (err: Error): void => {
    failure ??= err;
    pid.reject(err);
    created.reject(err);
    execed.reject(err);
  };

  const child = spawn(opts.binary ?? DEFAULT_BERTH_INIT, [opts.mode === "wait" ? "--wait" : "--detach"], {
    stdio: [...(opts.stdio ?? ["ignore", "inherit", "inherit"]), "pipe"],
  });
  const sock = child.stdio[3] as Duplex | null;

  child.on("error", (err) => {
    failAll(new Error(`spawn berth-init: ${err.message}`, { cause: err }));
    exited.reject(err);
  });
  child.on("exit", (code, signal) => {
    exited.resolve(code ?? 128 + (signal !== null ? signalNumber(signal) : 0));
  });

  if (sock === null) {
    failAll(new Error("spawn berth-init: no fd 3"));
  } else {
    sock.on("error", () => {
      // EPIPE when berth-init died before reading the plan: the exit/EOF path reports it.
    });
    sock.write(frame(bytes));

    let buffered = "";
    const onLine = (line: string): void => {
      let msg: { type?: unknown } & Record<string, unknown>;
      try {
        msg = JSON.parse(line) as typeof msg;
      } catch {
        failAll(new Error(`read berth-init report: invalid JSON line ${JSON.stringify(line)}`));
        return;
      }
      switch (msg.type) {
        case "pid":
          pid.resolve(Number(msg.pid));
          break;
        case "created":
          created.resolve();
          // Detach mode: the container waits for `start`; let a CLI process exit meanwhile.
          if (opts.mode === "detach") (sock as Duplex & { unref?: () => void }).unref?.();
          break;
        case "hook":
          void answerHook(String(msg.phase));
          break;
        case "error":
          failAll(new PlanOpError(msg as unknown as ErrorReport));
          break;
        default:
          failAll(new Error(`read berth-init report: unknown type ${JSON.stringify(msg.type)}`));
      }
    };
    const answerHook = async (phase: string): Promise<void> => {
      try {
        const containerPid = await pid.promise;
        const state = opts.onHook !== undefined ? await opts.onHook(phase, containerPid) : new Uint8Array();
        sock.write(frame(state));
      } catch (err) {
        failAll(new Error(`run hook phase ${JSON.stringify(phase)}: ${(err as Error).message}`, { cause: err }));
        // The child blocks in `sync` for our answer; it must not be left behind.
        pid.promise.then((p) => { try { process.kill(p, "SIGKILL"); } catch { /* already gone */ } }, () => {});
        sock.destroy();
      }
    };
    sock.setEncoding("utf8");
    sock.on("data", (chunk: string) => {
      buffered += chunk;
      for (let nl = buffered.indexOf("\n"); nl >= 0; nl = buffered.indexOf("\n")) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        if (line.trim() !== "") onLine(line);
      }
    });
    sock.on("close", () => {
      if (failure !== undefined) return;
      if (pid.settled && (created.settled || !hasWaitStart)) {
        created.resolve();
        execed.resolve();
        return;
      }
      // EOF before the protocol finished: report with berth-init's exit status when known.
      let timer: NodeJS.Timeout | undefined;
      const grace = new Promise<undefined>((r) => { timer = setTimeout(() => r(undefined), 2000); });
      void Promise.race([exited.promise, grace])
        .catch(() => undefined)
        .then((status) => {
          clearTimeout(timer);
          const what = pid.settled ? "the container process ended before wait-start" : "berth-init ended before reporting the pid";
          failAll(new Error(`run berth-init: ${what}${status !== undefined ? ` (exit status ${status})` : ""}`));
        });
    });
  }

  return {
    pid: pid.promise,
    created: created.promise,
    get execed(): Promise<void> {
      (sock as (Duplex & { ref?: () => void }) | null)?.ref?.();
      return execed.promise;
    },
    exited: exited.promise,
    process: child,
    kill(signal?: NodeJS.Signals): void {
      child.kill(signal ?? "SIGTERM");
    },
  };
}
