/**
 * Start berth-shim from one of the daemon's command shells (src/kernel/command-runner.ts)
 * instead of with Node's spawn: Node forks the whole daemon to spawn and blocks its event
 * loop until the child has exec'd (measured here: 20-80 ms per spawn at load 5-16, every
 * request waiting meanwhile), while a small `sh` forks in a millisecond or two. The shim
 * gets its fd 3 by connecting to a socket the daemon listens on for this one start
 * (`--sync-socket`), then everything is as with `startShim()`: the plan goes down, the
 * `pid`/`hook`/`created`/`error` reports come up, EOF after `created` means the container
 * process exec'd.
 */
import { readFileSync, rmSync } from "node:fs";
import { createServer, type Socket } from "node:net";
import { join } from "node:path";
import { runCommand } from "../../kernel/command-runner.js";
import { encodePlan } from "../../runtime/plan/encode.js";
import { PlanOpError } from "../../runtime/plan/executor.js";
import { DEFAULT_BERTH_SHIM, shimArgs, type StartedShim, type StartShimOptions } from "../../runtime/shim/index.js";
import { unavailable } from "../../shared/errors.js";

/** How long the shim may take to connect back. */
const CONNECT_TIMEOUT_MS = 30_000;

function frame(bytes: Uint8Array): Buffer {
  const head = Buffer.alloc(4);
  head.writeUInt32LE(bytes.length);
  return Buffer.concat([head, bytes]);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The shim's pid from its pid file (0 when gone). */
function shimPidOf(stateDir: string): number {
  try {
    return Number(readFileSync(join(stateDir, "shim.pid"), "utf8").trim()) || 0;
  } catch {
    return 0;
  }
}

/** Resolves once the shim that wrote `pid` has exited (it does so right after a failed plan). */
async function shimGone(pid: number): Promise<void> {
  for (let i = 0; pid > 0 && alive(pid) && i < 500; i++) await new Promise((r) => setTimeout(r, 10));
}

/** Accept the one connection of the shim being started on a socket in its state dir. */
async function acceptShim(stateDir: string, start: (path: string) => Promise<void>): Promise<Socket> {
  const path = join(stateDir, "launch.sock");
  rmSync(path, { force: true });
  const server = createServer();
  try {
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(path, () => resolve());
    });
    const accepted = new Promise<Socket>((resolve, reject) => {
      const timer = setTimeout(() => reject(unavailable(`start shim: no connection on \`${path}\` within ${CONNECT_TIMEOUT_MS / 1000} s`)), CONNECT_TIMEOUT_MS);
      server.once("connection", (s: Socket) => {
        clearTimeout(timer);
        resolve(s);
      });
    });
    accepted.catch(() => undefined);
    await start(path);
    return await accepted;
  } finally {
    server.close();
    rmSync(path, { force: true });
  }
}

/** Start a shim as `startShim()` does, from a command shell. Same result and failures. */
export async function launchShim(opts: StartShimOptions): Promise<StartedShim> {
  const binary = opts.binary ?? DEFAULT_BERTH_SHIM;
  const sock = await acceptShim(opts.stateDir, async (path) => {
    // The shell's child puts the shim in the background with /dev/null as stdio and exits:
    // the shim is nobody's child but init's (as a detached spawn left behind by us is).
    const r = await runCommand("sh", ["-c", 'exec </dev/null >/dev/null 2>&1; "$@" &', "sh", binary, ...shimArgs(opts), "--sync-socket", path]);
    if (r.code !== 0) throw unavailable(`start shim: \`${binary}\`: exit status ${r.code}: ${r.stderr.toString().trim()}`);
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
      sock.destroy();
      // The shim exits on a failed plan; report only once it is gone.
      void shimGone(shimPidOf(opts.stateDir)).then(() => reject(err));
    };
    sock.on("error", () => {
      // EPIPE when the shim died before reading the plan: the close path reports it.
    });
    sock.write(frame(encodePlan(opts.plan)));
    const answerHook = async (phase: string): Promise<void> => {
      try {
        const state = opts.onHook !== undefined ? await opts.onHook(phase, pid) : new Uint8Array();
        sock.write(frame(state));
      } catch (err) {
        fail(new Error(`run hook phase ${JSON.stringify(phase)}: ${(err as Error).message}`, { cause: err }));
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
            // Waiting for the exec must not keep the daemon alive.
            sock.unref();
            resolve({
              pid, shimPid: shimPidOf(opts.stateDir),
              get execed(): Promise<void> {
                sock.ref();
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
      fail(new Error("start shim: berth-shim ended before the container was created"));
    });
  });
}
