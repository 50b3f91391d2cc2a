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
import { DEFAULT_BERTH_SHIM, runShimSession, shimArgs, type StartedShim, type StartShimOptions } from "../../runtime/shim/index.js";
import { unavailable } from "../../shared/errors.js";

/** How long the shim may take to connect back. */
const CONNECT_TIMEOUT_MS = 30_000;

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
  return runShimSession(sock, opts, {
    gone: () => shimGone(shimPidOf(opts.stateDir)),
    shimPid: () => shimPidOf(opts.stateDir),
    endedEarly: async () => new Error("start shim: berth-shim ended before the container was created"),
  }).started;
}
