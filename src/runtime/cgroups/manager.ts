import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import {
  BerthError, type ErrorKind, KernelError, failedPrecondition, invalidArgument, notFound, unavailable,
} from "../../shared/errors.js";
import { type CgroupFs, nodeCgroupFs, strerror } from "./cgroup-fs.js";
import type { CgroupManager, ControllerPlacement } from "./cgroup-manager.js";
import { type ParsedCgroupsPath, parseCgroupsPath } from "./cgroups-path.js";
import {
  type CgroupHierarchy, type CgroupLayout, type DetectOptions, detectCgroupLayout, ownCgroupDir,
} from "./layout.js";
import { type CgroupLogger, type SetContext, readOptional } from "./_write.js";
import type { LinuxResources } from "./resources.js";
import { type CgroupStats, emptyStats, parseFlatKeyed } from "./stats.js";
import * as v1 from "./v1.js";
import * as v2 from "./v2.js";

/** Options of `openCgroupManager`. */
export interface OpenCgroupOptions extends DetectOptions {
  /** A layout already detected (saves re-reading mountinfo per container). @default detected */
  readonly layout?: CgroupLayout;
  /** Receives warnings for settings that cannot be applied on this host. @default none */
  readonly logger?: CgroupLogger;
  /** How long `freeze()` waits for the kernel to report frozen. @default 5000 */
  readonly freezeTimeoutMs?: number;
  /** How long `destroy()` retries a busy directory. @default 2000 */
  readonly destroyTimeoutMs?: number;
  /** Loads and attaches the eBPF device program on cgroup v2. @default runs native/build/berth-devices */
  readonly attachDeviceFilter?: v2.DeviceFilterAttacher;
}

const silent: CgroupLogger = { warn() {} };

/** v1 hierarchies we place a container in: every controller hierarchy, and name=systemd. */
function managed(h: CgroupHierarchy): boolean {
  return h.version === 2 || h.controllers.some((c) => !c.startsWith("name=") || c === "name=systemd");
}

function kindOfErrno(code: string): ErrorKind {
  if (code === "EPERM" || code === "EACCES" || code === "EROFS") return "permission-denied";
  if (code === "ESRCH") return "not-found";
  return "internal";
}

/** "verb object: op `path`: strerror" from a KernelError, kind from its errno. */
function wrap(what: string, err: unknown, kind?: ErrorKind): BerthError {
  if (err instanceof KernelError) {
    return new BerthError(kind ?? kindOfErrno(err.code), `${what}: ${err.op} \`${err.path ?? ""}\`: ${strerror(err.code)}`, {
      cause: err,
    });
  }
  if (err instanceof BerthError) return err;
  return new BerthError("internal", `${what}: ${String(err)}`, { cause: err });
}

const codeOf = (err: unknown) => (err instanceof KernelError ? err.code : undefined);

interface ManagedDir {
  readonly h: CgroupHierarchy;
  readonly dir: string;
}

/** The one CgroupManager implementation: per-controller placement over the detected layout. */
class LayoutCgroupManager implements CgroupManager {
  readonly path: string;
  readonly #fs: CgroupFs;
  readonly #logger: CgroupLogger;
  readonly #dirs: readonly ManagedDir[];
  readonly #unifiedDir: string | undefined;
  readonly #placements = new Map<string, ControllerPlacement>();
  readonly #freezeTimeoutMs: number;
  readonly #destroyTimeoutMs: number;
  readonly #attachDeviceFilter: v2.DeviceFilterAttacher;

  constructor(path: string, parsed: ParsedCgroupsPath, layout: CgroupLayout, fs: CgroupFs, opts: OpenCgroupOptions) {
    this.path = path;
    this.#fs = fs;
    this.#logger = opts.logger ?? silent;
    this.#freezeTimeoutMs = opts.freezeTimeoutMs ?? 5000;
    this.#destroyTimeoutMs = opts.destroyTimeoutMs ?? 2000;
    this.#attachDeviceFilter = opts.attachDeviceFilter ?? v2.berthDevicesAttacher();
    this.#dirs = layout.hierarchies.filter(managed).map((h) => ({
      h,
      dir: join(parsed.absolute ? h.mountPoint : ownCgroupDir(h), ...parsed.segments),
    }));
    for (const d of this.#dirs) {
      for (const c of d.h.controllers) {
        if (!this.#placements.has(c)) this.#placements.set(c, { version: d.h.version, dir: d.dir });
      }
    }
    this.#unifiedDir = this.#dirs.find((d) => d.h.version === 2)?.dir;
  }

  locate(controller: string): ControllerPlacement | undefined {
    return this.#placements.get(controller);
  }

  create(): void {
    for (const { h, dir } of this.#dirs) {
      const rel = dir.slice(h.mountPoint.length).split("/").filter((s) => s !== "");
      const cpuset = h.version === 1 && h.controllers.includes("cpuset");
      let cur = h.mountPoint;
      for (const seg of rel) {
        const parent = cur;
        if (h.version === 2) this.#enableControllers(parent, h.controllers);
        cur = join(cur, seg);
        try {
          this.#fs.mkdir(cur);
        } catch (err) {
          if (codeOf(err) !== "EEXIST") throw wrap(`create cgroup "${this.path}"`, err);
        }
        if (cpuset) this.#inheritCpuset(parent, cur);
      }
    }
  }

  /** Enables the mount's controllers for children of `dir`, as runc does (errors ignored: set() reports them). */
  #enableControllers(dir: string, controllers: readonly string[]): void {
    if (controllers.length === 0) return;
    const enabled = new Set((readOptional(this.#fs, dir, "cgroup.subtree_control") ?? "").split(/\s+/));
    const missing = controllers.filter((c) => !enabled.has(c));
    if (missing.length === 0) return;
    const file = join(dir, "cgroup.subtree_control");
    try {
      this.#fs.writeFile(file, missing.map((c) => `+${c}`).join(" "));
    } catch {
      for (const c of missing) {
        try {
          this.#fs.writeFile(file, `+${c}`);
        } catch {
          // Not available here (e.g. a populated parent on a pure v2 host): set() names the missing file.
        }
      }
    }
  }

  /** A new v1 cpuset starts with no cpus and mems (no task could join it): copy the parent's. */
  #inheritCpuset(parent: string, child: string): void {
    for (const file of ["cpuset.cpus", "cpuset.mems"]) {
      if ((readOptional(this.#fs, child, file) ?? "") !== "") continue;
      const value = readOptional(this.#fs, parent, file) ?? "";
      if (value === "") continue;
      try {
        this.#fs.writeFile(join(child, file), value);
      } catch (err) {
        throw wrap(`create cgroup "${this.path}": copy ${file} from the parent`, err);
      }
    }
  }

  procsFiles(): string[] {
    return this.#dirs.map((d) => join(d.dir, "cgroup.procs"));
  }

  apply(pid: number): void {
    if (!Number.isInteger(pid) || pid <= 0) throw invalidArgument(`add pid ${pid} to cgroup "${this.path}": not a pid`);
    for (const file of this.procsFiles()) {
      try {
        this.#fs.writeFile(file, String(pid));
      } catch (err) {
        const code = codeOf(err);
        throw wrap(`add pid ${pid} to cgroup "${this.path}"`, err, code === "ENOENT" ? "failed-precondition" : undefined);
      }
    }
  }

  #need(controller: string, label: string): ControllerPlacement {
    const p = this.#placements.get(controller);
    if (p === undefined) throw invalidArgument(`set ${label}: the ${controller} controller is not available on this host`);
    return p;
  }

  set(r: LinuxResources): void {
    const ctx: SetContext = { fs: this.#fs, logger: this.#logger };
    const cpu = r.cpu;
    if (cpu !== undefined && ((cpu.cpus ?? "") !== "" || (cpu.mems ?? "") !== "")) {
      v1.setCpuset(ctx, this.#need("cpuset", "cpuset").dir, cpu);
    }
    if (r.devices !== undefined && r.devices.length > 0) {
      const p = this.#placements.get("devices");
      // v1 devices wins on a hybrid host (as the other controllers); cgroup v2 has no
      // devices controller: an eBPF program on the cgroup2 directory does the job.
      if (p?.version === 1) v1.setDevicesV1(ctx, p.dir, r.devices);
      else if (this.#unifiedDir !== undefined) v2.setDevicesV2(this.#unifiedDir, r.devices, this.#attachDeviceFilter);
      else this.#logger.warn(`device cgroup rules ignored for "${this.path}": no devices controller and no cgroup2 mount`);
    }
    if (r.memory !== undefined) {
      const p = this.#need("memory", "memory");
      if (p.version === 1) v1.setMemoryV1(ctx, p.dir, r.memory);
      else v2.setMemoryV2(ctx, p.dir, r.memory);
    }
    if (cpu !== undefined) {
      const { shares, quota, period, burst, idle, realtimePeriod, realtimeRuntime } = cpu;
      if ([shares, quota, period, burst, idle, realtimePeriod, realtimeRuntime].some((v) => v !== undefined)) {
        const p = this.#need("cpu", "cpu");
        if (p.version === 1) v1.setCpuV1(ctx, p.dir, cpu);
        else v2.setCpuV2(ctx, p.dir, cpu);
      }
    }
    if (r.pids !== undefined) v1.setPids(ctx, this.#need("pids", "pids limit").dir, r.pids);
    if (r.blockIO !== undefined) {
      const p = this.#placements.get("blkio") ?? this.#need("io", "blkio");
      if (p.version === 1) v1.setBlkioV1(ctx, p.dir, r.blockIO);
      else v2.setIoV2(ctx, p.dir, r.blockIO);
    }
    if (r.hugepageLimits !== undefined && r.hugepageLimits.length > 0) {
      const p = this.#need("hugetlb", "hugepage limits");
      if (p.version === 1) v1.setHugetlbV1(ctx, p.dir, r.hugepageLimits);
      else v2.setHugetlbV2(ctx, p.dir, r.hugepageLimits);
    }
    if (r.network !== undefined) this.#setNetwork(ctx, r.network);
    if (r.rdma !== undefined && Object.keys(r.rdma).length > 0) v1.setRdma(ctx, this.#need("rdma", "rdma").dir, r.rdma);
    if (r.unified !== undefined && Object.keys(r.unified).length > 0) {
      if (this.#unifiedDir === undefined) throw invalidArgument("set unified: no cgroup2 filesystem is mounted on this host");
      v2.setUnified(ctx, this.#unifiedDir, r.unified);
    }
  }

  #setNetwork(ctx: SetContext, n: NonNullable<LinuxResources["network"]>): void {
    if (n.classID !== undefined) {
      const p = this.#placements.get("net_cls");
      if (p?.version === 1) v1.setNetClsV1(ctx, p.dir, n);
      else this.#logger.warn(`network class id ignored for "${this.path}": net_cls is not mounted`);
    }
    if (n.priorities !== undefined && n.priorities.length > 0) {
      const p = this.#placements.get("net_prio");
      if (p?.version === 1) v1.setNetPrioV1(ctx, p.dir, n);
      else this.#logger.warn(`network priorities ignored for "${this.path}": net_prio is not mounted`);
    }
  }

  /** v1 freezer controller if mounted, else the cgroup2 directory's cgroup.freeze. */
  #freezer(): ControllerPlacement | undefined {
    const p = this.#placements.get("freezer");
    if (p?.version === 1) return p;
    return this.#unifiedDir === undefined ? undefined : { version: 2, dir: this.#unifiedDir };
  }

  async freeze(): Promise<void> {
    const f = this.#freezer();
    if (f === undefined) throw failedPrecondition(`freeze cgroup "${this.path}": no freezer on this host`);
    const what = `freeze cgroup "${this.path}"`;
    const deadline = Date.now() + this.#freezeTimeoutMs;
    if (f.version === 2) {
      this.#write(what, f.dir, "cgroup.freeze", "1");
      for (let i = 0; ; i++) {
        if (this.#v2Frozen(f.dir)) return;
        if (Date.now() > deadline) break;
        await sleep(Math.min(1 + i, 10));
      }
      this.#write(what, f.dir, "cgroup.freeze", "0");
      throw unavailable(`${what}: not frozen after ${this.#freezeTimeoutMs} ms`);
    }
    // v1, as runc: rewrite FROZEN while the kernel reports FREEZING; an occasional thaw
    // lets tasks stuck in a non-freezable state move on.
    for (let i = 0; Date.now() <= deadline; i++) {
      if (i % 50 === 49) {
        this.#write(what, f.dir, "freezer.state", "THAWED");
        await sleep(10);
      }
      this.#write(what, f.dir, "freezer.state", "FROZEN");
      const state = this.#read(what, f.dir, "freezer.state");
      if (state === "FROZEN") return;
      if (state !== "FREEZING") throw new BerthError("internal", `${what}: unexpected freezer state "${state}"`);
      await sleep(Math.min(1 + i, 10));
    }
    this.#write(what, f.dir, "freezer.state", "THAWED");
    throw unavailable(`${what}: still freezing after ${this.#freezeTimeoutMs} ms`);
  }

  thaw(): void {
    const f = this.#freezer();
    if (f === undefined) throw failedPrecondition(`thaw cgroup "${this.path}": no freezer on this host`);
    const what = `thaw cgroup "${this.path}"`;
    if (f.version === 2) this.#write(what, f.dir, "cgroup.freeze", "0");
    else this.#write(what, f.dir, "freezer.state", "THAWED");
  }

  frozen(): boolean {
    const f = this.#freezer();
    if (f === undefined) return false;
    if (f.version === 2) return this.#v2Frozen(f.dir);
    return readOptional(this.#fs, f.dir, "freezer.state") === "FROZEN";
  }

  #v2Frozen(dir: string): boolean {
    return parseFlatKeyed(readOptional(this.#fs, dir, "cgroup.events") ?? "")["frozen"] === 1;
  }

  #write(what: string, dir: string, file: string, value: string): void {
    try {
      this.#fs.writeFile(join(dir, file), value);
    } catch (err) {
      throw wrap(what, err, codeOf(err) === "ENOENT" ? "not-found" : undefined);
    }
  }

  #read(what: string, dir: string, file: string): string {
    try {
      return this.#fs.readFile(join(dir, file)).trim();
    } catch (err) {
      throw wrap(what, err, codeOf(err) === "ENOENT" ? "not-found" : undefined);
    }
  }

  pids(): number[] {
    // Any one hierarchy holds every process; prefer ones a container is sure to be in.
    const pick =
      ["pids", "freezer", "memory", "cpu", "name=systemd"].map((c) => this.#placements.get(c)).find((p) => p !== undefined) ??
      this.#dirs[0];
    if (pick === undefined) return [];
    const out = new Set<number>();
    const walk = (dir: string) => {
      let procs: string;
      try {
        procs = this.#fs.readFile(join(dir, "cgroup.procs"));
      } catch (err) {
        if (codeOf(err) === "ENOENT") return;
        throw wrap(`list pids of cgroup "${this.path}"`, err);
      }
      for (const line of procs.split("\n")) if (/^\d+$/.test(line.trim())) out.add(Number(line.trim()));
      for (const sub of this.#fs.subdirs(dir)) walk(join(dir, sub));
    };
    walk(pick.dir);
    return [...out].sort((a, b) => a - b);
  }

  stats(): CgroupStats {
    if (!this.#dirs.some((d) => this.#fs.exists(d.dir))) {
      throw notFound(`read stats of cgroup "${this.path}": no such cgroup`);
    }
    const s = emptyStats();
    const fs = this.#fs;
    const cpu = this.#placements.get("cpu");
    const cpuacct = this.#placements.get("cpuacct");
    if (cpu?.version === 1) v1.cpuStatsV1(fs, cpu.dir, s);
    if (cpuacct?.version === 1) v1.cpuacctStatsV1(fs, cpuacct.dir, s);
    // cpu.stat is a core v2 file: usage is there even without the cpu controller.
    else if (this.#unifiedDir !== undefined && cpu?.version !== 1) v2.cpuStatsV2(fs, this.#unifiedDir, s);
    const mem = this.#placements.get("memory");
    if (mem?.version === 1) v1.memoryStatsV1(fs, mem.dir, s);
    else if (mem?.version === 2) v2.memoryStatsV2(fs, mem.dir, s);
    const pids = this.#placements.get("pids");
    if (pids !== undefined) v1.pidsStats(fs, pids.dir, s);
    const blkio = this.#placements.get("blkio") ?? this.#placements.get("io");
    if (blkio?.version === 1) v1.blkioStatsV1(fs, blkio.dir, s);
    else if (blkio?.version === 2) v2.ioStatsV2(fs, blkio.dir, s);
    const huge = this.#placements.get("hugetlb");
    if (huge?.version === 1) v1.hugetlbStatsV1(fs, huge.dir, s);
    else if (huge?.version === 2) v2.hugetlbStatsV2(fs, huge.dir, s);
    return s;
  }

  oomKillCount(): number {
    const mem = this.#placements.get("memory");
    if (mem === undefined) return 0;
    return mem.version === 1 ? v1.oomKillCountV1(this.#fs, mem.dir) : v2.oomKillCountV2(this.#fs, mem.dir);
  }

  async destroy(): Promise<void> {
    let first: unknown;
    for (const { dir } of this.#dirs) {
      try {
        await this.#removeTree(dir, Date.now() + this.#destroyTimeoutMs);
      } catch (err) {
        first ??= err;
      }
    }
    if (first !== undefined) throw first;
  }

  async #removeTree(dir: string, deadline: number): Promise<void> {
    // rmdir first: the common case has no sub-cgroups, and listing a cgroup costs a readdir.
    for (let i = 0; ; i++) {
      let code: string | undefined;
      try {
        this.#fs.rmdir(dir);
        return;
      } catch (err) {
        code = codeOf(err);
        if (code === "ENOENT") return;
        if (code !== "EBUSY" && code !== "ENOTEMPTY") throw wrap(`remove cgroup "${this.path}"`, err);
        let subs: string[] = [];
        try {
          subs = this.#fs.subdirs(dir);
        } catch {
          // gone meanwhile: the next rmdir says so
        }
        if (subs.length > 0) {
          for (const sub of subs) await this.#removeTree(join(dir, sub), deadline);
          continue;
        }
        // EBUSY while the last tasks finish exiting; never kill them here.
        if (Date.now() >= deadline) throw wrap(`remove cgroup "${this.path}"`, err, "failed-precondition");
      }
      await sleep(Math.min(1 << i, 50));
    }
  }
}

/**
 * Opens the cgroup at `cgroupsPath` (OCI `linux.cgroupsPath`; see `parseCgroupsPath`) on
 * the detected layout. Nothing is created until `create()`.
 *
 * @example
 * const cg = openCgroupManager("/berth/abc");
 * cg.create(); cg.apply(pid); cg.set({ memory: { limit: 64 << 20 } });
 */
export function openCgroupManager(cgroupsPath: string, opts: OpenCgroupOptions = {}): CgroupManager {
  const parsed = parseCgroupsPath(cgroupsPath);
  const fs = opts.fs ?? nodeCgroupFs;
  const layout = opts.layout ?? detectCgroupLayout(opts);
  return new LayoutCgroupManager(cgroupsPath, parsed, layout, fs, opts);
}
