/**
 * The daemon's half of a shim start on the shim's fd 3, however that fd was made (a spawn's
 * pipe in `startShim`, a connection back to the daemon in the service's `launchShim`): the
 * plan goes down as one length-prefixed frame, berth-init's reports come up as JSON lines
 * (`pid`, `hook` answered with a frame, `created`, `error`), and EOF after `created` means
 * the container process exec'd.
 */
import type { Duplex } from "node:stream";
import { encodePlan } from "../plan/encode.js";
import { PlanOpError } from "../plan/executor.js";
import type { StartedShim, StartShimOptions } from "./start.js";

/** How the caller's kind of shim process ends. */
export interface ShimSessionEnds {
  /** Resolves once the shim process is gone (it exits right after a failed plan). */
  gone(): Promise<void>;
  /** The shim's pid, asked once the container is created. */
  shimPid(): number;
  /** The error for fd 3 closing before `created`. */
  endedEarly(): Promise<Error>;
}

/** A running start: `started` settles with the created container or the start's failure. */
export interface ShimSession {
  readonly started: Promise<StartedShim>;
  /** Fail the start from outside (the shim could not be spawned). */
  fail(err: Error): void;
}

function frame(bytes: Uint8Array): Buffer {
  const head = Buffer.alloc(4);
  head.writeUInt32LE(bytes.length);
  return Buffer.concat([head, bytes]);
}

/** Drive the start over `sock`. A failure before `created` is reported once the shim is gone. */
export function runShimSession(sock: Duplex, opts: Pick<StartShimOptions, "plan" | "onHook">, ends: ShimSessionEnds): ShimSession {
  const refable = sock as Duplex & { ref?: () => void; unref?: () => void };
  let settleExec!: (err?: Error) => void;
  const execed = new Promise<void>((resolve, reject) => {
    settleExec = (err) => (err === undefined ? resolve() : reject(err));
  });
  execed.catch(() => {});
  let fail!: (err: Error) => void;
  const started = new Promise<StartedShim>((resolve, reject) => {
    let pid = 0;
    let created = false;
    let failure: Error | undefined;
    fail = (err) => {
      if (failure !== undefined) return;
      failure = err;
      settleExec(err);
      if (created) return;
      // The container process needs no kill: it exits after reporting its error, or reads
      // EOF in `sync` once our end of fd 3 is gone, and the shim exits with it.
      sock.destroy();
      void ends.gone().then(() => reject(err));
    };
    sock.on("error", () => { /* EPIPE when the shim died early: the close path reports it */ });
    sock.write(frame(encodePlan(opts.plan)));
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
            // Waiting for the exec must not keep the process alive; asking for it does.
            refable.unref?.();
            resolve({
              pid, shimPid: ends.shimPid(),
              get execed(): Promise<void> {
                refable.ref?.();
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
      void ends.endedEarly().then(fail);
    });
  });
  return { started, fail: (err) => fail(err) };
}
