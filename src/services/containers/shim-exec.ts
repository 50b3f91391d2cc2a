/**
 * `docker exec` through the container's shim (REQ_EXEC, native/shim/README.md): the shim,
 * small and already the container's parent, forks `berth-init --wait` on the exec plan
 * with its own pipes as the process's stdio, so the daemon (a big Node process, whose
 * every spawn costs a fork of all of it) forks nothing. One connection per exec carries
 * berth-init's reports, the output, stdin and the exit status.
 */
import { createConnection } from "node:net";
import { join } from "node:path";
import { PassThrough, Writable } from "node:stream";
import { encodePlan } from "../../runtime/plan/encode.js";
import { PlanOpError } from "../../runtime/plan/executor.js";
import type { Plan } from "../../runtime/plan/plan.js";
import { encodeFrame, FrameDecoder } from "../../runtime/shim/protocol.js";
import { failedPrecondition, unavailable } from "../../shared/errors.js";
import type { Task } from "./container-runtime.js";

/** Frame types of an exec session (mirror of native/shim/loop.c). */
export const EXEC_FRAME = {
  /** client → shim: u8 flags (bit 0 stdin, bit 1 terminal), then the encoded plan. */
  exec: 0x58, // 'X'
  /** shim → client: bytes berth-init wrote on its fd 3 (JSON lines: pid, error). */
  report: 0x70, // 'p'
  /** shim → client: EOF on berth-init's fd 3 (the process exec'd, unless an error came). */
  execed: 0x65, // 'e'
  reply: 0x72, // 'r'
  stdin: 0x49, // 'I'
  stdinClose: 0x43, // 'C'
  exit: 0x78, // 'x'
} as const;

/** The largest stdin frame sent (the shim accepts up to 1 MiB). */
const STDIN_CHUNK = 256 << 10;

/** How an exec runs: its stdio. */
export interface ShimExecIo {
  /** The process reads stdin from the daemon (else /dev/null). */
  readonly stdin: boolean;
  /** The plan sets up a terminal: berth-init relays it; one output stream. */
  readonly terminal: boolean;
}

/** A shim older than exec sessions: the caller runs the exec itself. */
export class ShimExecUnsupported extends Error {
  constructor() {
    super("exec through the shim: the shim does not know the request");
    this.name = "ShimExecUnsupported";
  }
}

interface Report {
  type?: unknown;
  pid?: unknown;
  op?: unknown;
  name?: unknown;
  errno?: unknown;
  message?: unknown;
  path?: unknown;
}

/**
 * Run `plan` (compiled by `compileExecPlan`) in container `id` through its shim in
 * `stateDir`. Resolves once the process exec'd; rejects with failed-precondition when it
 * could not be started, and with ShimExecUnsupported when the shim predates exec sessions.
 */
export function execThroughShim(stateDir: string, id: string, plan: Plan, io: ShimExecIo): Promise<Task> {
  const flags = (io.stdin ? 1 : 0) | (io.terminal ? 2 : 0);
  const payload = Buffer.concat([Buffer.from([flags]), encodePlan(plan)]);
  const sock = createConnection(join(stateDir, "shim.sock"));
  const decoder = new FrameDecoder();
  const stdout = new PassThrough();
  const stderr = io.terminal ? undefined : new PassThrough();
  let resolveExit!: (code: number) => void;
  const exited = new Promise<number>((r) => { resolveExit = r; });
  let started = false;
  let replied = false;
  let execPid = 0;
  let failure: Error | undefined;
  let reportText = "";
  let settle!: { resolve: (t: Task) => void; reject: (e: unknown) => void };
  const start = new Promise<Task>((resolve, reject) => { settle = { resolve, reject }; });

  const fail = (err: Error): void => {
    if (started) return;
    started = true;
    settle.reject(err);
    sock.destroy();
  };
  let finished = false;
  const finish = (code: number): void => {
    if (finished) return;
    finished = true;
    stdout.end();
    stderr?.end();
    resolveExit(code);
  };
  const onReports = (text: string): void => {
    reportText += text;
    for (let nl = reportText.indexOf("\n"); nl >= 0; nl = reportText.indexOf("\n")) {
      const line = reportText.slice(0, nl);
      reportText = reportText.slice(nl + 1);
      let msg: Report;
      try {
        msg = JSON.parse(line) as Report;
      } catch {
        failure ??= new Error(`read berth-init report: invalid JSON line ${JSON.stringify(line)}`);
        continue;
      }
      if (msg.type === "pid") execPid = Number(msg.pid);
      else if (msg.type === "error") {
        failure ??= new PlanOpError({
          op: Number(msg.op), name: String(msg.name), errno: Number(msg.errno), message: String(msg.message),
          ...(typeof msg.path === "string" ? { path: msg.path } : {}),
        });
      }
    }
  };
  const stdin = io.stdin
    ? new Writable({
      write(chunk: Buffer, _enc, cb) {
        for (let off = 0; off < chunk.length; off += STDIN_CHUNK) sock.write(encodeFrame(EXEC_FRAME.stdin, chunk.subarray(off, off + STDIN_CHUNK)));
        cb();
      },
      final(cb) {
        sock.write(encodeFrame(EXEC_FRAME.stdinClose));
        cb();
      },
    })
    : undefined;
  stdin?.on("error", () => undefined);

  sock.on("connect", () => sock.write(encodeFrame(EXEC_FRAME.exec, payload)));
  sock.on("data", (chunk: Buffer) => {
    let frames;
    try {
      frames = decoder.push(chunk);
    } catch (err) {
      fail(unavailable(`exec in container "${id}": shim connection: ${(err as Error).message}`, err));
      finish(255);
      return;
    }
    for (const f of frames) {
      switch (f.type) {
        case EXEC_FRAME.reply: {
          replied = true;
          const r = JSON.parse(f.payload.toString("utf8")) as { error?: string; errno?: number };
          if (r.error !== undefined) {
            // An old shim answers EINVAL "unknown request type".
            if (/unknown request type/.test(r.error)) fail(new ShimExecUnsupported());
            else fail(failedPrecondition(`exec in container "${id}": ${r.error}`));
          }
          break;
        }
        case EXEC_FRAME.report:
          onReports(f.payload.toString("utf8"));
          break;
        case EXEC_FRAME.execed:
          if (failure !== undefined || execPid <= 0) {
            const cause = failure ?? new Error("berth-init ended before it reported a pid");
            fail(failedPrecondition(`exec in container "${id}": ${cause.message}`, cause));
          } else if (!started) {
            started = true;
            settle.resolve({
              pid: execPid, stdout, stderr, stdin, exited,
              // berth-init relays the terminal; it follows no resize (as before, without the shim).
              resize: async () => undefined,
            });
          }
          break;
        case 1:
          stdout.write(f.payload);
          break;
        case 2:
          (stderr ?? stdout).write(f.payload);
          break;
        case EXEC_FRAME.exit: {
          const e = JSON.parse(f.payload.toString("utf8")) as { exitCode?: number };
          if (!started) {
            const cause = failure ?? new Error(`berth-init exited with status ${e.exitCode ?? 255} before the process started`);
            fail(failedPrecondition(`exec in container "${id}": ${cause.message}`, cause));
          }
          finish(e.exitCode ?? 255);
          break;
        }
        default:
          break;
      }
    }
  });
  sock.on("error", (err) => {
    fail(unavailable(`exec in container "${id}": shim connection: ${err.message}`, err));
  });
  sock.on("close", () => {
    if (!started) fail(replied ? failedPrecondition(`exec in container "${id}": the shim closed the connection`) : unavailable(`exec in container "${id}": the shim closed the connection`));
    // A connection lost before the exit frame: the status is unknown.
    finish(255);
  });
  return start;
}
