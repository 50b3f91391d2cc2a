/**
 * The seam between the container service and whatever runs container processes: a
 * running task with its stdio, exit status, signals and resize. `DirectRuntime` is the
 * first implementation: the in-process runtime library (`Runtime.run` in wait mode, so
 * berth-init stays the container's parent), with the daemon holding the container's
 * stdio through FIFOs. It does not survive a daemon restart; the shim implementation will.
 */
import { execFile } from "node:child_process";
import { closeSync, constants as fsc, openSync, unlinkSync } from "node:fs";
import { Socket } from "node:net";
import { join } from "node:path";
import type { Readable, Writable } from "node:stream";
import { promisify } from "node:util";
import { Runtime } from "../../runtime/runtime.js";
import { detectCgroupLayout, openCgroupManager, type CgroupLayout, type CgroupStats, type LinuxResources } from "../../runtime/cgroups/index.js";
import type { Process } from "../../runtime/spec/types.js";
import { BerthError } from "../../shared/errors.js";
import { runChecked } from "../../kernel/command-runner.js";

const execFileP = promisify(execFile);

/** How a task's stdio is set up. */
export interface TaskIo {
  /** Give the process a stdin the daemon can write to (else /dev/null). */
  stdin: boolean;
  /** The process has a terminal: one raw output stream, no stderr. */
  terminal: boolean;
  /** Where and how the container's log is written (runtimes that write the log). @default json-file at the runtime's own path, no rotation */
  log?: { driver: "json-file" | "none"; path: string; maxSize: number; maxFile: number; attrs?: string };
}

/** A running container process (init or exec). */
export interface Task {
  readonly pid: number;
  /** stdout, or the terminal's output. Ends when every writer is gone. */
  readonly stdout: Readable;
  /** stderr (undefined with a terminal). */
  readonly stderr: Readable | undefined;
  /** stdin, when asked for. */
  readonly stdin: Writable | undefined;
  /** Exit status (128+n when killed by signal n). */
  readonly exited: Promise<number>;
  /** After `exited` settled: whether the kernel OOM-killed it (false when unknown). */
  oomKilled?(): boolean;
  /** Resize the terminal (no-op when the implementation cannot). */
  resize(height: number, width: number): Promise<void>;
}

/** The lifecycle operations the container service needs. */
export interface ContainerRuntime {
  /** The runtime writes the json-file log itself (the shim); otherwise the service does. */
  readonly writesLog?: boolean;
  /**
   * After a daemon restart: the task of a container still running, the exit code of one
   * that exited meanwhile, or undefined when nothing is known (absent: nothing survives).
   */
  reconnect?(id: string, io: TaskIo): Promise<Task | { exitCode: number } | undefined>;
  /** Create and start the container process from the bundle (config.json). */
  start(id: string, bundle: string, io: TaskIo): Promise<Task>;
  /** Signal the container's init. */
  kill(id: string, signal: number): Promise<void>;
  /** Run a process in the running container. */
  exec(id: string, execId: string, proc: Process, io: TaskIo): Promise<Task>;
  /** Host pids of every process of the container. */
  pids(id: string): Promise<number[]>;
  /** Remove whatever the runtime still holds for `id` (kills it). */
  cleanup(id: string): Promise<void>;
  /** Freeze every process of the running container (absent: pause is not supported). */
  pause?(id: string): Promise<void>;
  /** Thaw a paused container. */
  resume?(id: string): Promise<void>;
  /** The cgroup counters of the container (absent: stats are not supported). */
  stats?(id: string): Promise<CgroupStats>;
  /** Apply `resources` to the running container's cgroup (only the fields given). */
  update?(id: string, resources: LinuxResources): Promise<void>;
}

interface Fifos {
  stdin: { daemonFd: number; childFd: number } | undefined;
  stdout: { daemonFd: number; childFd: number };
  stderr: { daemonFd: number; childFd: number } | undefined;
}

function safeClose(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    // already closed
  }
}

/**
 * FIFOs for a process's stdio. Output: the daemon's read end is non-blocking (its own
 * open file description), the child's write end blocking. Input: the daemon holds an
 * O_RDWR end so the child's blocking O_RDONLY open returns at once; closing it gives the
 * child EOF. The paths are unlinked at once: only the fds matter.
 */
async function makeFifos(dir: string, prefix: string, io: TaskIo): Promise<Fifos> {
  const names = { stdin: join(dir, `${prefix}.stdin`), stdout: join(dir, `${prefix}.stdout`), stderr: join(dir, `${prefix}.stderr`) };
  const wanted = [names.stdout, ...(io.terminal ? [] : [names.stderr]), ...(io.stdin ? [names.stdin] : [])];
  for (const p of wanted) {
    try {
      unlinkSync(p);
    } catch {
      // not there
    }
  }
  await runChecked("mkfifo", ["-m", "600", ...wanted]);
  const opened: number[] = [];
  try {
    const out = (p: string) => {
      const daemonFd = openSync(p, fsc.O_RDONLY | fsc.O_NONBLOCK);
      opened.push(daemonFd);
      const childFd = openSync(p, fsc.O_WRONLY);
      opened.push(childFd);
      return { daemonFd, childFd };
    };
    const stdout = out(names.stdout);
    const stderr = io.terminal ? undefined : out(names.stderr);
    let stdin: Fifos["stdin"];
    if (io.stdin) {
      const daemonFd = openSync(names.stdin, fsc.O_RDWR);
      opened.push(daemonFd);
      const childFd = openSync(names.stdin, fsc.O_RDONLY);
      opened.push(childFd);
      stdin = { daemonFd, childFd };
    }
    return { stdin, stdout, stderr };
  } catch (err) {
    for (const fd of opened) safeClose(fd);
    throw err;
  } finally {
    for (const p of wanted) {
      try {
        unlinkSync(p);
      } catch {
        // gone
      }
    }
  }
}

function readSide(fd: number): Readable {
  const s = new Socket({ fd, readable: true, writable: false });
  s.on("error", () => undefined);
  return s;
}

function writeSide(fd: number): Writable {
  const s = new Socket({ fd, readable: false, writable: true });
  s.on("error", () => undefined);
  return s;
}

function stdioOf(f: Fifos): [number | "ignore", number, number | "ignore"] {
  return [f.stdin?.childFd ?? "ignore", f.stdout.childFd, f.stderr?.childFd ?? "ignore"];
}

function closeChildEnds(f: Fifos): void {
  if (f.stdin !== undefined) safeClose(f.stdin.childFd);
  safeClose(f.stdout.childFd);
  if (f.stderr !== undefined) safeClose(f.stderr.childFd);
}

function closeAll(f: Fifos): void {
  closeChildEnds(f);
  if (f.stdin !== undefined) safeClose(f.stdin.daemonFd);
  safeClose(f.stdout.daemonFd);
  if (f.stderr !== undefined) safeClose(f.stderr.daemonFd);
}

/** The runtime library in the daemon's process; containers die with the daemon. */
export class DirectRuntime implements ContainerRuntime {
  readonly runtime: Runtime;
  private readonly fifoDir: string;
  private layout: CgroupLayout | undefined;

  /** @param root runtime state root; @param fifoDir where stdio FIFOs are made (briefly) */
  constructor(root: string, fifoDir: string) {
    this.runtime = new Runtime({ root });
    this.fifoDir = fifoDir;
  }

  async start(id: string, bundle: string, io: TaskIo): Promise<Task> {
    const fifos = await makeFifos(this.fifoDir, id, io);
    let onStarted!: () => void;
    const started = new Promise<void>((r) => { onStarted = r; });
    const exited = this.runtime.run(id, bundle, { stdio: stdioOf(fifos), onStart: () => onStarted() });
    exited.catch(() => undefined);
    try {
      await Promise.race([started, exited]);
    } catch (err) {
      closeAll(fifos);
      throw err;
    }
    closeChildEnds(fifos);
    let pid = 0;
    try {
      pid = (await this.runtime.state(id)).pid ?? 0;
    } catch {
      // already exited and deleted
    }
    return {
      pid,
      stdout: readSide(fifos.stdout.daemonFd),
      stderr: fifos.stderr !== undefined ? readSide(fifos.stderr.daemonFd) : undefined,
      stdin: fifos.stdin !== undefined ? writeSide(fifos.stdin.daemonFd) : undefined,
      exited: exited.catch((err: unknown) => exitStatusOfError(err)),
      resize: async () => undefined,
    };
  }

  async kill(id: string, signal: number): Promise<void> {
    await this.runtime.kill(id, signal);
  }

  async exec(id: string, execId: string, proc: Process, io: TaskIo): Promise<Task> {
    const fifos = await makeFifos(this.fifoDir, execId, io);
    let h;
    try {
      h = await this.runtime.exec(id, proc, { stdio: stdioOf(fifos) });
    } catch (err) {
      closeAll(fifos);
      throw err;
    }
    closeChildEnds(fifos);
    return {
      pid: h.pid,
      stdout: readSide(fifos.stdout.daemonFd),
      stderr: fifos.stderr !== undefined ? readSide(fifos.stderr.daemonFd) : undefined,
      stdin: fifos.stdin !== undefined ? writeSide(fifos.stdin.daemonFd) : undefined,
      exited: h.exited,
      resize: async () => undefined,
    };
  }

  async pids(id: string): Promise<number[]> {
    try {
      return await this.runtime.ps(id);
    } catch {
      return [];
    }
  }

  async pause(id: string): Promise<void> {
    await this.runtime.pause(id);
  }

  async resume(id: string): Promise<void> {
    await this.runtime.resume(id);
  }

  async stats(id: string): Promise<CgroupStats> {
    return this.runtime.stats(id);
  }

  async update(id: string, resources: LinuxResources): Promise<void> {
    const rec = this.runtime.store.read(id);
    this.layout ??= detectCgroupLayout();
    openCgroupManager(rec.cgroupsPath, { layout: this.layout }).set(resources);
  }

  async cleanup(id: string): Promise<void> {
    try {
      await this.runtime.delete(id, { force: true });
    } catch (err) {
      if (err instanceof BerthError && err.kind === "not-found") return;
      throw err;
    }
  }
}

/**
 * Docker's exit statuses for a process that could not be executed: 127 when the file
 * is missing, 126 when it cannot be run.
 */
export function exitStatusOfError(err: unknown): number {
  const msg = err instanceof Error ? err.message : String(err);
  if (/not found|ENOENT|no such file/i.test(msg)) return 127;
  if (/EACCES|permission denied|EISDIR|is a directory|ENOEXEC/i.test(msg)) return 126;
  return 255;
}

