/**
 * Start berthd on a private data root and socket for one test, drive it with `berth` and
 * the real `docker` CLI, and kill it (by its pid) afterwards.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { BERTHD_NODE_FLAGS } from "../../../src/daemon/node-flags.js";

export const DAEMON_MAIN = fileURLToPath(new URL("../../../src/daemon/main.js", import.meta.url));
export const CLI_MAIN = fileURLToPath(new URL("../../../src/cli/main.js", import.meta.url));

/** Result of running a client command. */
export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
  stdoutBuf: Buffer;
}

/** Run a command to completion with optional stdin. */
export function runCommand(cmd: string, args: readonly string[], options: { input?: Buffer | string; env?: Record<string, string> } = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env: { ...process.env, ...options.env }, stdio: ["pipe", "pipe", "pipe"] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on("data", (c: Buffer) => out.push(c));
    child.stderr.on("data", (c: Buffer) => err.push(c));
    child.on("error", reject);
    child.on("close", (code) => {
      const stdoutBuf = Buffer.concat(out);
      resolve({ code: code ?? -1, stdout: stdoutBuf.toString(), stderr: Buffer.concat(err).toString(), stdoutBuf });
    });
    child.stdin.on("error", () => undefined);
    child.stdin.end(options.input ?? "");
  });
}

/** HTTP over the daemon's socket. */
export function httpCall(socketPath: string, method: string, path: string, body?: Buffer | string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, method, path }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
    });
    req.on("error", reject);
    req.end(body);
  });
}

/** A running test daemon. */
export interface TestDaemon {
  dir: string;
  dataRoot: string;
  socket: string;
  host: string;
  process: ChildProcess;
  logs(): string;
  berth(args: readonly string[], input?: Buffer | string): Promise<RunResult>;
  docker(args: readonly string[], input?: Buffer | string): Promise<RunResult>;
  stop(): Promise<void>;
}

type T = { after: (fn: () => Promise<void>) => void };

async function waitForPing(socket: string, child: ChildProcess, logs: () => string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`berthd exited with ${child.exitCode}: ${logs()}`);
    try {
      const r = await httpCall(socket, "GET", "/_ping");
      if (r.status === 200) {
        // /_ping answers as soon as the socket is bound; any other request waits until the
        // daemon is ready: tests that look at the data root or the host right away need that.
        const v = await httpCall(socket, "GET", "/version");
        if (v.status !== 200) throw new Error(`berthd did not start: ${v.status} ${v.body} ${logs()}`);
        return;
      }
    } catch (err) {
      if (err instanceof Error && err.message.startsWith("berthd did not start")) throw err;
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`berthd did not answer /_ping in time: ${logs()}`);
}

/** Spawn berthd with extra args (no waiting); for tests of start-up failures. */
export function spawnDaemon(dir: string, dataRoot: string, socket: string, extra: readonly string[] = []): ChildProcess {
  return spawn(process.execPath, [...BERTHD_NODE_FLAGS, DAEMON_MAIN, "--data-root", dataRoot, "--exec-root", join(dir, "run"), "-H", `unix://${socket}`,
    "--config-file", join(dir, "daemon.json"), ...extra], { stdio: ["ignore", "ignore", "pipe"] });
}

/** Force-remove every container of the daemon on `socket`. */
async function removeAllContainers(socket: string): Promise<void> {
  const list = await httpCall(socket, "GET", "/containers/json?all=1");
  if (list.status !== 200) return;
  const ids = (JSON.parse(list.body) as Array<{ Id: string }>).map((c) => c.Id);
  await Promise.all(ids.map((id) => httpCall(socket, "DELETE", `/containers/${id}?force=1`)));
}

/** Start berthd for this test; it is killed and its directory removed after the test. */
export async function startDaemon(t: T, opts: { daemonJson?: Record<string, unknown> } = {}): Promise<TestDaemon> {
  const dir = await mkdtemp(join(tmpdir(), "berth-it-"));
  const { writeFile } = await import("node:fs/promises");
  await writeFile(join(dir, "daemon.json"), JSON.stringify(opts.daemonJson ?? {}));
  const dataRoot = join(dir, "data");
  const socket = join(dir, "berth.sock");
  const child = spawnDaemon(dir, dataRoot, socket);
  let log = "";
  child.stderr?.on("data", (c: Buffer) => { log += c.toString(); });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
      process.kill(child.pid, "SIGTERM");
      // berthd stops running containers with their stop timeout (10 s unless set), as dockerd.
      const timer = setTimeout(() => { if (child.pid !== undefined && child.exitCode === null) process.kill(child.pid, "SIGKILL"); }, 30_000);
      await exited;
      clearTimeout(timer);
    }
  };
  t.after(async () => {
    // Containers a test left behind go at once (SIGKILL), not with their stop timeout at shutdown.
    await removeAllContainers(socket).catch(() => undefined);
    await stop();
    await rm(dir, { recursive: true, force: true });
  });
  await waitForPing(socket, child, () => log);
  const host = `unix://${socket}`;
  const dockerEnv = { DOCKER_CONFIG: join(dir, "docker-config"), DOCKER_HOST: host, DOCKER_CONTEXT: "" };
  return {
    dir, dataRoot, socket, host, process: child,
    logs: () => log,
    berth: (args, input) => runCommand(process.execPath, [CLI_MAIN, "-H", host, ...args], input !== undefined ? { input } : {}),
    docker: (args, input) => runCommand("docker", args, { env: dockerEnv, ...(input !== undefined ? { input } : {}) }),
    stop,
  };
}

/** Resolves once the daemon has published an `attach` event for `name` since `since` (s). */
export async function attached(d: TestDaemon, name: string, since: number): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const ev = await d.docker(["events", "--since", String(since), "--until", String(Math.ceil(Date.now() / 1000)),
      "--filter", `container=${name}`, "--filter", "event=attach", "--format", "{{.Action}}"]);
    if (ev.stdout.includes("attach")) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`no attach event for ${name}`);
}
