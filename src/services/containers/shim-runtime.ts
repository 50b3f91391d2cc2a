/**
 * `ContainerRuntime` on berth-shim: one shim per container owns its stdio (or pty), writes
 * the json-file log, reaps it and keeps its exit status, so containers outlive the daemon
 * and a restarted daemon reconnects through the shim's socket. The plan is prepared here as
 * `Runtime.create` prepares it (cgroup, device rules, seccomp, cgroup mounts), and the
 * runtime's state record is written so that `Runtime.start/kill/delete` work on the
 * container. Exec goes through the shim too (shim-exec.ts): the daemon forks nothing per
 * exec; a shim that predates exec sessions falls back to the runtime library.
 */
import { mkdirSync, readFileSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { PassThrough, Writable } from "node:stream";
import { compileExecPlan, compilePlan, deviceCgroupRules } from "../../runtime/plan/compile.js";
import {
  detectCgroupLayout, openCgroupManager, DEFAULT_CGROUP_ROOT, type CgroupLayout, type CgroupManager, type CgroupStats, type LinuxResources,
} from "../../runtime/cgroups/index.js";
import { SeccompCache } from "../../runtime/seccomp/index.js";
import { hostCapabilities, isAlive, procStat } from "../../runtime/proc.js";
import { cgroupMountSources, hostCompileContext } from "../../runtime/host-compile-context.js";
import { parseSpec } from "../../runtime/spec/validate.js";
import type { Process, Spec } from "../../runtime/spec/types.js";
import type { ContainerRecord as RuntimeRecord } from "../../runtime/state.js";
import { connectShim, readExitFile, type ShimClient } from "../../runtime/shim/index.js";
import { failedPrecondition, internal } from "../../shared/errors.js";
import type { ContainerRuntime, DirectRuntime, Task, TaskIo } from "./container-runtime.js";
import { attachShim, type ShimAttach } from "./shim-attach.js";
import { execThroughShim, ShimExecUnsupported } from "./shim-exec.js";
import { launchShim } from "./shim-launch.js";

/** What an exec needs of its container, kept from start (or read once after a restart). */
interface ExecBase {
  spec: Spec;
  seccomp: { filter: Uint8Array; flags: number } | undefined;
}

function killAll(pids: readonly number[]): void {
  for (const p of pids) {
    try {
      process.kill(p, "SIGKILL");
    } catch {
      // gone
    }
  }
}

/** Containers under berth-shim (they survive the daemon). */
export class ShimRuntime implements ContainerRuntime {
  readonly writesLog = true;
  private readonly direct: DirectRuntime;
  private readonly shimRoot: string;
  private readonly logPath: (id: string) => string;
  private readonly clients = new Map<string, { client: ShimClient; attach: ShimAttach }>();
  private layoutCache: CgroupLayout | undefined;
  private readonly seccompCache = new SeccompCache();
  private readonly execBases = new Map<string, ExecBase>();
  private hostCaps: bigint | undefined;

  /**
   * @param direct the runtime library wrapper (state records, kill, exec, delete)
   * @param shimRoot where each shim's state dir goes (`<shimRoot>/<id>`)
   * @param logPath the json-file log of a container
   */
  constructor(direct: DirectRuntime, shimRoot: string, logPath: (id: string) => string) {
    this.direct = direct;
    this.shimRoot = shimRoot;
    this.logPath = logPath;
  }

  private stateDir(id: string): string {
    return join(this.shimRoot, id);
  }

  private layout(): CgroupLayout {
    this.layoutCache ??= detectCgroupLayout();
    return this.layoutCache;
  }

  async start(id: string, bundle: string, io: TaskIo): Promise<Task> {
    const rt = this.direct.runtime;
    const spec = parseSpec(readFileSync(join(bundle, "config.json"), "utf8"));
    const proc = spec.process;
    if (proc === undefined) throw internal(`start container "${id}": the spec has no process`);
    const rootfs = spec.root.path;
    const cgroupsPath = spec.linux?.cgroupsPath ?? `/berth/${id}`;
    // Compiled once per profile (Docker's default for a capability set): about 10-20 ms each.
    const seccomp = spec.linux?.seccomp !== undefined ? this.seccompCache.compile(spec.linux.seccomp, process.arch) : undefined;
    this.execBases.set(id, { spec, seccomp });
    rt.store.reserve(id);
    const base: RuntimeRecord = {
      id, bundle, rootfs, pid: 0, startTime: "", status: "creating", cgroupsPath,
      created: new Date().toISOString(), owner: String(process.getuid?.() ?? 0),
    };
    let cgroup: CgroupManager | undefined;
    const stateDir = this.stateDir(id);
    let pid = 0;
    try {
      rt.store.write(base, { durable: false });
      cgroup = openCgroupManager(cgroupsPath, { layout: this.layout() });
      cgroup.create();
      cgroup.set({ ...(spec.linux?.resources ?? {}), devices: deviceCgroupRules(spec) });
      const procsFiles = cgroup.procsFiles();
      const plan = compilePlan(spec, {
        rootfs, bundle, execFifo: rt.store.fifo(id), cgroupProcs: procsFiles,
        ...(seccomp !== undefined ? { seccomp } : {}),
        cgroupMounts: cgroupMountSources(this.layout(), DEFAULT_CGROUP_ROOT, procsFiles),
        ...hostCompileContext(rootfs),
      });
      rmSync(stateDir, { recursive: true, force: true });
      mkdirSync(stateDir, { recursive: true, mode: 0o700 });
      const mem = this.layout().controllers.get("memory");
      const memProcs = mem !== undefined ? procsFiles.find((f) => f.startsWith(`${mem.mountPoint}/`)) : undefined;
      const oomFile = mem !== undefined && memProcs !== undefined
        ? join(dirname(memProcs), mem.version === 1 ? "memory.oom_control" : "memory.events") : undefined;
      const log = io.log ?? { driver: "json-file", path: this.logPath(id), maxSize: 0, maxFile: 1 };
      if (log.driver === "json-file") mkdirSync(dirname(log.path), { recursive: true });
      // From a command shell, not Node's spawn (a fork of the whole daemon): shim-launch.ts.
      const started = await launchShim({
        id, stateDir, logPath: log.path, logDriver: log.driver, logMaxSize: log.maxSize, logMaxFile: log.maxFile,
        ...(log.attrs !== undefined ? { logAttrs: log.attrs } : {}),
        terminal: io.terminal, openStdin: io.stdin, plan,
        ...(oomFile !== undefined ? { oomFile } : {}),
      });
      pid = started.pid;
      const st = procStat(pid);
      if (st === undefined) throw failedPrecondition(`create container "${id}": process ${pid} exited during create`);
      // Not fsynced: the runtime state lives in the exec root (tmpfs by default) and means
      // nothing after a reboot; a daemon crash keeps the page cache.
      rt.store.write({ ...base, pid, startTime: st.startTime, status: "created" }, { durable: false });
      const task = await this.connect(id, io);
      await rt.start(id);
      try {
        await started.execed;
      } catch (err) {
        await this.cleanup(id).catch(() => undefined);
        throw failedPrecondition((err as Error).message, err);
      }
      return { ...task, pid };
    } catch (err) {
      if (this.clients.has(id)) throw err;
      // Nothing is left behind: processes, cgroup, runtime record, shim state.
      if (pid > 0) killAll([pid]);
      if (cgroup !== undefined) {
        try {
          killAll(cgroup.pids());
        } catch {
          // no cgroup
        }
        await cgroup.destroy().catch(() => undefined);
      }
      rt.store.remove(id);
      rmSync(stateDir, { recursive: true, force: true });
      throw err;
    }
  }

  /** Attach to the shim of `id` and build the task view of it. */
  private async connect(id: string, io: TaskIo): Promise<Task> {
    const client = connectShim(this.stateDir(id));
    const stdout = new PassThrough();
    const stderr = io.terminal ? undefined : new PassThrough();
    const attach = attachShim(this.stateDir(id), { stdin: io.stdin }, {
      data: (stream, piece) => (stream === 2 && stderr !== undefined ? stderr : stdout).write(piece),
      end: () => {
        stdout.end();
        stderr?.end();
      },
    });
    try {
      await attach.ready;
    } catch (err) {
      attach.close();
      client.close();
      throw err;
    }
    this.clients.set(id, { client, attach });
    const stdin = io.stdin
      ? new Writable({
        write(chunk: Buffer, _enc, cb) {
          attach.writeStdin(chunk);
          cb();
        },
        final(cb) {
          attach.closeStdin();
          cb();
        },
      })
      : undefined;
    let oom = false;
    const exited = client.wait().then((s) => {
      oom = s.oomKilled;
      return s.exitCode;
    }, () => {
      const e = readExitFile(this.stateDir(id));
      oom = e?.oomKilled ?? false;
      return e?.exitCode ?? 255;
    });
    return {
      pid: 0, stdout, stderr, stdin, exited, oomKilled: () => oom,
      resize: async (h, w) => {
        if (!io.terminal) return;
        // A shim that is exiting may never answer: resize is best effort.
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([client.resize(h, w), new Promise<void>((r) => { timer = setTimeout(r, 2000); })]).finally(() => clearTimeout(timer));
      },
    };
  }

  /**
   * After a daemon restart: a running container's task again, the exit code of one that
   * exited meanwhile, or undefined when its shim is gone without a status.
   */
  async reconnect(id: string, io: TaskIo): Promise<Task | { exitCode: number } | undefined> {
    const dir = this.stateDir(id);
    let state;
    try {
      state = await connectShim(dir).state();
    } catch {
      const exit = readExitFile(dir);
      return exit !== undefined ? { exitCode: exit.exitCode } : undefined;
    }
    if (state.status === "exited") return { exitCode: state.exit?.exitCode ?? 255 };
    const task = await this.connect(id, io);
    return { ...task, pid: state.pid };
  }

  async kill(id: string, signal: number): Promise<void> {
    await this.direct.kill(id, signal);
  }

  async exec(id: string, execId: string, proc: Process, io: TaskIo): Promise<Task> {
    const rt = this.direct.runtime;
    const rec = rt.store.read(id);
    const notRunning = (status: string) => failedPrecondition(`exec in container "${id}": status is "${status}", not "running"`);
    if (rec.status === "creating" || !isAlive(rec.pid, rec.startTime)) throw notRunning("stopped");
    const cgroup = openCgroupManager(rec.cgroupsPath, { layout: this.layout() });
    let frozen = false;
    try {
      frozen = cgroup.frozen();
    } catch {
      // A cgroup that cannot be read is not frozen by us.
    }
    if (frozen) throw notRunning("paused");
    let base = this.execBases.get(id);
    if (base === undefined) {
      const spec = parseSpec(readFileSync(join(rec.bundle, "config.json"), "utf8"));
      const seccomp = spec.linux?.seccomp !== undefined ? this.seccompCache.compile(spec.linux.seccomp, process.arch) : undefined;
      base = { spec, seccomp };
      this.execBases.set(id, base);
    }
    this.hostCaps ??= hostCapabilities();
    const plan = compileExecPlan(base.spec, proc, {
      pid: rec.pid, cgroupProcs: cgroup.procsFiles(), hostCapabilities: this.hostCaps,
      ...(base.seccomp !== undefined ? { seccomp: base.seccomp } : {}),
    });
    try {
      return await execThroughShim(this.stateDir(id), id, plan, { stdin: io.stdin, terminal: proc.terminal === true });
    } catch (err) {
      if (!(err instanceof ShimExecUnsupported)) throw err;
    }
    return this.direct.exec(id, execId, proc, io);
  }

  async pids(id: string): Promise<number[]> {
    return this.direct.pids(id);
  }

  async pause(id: string): Promise<void> {
    await this.direct.pause(id);
  }

  async resume(id: string): Promise<void> {
    await this.direct.resume(id);
  }

  async stats(id: string): Promise<CgroupStats> {
    return this.direct.stats(id);
  }

  async update(id: string, resources: LinuxResources): Promise<void> {
    await this.direct.update(id, resources);
  }

  async cleanup(id: string): Promise<void> {
    const c = this.clients.get(id);
    this.clients.delete(id);
    this.execBases.delete(id);
    await this.direct.cleanup(id);
    if (c !== undefined) {
      await c.client.shutdown().catch(() => undefined);
      c.attach.close();
      c.client.close();
    } else {
      const client = connectShim(this.stateDir(id));
      await client.shutdown().catch(() => undefined);
      client.close();
    }
    rmSync(this.stateDir(id), { recursive: true, force: true });
  }
}
