/**
 * The in-process runtime library: what `berth-runtime` and the daemon call to create,
 * start, signal, inspect and delete OCI containers. Policy lives here (and in the plan
 * compiler); the syscalls are made by `native/build/berth-init` through `runExecutor()`.
 *
 * Lifecycle (OCI runtime spec): `create` leaves the user process blocked before execve on
 * the exec fifo (status "created"); `start` opens the fifo, which lets it execve
 * ("running"); when the process is gone the status is "stopped" and `delete` removes the
 * cgroup and the state. The live status is always derived from the process (checked
 * against its start time, so a reused pid is not mistaken for the container), the exec
 * fifo and the freezer; `state.json` only records what was decided.
 */
import { existsSync, openSync, closeSync, readSync, readFileSync, statSync, lstatSync, readlinkSync, constants as fsc, unlinkSync } from "node:fs";
import { constants as osc } from "node:os";
import { posix, resolve } from "node:path";
import { BerthError, failedPrecondition, internal, invalidArgument } from "../shared/errors.js";
import type { Plan } from "./plan/plan.js";
import type { runExecutor } from "./plan/executor.js";
import type { CgroupManager, CgroupLayout } from "./cgroups/index.js";
import type { CgroupStats } from "./cgroups/stats.js";
import { parseSpec } from "./spec/validate.js";
import { OCI_VERSION, type Process, type Spec, type State } from "./spec/types.js";
import { hostCapabilities, isAlive, procStat } from "./proc.js";
import { StateStore, writeFileAtomic, type ContainerRecord } from "./state.js";
import { cgroupMountSources, hostCompileContext } from "./host-compile-context.js";

/** The default state root, as runc's /run/runc. */
export const DEFAULT_ROOT = "/run/berth-runtime";

/** Where library warnings go (failing poststart/poststop hooks...). Default: nowhere. */
export interface RuntimeLogger {
  warn(msg: string): void;
  debug(msg: string): void;
}

const silent: RuntimeLogger = { warn: () => {}, debug: () => {} };

export interface RuntimeOptions {
  /** State directory root. @default "/run/berth-runtime" */
  readonly root?: string;
  /** Passed to the cgroup manager (where the cgroup filesystems are). */
  readonly cgroupRoot?: string;
  readonly logger?: RuntimeLogger;
}

type ExecutorStdio = Parameters<typeof runExecutor>[0]["stdio"];

export interface CreateOptions {
  /** Write the container's host pid here (atomically) once created. */
  readonly pidFile?: string;
  /** Unix socket that receives the pty master (SCM_RIGHTS) when process.terminal is set. */
  readonly consoleSocket?: string;
  /** chroot instead of pivot_root (for a rootfs on a ramdisk). */
  readonly noPivot?: boolean;
  /** stdio of the container process (inherited through berth-init). */
  readonly stdio?: ExecutorStdio;
}

export interface RunOptions extends CreateOptions {
  /** Return once started (true) or wait for the exit status and delete (false, the default). */
  readonly detach?: boolean;
  /** Called with the container's pid as soon as it is known (foreground run: for signal forwarding). */
  readonly onStart?: (kill: (signal: NodeJS.Signals | number) => void) => void;
}

export interface ExecOptions {
  readonly detach?: boolean;
  readonly pidFile?: string;
  readonly consoleSocket?: string;
  readonly stdio?: ExecutorStdio;
}

/** A process started by `exec`. */
export interface ExecHandle {
  readonly pid: number;
  /** Exit status of the process (128+n when killed by signal n); for a detached exec, resolves to 0 once it runs. */
  readonly exited: Promise<number>;
  kill(signal?: NodeJS.Signals | number): void;
}

/** One row of `list`. */
export interface ContainerSummary {
  readonly id: string;
  readonly pid: number;
  readonly status: State["status"];
  readonly bundle: string;
  readonly rootfs: string;
  readonly created: string;
  readonly owner: string;
}

/** Parse a signal given as a number, `KILL` or `SIGKILL`. */
export function parseSignal(sig: string | number): number {
  if (typeof sig === "number") return sig;
  if (/^\d+$/.test(sig)) return Number(sig);
  const name = (sig.toUpperCase().startsWith("SIG") ? sig.toUpperCase() : `SIG${sig.toUpperCase()}`) as keyof typeof osc.signals;
  const n = osc.signals[name];
  if (n === undefined) throw invalidArgument(`parse signal "${sig}": unknown signal`);
  return n;
}

/** Host-side hooks, loaded only for specs that have some (child_process costs start-up time). */
async function runHooks(...args: Parameters<typeof import("./hooks.js").runHooks>): Promise<void> {
  if ((args[1]?.length ?? 0) === 0) return;
  const hooks = await import("./hooks.js");
  return hooks.runHooks(...args);
}

/**
 * The plan compiler and executor, loaded on first create/exec: the commands that only read
 * or signal a container (`state`, `kill`, `delete`...) start faster without them.
 */
async function loadPlanModules() {
  const [compile, executor] = await Promise.all([import("./plan/compile.js"), import("./plan/executor.js")]);
  return { ...compile, runExecutor: executor.runExecutor };
}

/** The name of a signal number, for APIs that take names. */
export function signalName(sig: NodeJS.Signals | number): NodeJS.Signals {
  if (typeof sig !== "number") return sig;
  const e = Object.entries(osc.signals).find(([, n]) => n === sig);
  if (e === undefined) throw invalidArgument(`parse signal "${sig}": unknown signal`);
  return e[0] as NodeJS.Signals;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function errnoOf(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException).code;
}

/**
 * Fail early, as runc does, when process.args[0] cannot be found in the rootfs (through
 * PATH from process.env when it has no slash). Paths under a spec mount are not checked:
 * the binary may come from that mount.
 */
function checkExecutable(spec: Spec, rootfs: string): void {
  const proc = spec.process;
  const name = proc?.args[0];
  if (proc === undefined || name === undefined) return;
  const mounted = (p: string) => (spec.mounts ?? []).some((m) => p === m.destination || p.startsWith(`${m.destination.replace(/\/$/, "")}/`));
  const candidates = name.includes("/")
    ? [posix.resolve(proc.cwd, name)]
    : (proc.env?.find((e) => e.startsWith("PATH="))?.slice(5) ?? "").split(":").filter((d) => d !== "").map((d) => posix.join(posix.resolve(proc.cwd, d), name));
  if (candidates.length === 0 || candidates.some(mounted)) return;
  for (const c of candidates) {
    try {
      // Follow symlinks inside the rootfs by hand: absolute links point into the container.
      let p = c;
      for (let i = 0; i < 40; i++) {
        const host = posix.join(rootfs, p);
        const st = lstatSync(host);
        if (!st.isSymbolicLink()) {
          if (st.isFile()) return;
          break;
        }
        const target = readlinkSync(host);
        p = target.startsWith("/") ? target : posix.join(posix.dirname(p), target);
        if (mounted(p)) return;
      }
    } catch {
      // not this candidate
    }
  }
  throw invalidArgument(`invalid config.json: process.args[0] ${JSON.stringify(name)}: executable file not found${name.includes("/") ? "" : " in $PATH"}`);
}

/**
 * The runtime library. One instance per state root; safe to use for many containers from
 * one process (the daemon does).
 */
export class Runtime {
  readonly store: StateStore;
  readonly #cgroupRoot: string | undefined;
  readonly #log: RuntimeLogger;

  constructor(opts: RuntimeOptions = {}) {
    this.store = new StateStore(opts.root ?? DEFAULT_ROOT);
    this.#cgroupRoot = opts.cgroupRoot;
    this.#log = opts.logger ?? silent;
  }

  #layoutCache: CgroupLayout | undefined;

  // The mount table of cgroup hierarchies does not change under us: read it once.
  #cgroupsModule: typeof import("./cgroups/index.js") | undefined;

  // Loaded on first need: `start` and `state` of a created container do without it.
  async #loadCgroups(): Promise<typeof import("./cgroups/index.js")> {
    this.#cgroupsModule ??= await import("./cgroups/index.js");
    return this.#cgroupsModule;
  }

  #cgroups(): typeof import("./cgroups/index.js") {
    if (this.#cgroupsModule === undefined) throw internal("use cgroups: module not loaded");
    return this.#cgroupsModule;
  }

  #layout(): CgroupLayout {
    this.#layoutCache ??= this.#cgroups().detectCgroupLayout(this.#cgroupRoot !== undefined ? { root: this.#cgroupRoot } : {});
    return this.#layoutCache;
  }

  #cgroup(path: string): CgroupManager {
    return this.#cgroups().openCgroupManager(path, {
      layout: this.#layout(),
      logger: this.#log,
      ...(this.#cgroupRoot !== undefined ? { root: this.#cgroupRoot } : {}),
    });
  }

  #spec(bundle: string): Spec {
    let text: string;
    try {
      text = readFileSync(posix.join(bundle, "config.json"), "utf8");
    } catch (err) {
      throw invalidArgument(`read config.json in bundle "${bundle}": ${errnoOf(err) ?? String(err)}`, err);
    }
    return parseSpec(text);
  }

  /** The live status of a recorded container. */
  async #status(rec: ContainerRecord): Promise<State["status"]> {
    if (rec.status === "creating") return rec.pid > 0 && isAlive(rec.pid, rec.startTime) ? "creating" : "stopped";
    if (!isAlive(rec.pid, rec.startTime)) return "stopped";
    if (existsSync(this.store.fifo(rec.id))) return "created";
    await this.#loadCgroups();
    try {
      if (this.#cgroup(rec.cgroupsPath).frozen()) return "paused";
    } catch {
      // A cgroup that cannot be read is not frozen by us.
    }
    return "running";
  }

  #state(rec: ContainerRecord, status: State["status"]): State {
    return {
      ociVersion: OCI_VERSION,
      id: rec.id,
      status,
      ...(status !== "stopped" && rec.pid > 0 ? { pid: rec.pid } : {}),
      bundle: rec.bundle,
      ...(rec.annotations !== undefined ? { annotations: rec.annotations } : {}),
    };
  }

  /** The OCI state of container `id` (not-found when there is none). */
  async state(id: string): Promise<State & { created: string; owner: string; rootfs: string }> {
    const rec = this.store.read(id);
    return { ...this.#state(rec, await this.#status(rec)), created: rec.created, owner: rec.owner, rootfs: rec.rootfs };
  }

  async #seccomp(spec: Spec): Promise<{ filter: Uint8Array; flags: number } | undefined> {
    const profile = spec.linux?.seccomp;
    if (profile === undefined) return undefined;
    // Loaded on first use: the syscall tables cost tens of milliseconds at start-up.
    const { compileSeccomp } = await import("./seccomp/index.js");
    try {
      return compileSeccomp(profile, process.arch);
    } catch (err) {
      throw invalidArgument(`invalid config.json: linux.seccomp: ${(err as Error).message}`, err);
    }
  }

  /**
   * Create container `id` from the bundle: the process is set up and blocked before execve
   * until `start`. Runs prestart and createRuntime hooks (host) and createContainer hooks
   * (container). On failure nothing is left behind: process, cgroup, fifo and state dir.
   */
  async create(id: string, bundle: string, opts: CreateOptions = {}): Promise<State> {
    const r = await this.#create(id, bundle, opts, "detach");
    return r.state;
  }

  async #create(id: string, bundleIn: string, opts: CreateOptions, mode: "detach" | "wait"):
    Promise<{ state: State; handle: ReturnType<typeof runExecutor>; kill: (sig?: NodeJS.Signals | number) => void }> {
    const bundle = resolve(bundleIn);
    const { compilePlan, deviceCgroupRules, runExecutor } = await loadPlanModules();
    await this.#loadCgroups();
    const spec = this.#spec(bundle);
    const proc = spec.process;
    if (proc === undefined) throw invalidArgument("invalid config.json: process is required to create a container");
    if (proc.terminal === true && mode === "detach" && opts.consoleSocket === undefined) {
      throw invalidArgument("create container: process.terminal needs a console socket (--console-socket) when detached");
    }
    const rootfs = resolve(bundle, spec.root.path);
    let rootStat;
    try {
      rootStat = statSync(rootfs);
    } catch (err) {
      throw invalidArgument(`invalid config.json: root.path "${rootfs}" does not exist`, err);
    }
    if (!rootStat.isDirectory()) throw invalidArgument(`invalid config.json: root.path "${rootfs}" is not a directory`);
    checkExecutable(spec, rootfs);
    const seccomp = await this.#seccomp(spec);
    const cgroupsPath = spec.linux?.cgroupsPath ?? `/berth-runtime/${id}`;
    this.store.reserve(id);
    const base: ContainerRecord = {
      id, bundle, rootfs, pid: 0, startTime: "", status: "creating", cgroupsPath,
      ...(spec.annotations !== undefined ? { annotations: spec.annotations } : {}),
      created: new Date().toISOString(), owner: String(process.getuid?.() ?? 0),
    };
    let cgroup: CgroupManager | undefined;
    let pid = 0;
    let handle: ReturnType<typeof runExecutor> | undefined;
    try {
      // A placeholder so a crash mid-create leaves something `delete` can clean up; only
      // the "created" record below needs to survive power loss (fsync).
      this.store.write(base, { durable: false });
      cgroup = this.#cgroup(cgroupsPath);
      cgroup.create();
      cgroup.set({ ...(spec.linux?.resources ?? {}), devices: deviceCgroupRules(spec) });
      const procsFiles = cgroup.procsFiles();
      const plan = compilePlan(spec, {
        rootfs, bundle, execFifo: this.store.fifo(id), cgroupProcs: procsFiles,
        ...(seccomp !== undefined ? { seccomp } : {}),
        ...(opts.consoleSocket !== undefined ? { consoleSocket: resolve(opts.consoleSocket) } : {}),
        ...(opts.noPivot === true ? { noPivot: true } : {}),
        cgroupMounts: cgroupMountSources(this.#layout(), this.#cgroupRoot ?? this.#cgroups().DEFAULT_CGROUP_ROOT, procsFiles),
        ...hostCompileContext(rootfs),
      });
      const h = runExecutor({
        plan, mode,
        ...(opts.stdio !== undefined ? { stdio: opts.stdio } : {}),
        onHook: async (_phase: string, childPid: number) => {
          const st: State = { ...this.#state({ ...base, pid: childPid }, "creating") };
          await runHooks("prestart", spec.hooks?.prestart, st);
          await runHooks("createRuntime", spec.hooks?.createRuntime, st);
          return new TextEncoder().encode(JSON.stringify(st));
        },
      });
      handle = h;
      // A failure before the pid is known surfaces through `created` too.
      h.pid.then((p) => (pid = p), () => {});
      h.exited.catch(() => {});
      await h.created;
      pid = await h.pid;
      const st = procStat(pid);
      if (st === undefined) throw internal(`create container "${id}": process ${pid} exited during create`);
      const rec: ContainerRecord = { ...base, pid, startTime: st.startTime, status: "created" };
      this.store.write(rec);
      if (opts.pidFile !== undefined) writeFileAtomic(resolve(opts.pidFile), String(pid));
      return { state: this.#state(rec, "created"), handle: h, kill: (sig) => h.kill(sig === undefined ? undefined : signalName(sig)) };
    } catch (err) {
      await this.#cleanupFailedCreate(id, pid, handle, cgroup);
      if (err instanceof BerthError) throw err;
      throw failedPrecondition(`create container "${id}": ${(err as Error).message}`, err);
    }
  }

  async #cleanupFailedCreate(id: string, pid: number, handle: ReturnType<typeof runExecutor> | undefined,
    cgroup: CgroupManager | undefined): Promise<void> {
    try {
      handle?.kill("SIGKILL");
    } catch {
      // already gone
    }
    if (pid > 0) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // already gone
      }
    }
    if (cgroup !== undefined) {
      for (const p of this.#safePids(cgroup)) {
        try {
          process.kill(p, "SIGKILL");
        } catch {
          // gone
        }
      }
      try {
        await cgroup.destroy();
      } catch (err) {
        this.#log.warn(`remove cgroup of container "${id}": ${(err as Error).message}`);
      }
    }
    this.store.remove(id);
  }

  #safePids(cgroup: CgroupManager): number[] {
    try {
      return cgroup.pids();
    } catch {
      return [];
    }
  }

  /** Let a created container's process execve; runs poststart hooks (failures are warnings). */
  async start(id: string): Promise<void> {
    const rec = this.store.read(id);
    const status = await this.#status(rec);
    if (status !== "created") throw failedPrecondition(`start container "${id}": status is "${status}", not "created"`);
    const fifo = this.store.fifo(id);
    // Non-blocking reader: the init's blocking open for writing completes as soon as this
    // fd exists, then it writes one byte. Poll so a dead init cannot hang us.
    const fd = openSync(fifo, fsc.O_RDONLY | fsc.O_NONBLOCK);
    try {
      const buf = Buffer.alloc(1);
      const readByte = (): boolean => {
        try {
          return readSync(fd, buf, 0, 1, null) === 1;
        } catch (err) {
          if (errnoOf(err) !== "EAGAIN") throw err;
          return false;
        }
      };
      for (let i = 0; !readByte(); i++) {
        // The process may have been released, run and exited between two reads: the
        // byte it wrote is still in the fifo, so read once more before giving up.
        if (!isAlive(rec.pid, rec.startTime)) {
          if (readByte()) break;
          throw failedPrecondition(`start container "${id}": the container process exited`);
        }
        await sleep(i < 50 ? 1 : 10);
      }
    } finally {
      closeSync(fd);
    }
    try {
      unlinkSync(fifo);
    } catch {
      // already removed
    }
    // No state write: "running" is derived from the live process and the missing fifo.
    const running: ContainerRecord = { ...rec, status: "running" };
    const spec = this.#specOf(rec);
    if (spec?.hooks?.poststart !== undefined) {
      try {
        await runHooks("poststart", spec.hooks.poststart, this.#state(running, "running"));
      } catch (err) {
        this.#log.warn(`container "${id}": ${(err as Error).message}`);
      }
    }
  }

  #specOf(rec: ContainerRecord): Spec | undefined {
    try {
      return this.#spec(rec.bundle);
    } catch (err) {
      this.#log.warn(`container "${rec.id}": ${(err as Error).message}`);
      return undefined;
    }
  }

  /**
   * `run`: create and start. Detached, returns 0 once started; otherwise waits for the
   * process, deletes the container and returns its exit status (128+signal when killed).
   */
  async run(id: string, bundle: string, opts: RunOptions = {}): Promise<number> {
    if (opts.detach === true) {
      await this.create(id, bundle, opts);
      await this.start(id);
      return 0;
    }
    const c = await this.#create(id, bundle, opts, "wait");
    opts.onStart?.((sig) => c.kill(sig));
    try {
      await this.start(id);
      try {
        await c.handle.execed;
      } catch (err) {
        throw failedPrecondition(`run container "${id}": ${(err as Error).message}`, err);
      }
      return await c.handle.exited;
    } finally {
      try {
        await this.delete(id, { force: true });
      } catch (err) {
        this.#log.warn(`delete container "${id}": ${(err as Error).message}`);
      }
    }
  }

  /** Send a signal to the container's init, or with `all` to every process in its cgroup. */
  async kill(id: string, signal: string | number = "SIGTERM", opts: { all?: boolean } = {}): Promise<void> {
    await this.#loadCgroups();
    const rec = this.store.read(id);
    const sig = parseSignal(signal);
    const status = await this.#status(rec);
    if (opts.all === true) {
      const cgroup = this.#cgroup(rec.cgroupsPath);
      const pids = this.#safePids(cgroup);
      for (const p of pids) {
        try {
          process.kill(p, sig);
        } catch {
          // exited meanwhile
        }
      }
      if (status === "paused" && sig === osc.signals.SIGKILL) cgroup.thaw();
      return;
    }
    if (status === "stopped" || status === "creating") throw failedPrecondition(`kill container "${id}": container is not running`);
    try {
      process.kill(rec.pid, sig);
    } catch (err) {
      throw failedPrecondition(`kill container "${id}": ${errnoOf(err) ?? String(err)}`, err);
    }
  }

  async #waitGone(rec: ContainerRecord, timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    for (let i = 0; Date.now() < deadline; i++) {
      if (!isAlive(rec.pid, rec.startTime)) return true;
      await sleep(i < 20 ? 2 : 20);
    }
    return !isAlive(rec.pid, rec.startTime);
  }

  /**
   * Delete a stopped container: its cgroup, then poststop hooks (failures are warnings),
   * then its state. A container that is not stopped is an error unless `force`, which
   * kills it (and everything in its cgroup) and waits for it to die.
   */
  async delete(id: string, opts: { force?: boolean } = {}): Promise<void> {
    await this.#loadCgroups();
    const rec = this.store.read(id);
    const status = await this.#status(rec);
    const cgroup = this.#cgroup(rec.cgroupsPath);
    if (status !== "stopped") {
      if (opts.force !== true) {
        throw failedPrecondition(`delete container "${id}": status is "${status}", not "stopped" (use force to kill it)`);
      }
      try {
        process.kill(rec.pid, "SIGKILL");
      } catch {
        // exited meanwhile
      }
    }
    // Without a pid namespace other processes may outlive init; a frozen cgroup must thaw to die.
    const leftovers = this.#safePids(cgroup);
    for (const p of leftovers) {
      try {
        process.kill(p, "SIGKILL");
      } catch {
        // exited meanwhile
      }
    }
    try {
      if (cgroup.frozen()) cgroup.thaw();
    } catch {
      // no freezer state to restore
    }
    if (!(await this.#waitGone(rec, 10_000))) throw failedPrecondition(`delete container "${id}": process ${rec.pid} did not die`);
    try {
      await cgroup.destroy();
    } catch (err) {
      throw failedPrecondition(`delete container "${id}": remove cgroup: ${(err as Error).message}`, err);
    }
    if (rec.status !== "creating") {
      const spec = this.#specOf(rec);
      if (spec?.hooks?.poststop !== undefined) {
        try {
          await runHooks("poststop", spec.hooks.poststop, this.#state(rec, "stopped"));
        } catch (err) {
          this.#log.warn(`container "${id}": ${(err as Error).message}`);
        }
      }
    }
    this.store.remove(id);
  }

  /**
   * Run `proc` inside running container `id` (runc exec). The namespaces and cgroup of the
   * container's init are joined; `exited` gives the exit status unless detached.
   */
  async exec(id: string, proc: Process, opts: ExecOptions = {}): Promise<ExecHandle> {
    await this.#loadCgroups();
    const rec = this.store.read(id);
    const status = await this.#status(rec);
    if (status !== "running" && status !== "created") throw failedPrecondition(`exec in container "${id}": status is "${status}", not "running"`);
    if (proc.terminal === true && opts.detach === true && opts.consoleSocket === undefined) {
      throw invalidArgument(`exec in container "${id}": a terminal needs a console socket (--console-socket) when detached`);
    }
    const spec = this.#spec(rec.bundle);
    const seccomp = await this.#seccomp(spec);
    const cgroup = this.#cgroup(rec.cgroupsPath);
    const { compileExecPlan, runExecutor } = await loadPlanModules();
    const plan: Plan = compileExecPlan(spec, proc, {
      pid: rec.pid, cgroupProcs: cgroup.procsFiles(),
      ...(seccomp !== undefined ? { seccomp } : {}),
      ...(opts.consoleSocket !== undefined ? { consoleSocket: resolve(opts.consoleSocket) } : {}),
      hostCapabilities: hostCapabilities(),
    });
    const h = runExecutor({ plan, mode: opts.detach === true ? "detach" : "wait", ...(opts.stdio !== undefined ? { stdio: opts.stdio } : {}) });
    let pid: number;
    try {
      pid = await h.pid;
      await h.execed;
    } catch (err) {
      throw failedPrecondition(`exec in container "${id}": ${(err as Error).message}`, err);
    }
    if (opts.pidFile !== undefined) writeFileAtomic(resolve(opts.pidFile), String(pid));
    const exited = opts.detach === true ? Promise.resolve(0) : h.exited;
    return { pid, exited, kill: (sig) => h.kill(sig === undefined ? undefined : signalName(sig)) };
  }

  /** Pids (host) of every process in the container's cgroup. */
  async ps(id: string): Promise<number[]> {
    await this.#loadCgroups();
    const rec = this.store.read(id);
    return this.#safePids(this.#cgroup(rec.cgroupsPath));
  }

  /** All containers under this root. */
  async list(): Promise<ContainerSummary[]> {
    const out: ContainerSummary[] = [];
    for (const id of this.store.ids()) {
      let rec: ContainerRecord;
      try {
        rec = this.store.read(id);
      } catch (err) {
        if (err instanceof BerthError && err.kind === "not-found") continue;
        throw err;
      }
      const status = await this.#status(rec);
      out.push({ id, pid: status === "stopped" ? 0 : rec.pid, status, bundle: rec.bundle, rootfs: rec.rootfs, created: rec.created, owner: rec.owner });
    }
    return out;
  }

  /** Freeze every process of a running container. */
  async pause(id: string): Promise<void> {
    await this.#loadCgroups();
    const rec = this.store.read(id);
    const status = await this.#status(rec);
    if (status !== "running") throw failedPrecondition(`pause container "${id}": status is "${status}", not "running"`);
    await this.#cgroup(rec.cgroupsPath).freeze();
  }

  /** Thaw a paused container. */
  async resume(id: string): Promise<void> {
    await this.#loadCgroups();
    const rec = this.store.read(id);
    const status = await this.#status(rec);
    if (status !== "paused") throw failedPrecondition(`resume container "${id}": status is "${status}", not "paused"`);
    this.#cgroup(rec.cgroupsPath).thaw();
  }

  /** Resource usage of the container's cgroup. */
  async stats(id: string): Promise<CgroupStats> {
    await this.#loadCgroups();
    const rec = this.store.read(id);
    return this.#cgroup(rec.cgroupsPath).stats();
  }
}

