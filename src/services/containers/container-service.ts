/**
 * The container service: records, names, the lifecycle (create, start, stop, kill,
 * restart, wait, remove), output to the json-file log and to attached clients, exec, and
 * the Docker-shaped views (inspect, list). Knows nothing of HTTP: errors carry kinds and
 * Docker's texts; streams are plain callbacks.
 */
import { readFile, writeFile } from "node:fs/promises";
import { availableParallelism, hostname as osHostname } from "node:os";
import type { Readable } from "node:stream";
import type {
  ContainerCreateBody, ContainerCreateResponse, ContainerInspect, ContainerSummary, ContainerTopResponse,
  ContainerWaitResponse, ExecCreateBody, ExecInspect, ContainerStats, ContainerUpdateResponse, HostConfig,
} from "../../api/containers.js";
import type { ImageContainerConfig } from "../../api/images.js";
import type { Spec, Process } from "../../runtime/spec/types.js";
import type { SeccompProfile } from "../../runtime/seccomp/index.js";
import { parseSignal } from "../../runtime/runtime.js";
import { BerthError, conflict, invalidArgument, notFound, notImplemented, notModified } from "../../shared/errors.js";
import { nullLogger, type Logger } from "../../shared/logger.js";
import type { EventBus } from "../events/event-bus.js";
import type { ImageConfig } from "../images/image-config.js";
import { ContainerRecordStore, type ContainerRecord } from "./container-record.js";
import type { ContainerExtension, DeepMutable, SpecPatch } from "./container-extension.js";
import { exitStatusOfError, type ContainerRuntime, type Task } from "./container-runtime.js";
import { DetachScanner, parseDetachKeys, DEFAULT_DETACH_KEYS } from "./detach-keys.js";
import { hostsFile, resolvConf } from "./etc-files.js";
import { followLog, JsonLogWriter, type LogEntry } from "./json-log.js";
import { replayLogFiles } from "./log-files.js";
import { dirSize } from "./dir-size.js";
import { containerTop, validatePsArgs } from "./container-top.js";
import { generateName, newId, normalizeName } from "./names.js";
import { buildSpec, containerCapabilities, containerEnv, networkMode, type HostDevice } from "./oci-spec.js";
import { statusString, ZERO_TIME } from "./status.js";
import { RestartManager, validateRestartPolicy } from "./restart-manager.js";
import { mergeHealthcheck, validateHealthConfig } from "./health-monitor.js";
import { resolveUser } from "./user.js";
import { assertLogReadable, DEFAULT_LOG_DEFAULTS, logSinkOf, resolveLogConfig, type LogDefaults } from "./log-config.js";
import { readRunHostFacts, type RunHostFacts } from "./run-host-facts.js";
import { validateRunOptions } from "./run-options.js";
import { DEFAULT_DOCKER_INIT } from "./run-options-spec.js";
import { checkPause, checkUnpause, pausedState } from "./pause.js";
import { mergeUpdate, parseUpdateBody, RESOURCE_DEFAULTS, updateResources, validateUpdate } from "./container-update.js";
import { emptyStats, runStats, StatsSampler, type StatsOptions } from "./container-stats.js";
import type { CgroupStats } from "../../runtime/cgroups/index.js";


/** The image facts the service needs (ImageService satisfies it). */
export interface ContainerImages {
  resolve(nameOrId: string): { id: string; layers: ReadonlyArray<{ chainId: string; unpackedSize?: number }> };
  config(id: string): Promise<ImageConfig>;
}

/** The layer store operations the service needs (OverlayStore satisfies it). */
export interface ContainerLayers {
  /** A container's writable layer over `parent` (references the whole chain). */
  createRwLayer(key: string, parent: string): Promise<{ upper: string; work: string }>;
  mountRwLayer(key: string, target: string): Promise<string>;
  unmount(target: string): Promise<void>;
  /** Remove the writable layer and drop its references. */
  removeRwLayer(key: string): Promise<void>;
}

/** Dependencies of the container service. */
export interface ContainerServiceDeps {
  /** `<dataRoot>/containers`. */
  root: string;
  images: ContainerImages;
  layers: ContainerLayers;
  events: EventBus;
  runtime: ContainerRuntime;
  /** Capability names the host can grant. */
  hostCapabilities: () => readonly string[];
  /** Docker's default seccomp profile for a capability set. */
  seccomp: (capabilities: readonly string[]) => SeccompProfile | undefined;
  /** Host devices for privileged containers. @default none */
  hostDevices?: () => readonly HostDevice[];
  /** The host's /etc/resolv.conf text. @default read from /etc/resolv.conf */
  hostResolvConf?: () => Promise<string>;
  /** Lifecycle extensions (networks, volumes...), called in this order. @default none */
  extensions?: readonly ContainerExtension[];
  /** daemon.json defaults for run options (init, log driver) and the docker-init binary. @default none */
  runDefaults?: RunDefaults;
  log?: Logger;
  /** @default Date.now */
  now?: () => number;
}

/** The daemon's defaults for run options. */
export interface RunDefaults {
  /** daemon.json `init`. @default false */
  init?: boolean;
  /** The binary bind-mounted at /sbin/docker-init. @default native/build/berth-docker-init */
  initBinary?: string;
  /** daemon.json `log-driver`/`log-opts`. @default json-file, no options */
  log?: LogDefaults;
  /** Host facts the run options are checked against. @default readRunHostFacts */
  hostFacts?: (capabilities: readonly string[]) => RunHostFacts;
}

/** Where attached output goes. */
export interface OutputSink {
  /** `time` (RFC 3339) is given for entries replayed from the log. */
  data(stream: "stdout" | "stderr", chunk: Buffer, time?: string): void;
  /** The stream is over (container exited, detach keys, or logs replayed without stream). */
  end(): void;
  /** Resolves when the consumer can take more; awaited while a log is replayed. */
  flush?(): Promise<void>;
}

/** Options for `attach`. */
export interface AttachOptions {
  stream: boolean;
  logs: boolean;
  stdin: Readable | undefined;
  stdout: boolean;
  stderr: boolean;
  detachKeys?: string | undefined;
}

/** Options for `logs`. */
export interface LogsOptions {
  stdout: boolean;
  stderr: boolean;
  follow: boolean;
  since?: bigint | undefined;
  until?: bigint | undefined;
  tail?: number | undefined;
  /** The sink wants each entry's time. */
  timestamps?: boolean | undefined;
}

/** Options for `list`. */
export interface ContainerListOptions {
  all?: boolean;
  limit?: number;
  size?: boolean;
  filters?: Record<string, string[]>;
}

interface Live {
  task: Task | undefined;
  spec: Spec | undefined;
  sinks: Set<OutputSink>;
  inputs: Set<Readable>;
  /** Resolved when the current run finished its exit handling. */
  exitDone: Promise<void> | undefined;
  stopping: boolean;
}

interface Waiter {
  condition: "not-running" | "next-exit" | "removed";
  resolve(r: ContainerWaitResponse): void;
}

interface ExecRecord {
  id: string;
  containerId: string;
  body: ExecCreateBody;
  running: boolean;
  exitCode: number | null;
  pid: number;
  task: Task | undefined;
}

const LIST_FILTERS = new Set(["id", "name", "label", "status", "ancestor", "exited", "before", "since", "health"]);
const HEALTH_FILTERS = new Set(["starting", "healthy", "unhealthy", "none"]);
const STATUSES = new Set(["created", "restarting", "running", "removing", "paused", "exited", "dead"]);

function shortName(rec: ContainerRecord): string {
  return rec.Name.replace(/^\//, "");
}

function isRunning(rec: ContainerRecord): boolean {
  return rec.State.Running;
}

/** Docker's config merge: the image's defaults under the create body. */
export function mergeImageConfig(body: ContainerCreateBody, image: ImageContainerConfig | undefined): ImageContainerConfig {
  const img = image ?? {};
  const cfg: ImageContainerConfig = { ...body };
  delete (cfg as Record<string, unknown>).HostConfig;
  delete (cfg as Record<string, unknown>).NetworkingConfig;
  const bodyEntrypoint = body.Entrypoint ?? null;
  const bodyCmd = body.Cmd ?? null;
  if (bodyEntrypoint === null || bodyEntrypoint.length === 0) {
    // An empty-string entrypoint ([""]) resets the image's.
    cfg.Entrypoint = bodyEntrypoint !== null && bodyEntrypoint.length === 0 ? null : (img.Entrypoint ?? null);
    if (bodyCmd === null || bodyCmd.length === 0) cfg.Cmd = img.Cmd ?? null;
  } else if (bodyCmd === null) {
    cfg.Cmd = null;
  }
  if (cfg.Entrypoint !== null && cfg.Entrypoint !== undefined && cfg.Entrypoint.length === 1 && cfg.Entrypoint[0] === "") cfg.Entrypoint = null;
  const env = [...(img.Env ?? [])];
  for (const e of body.Env ?? []) {
    const key = e.split("=", 1)[0];
    const i = env.findIndex((x) => x.split("=", 1)[0] === key);
    if (i === -1) env.push(e);
    else env[i] = e;
  }
  cfg.Env = env;
  if (cfg.WorkingDir === undefined || cfg.WorkingDir === "") cfg.WorkingDir = img.WorkingDir ?? "";
  if (cfg.User === undefined || cfg.User === "") cfg.User = img.User ?? "";
  cfg.Labels = { ...(img.Labels ?? {}), ...(body.Labels ?? {}) };
  if (cfg.StopSignal === undefined || cfg.StopSignal === "") {
    if (img.StopSignal !== undefined) cfg.StopSignal = img.StopSignal;
  }
  if (cfg.ExposedPorts === undefined && img.ExposedPorts !== undefined) cfg.ExposedPorts = img.ExposedPorts;
  if (cfg.Volumes === undefined && img.Volumes !== undefined) cfg.Volumes = img.Volumes;
  const health = mergeHealthcheck(body.Healthcheck, img.Healthcheck);
  if (health !== undefined) cfg.Healthcheck = health;
  return cfg;
}

function checkBody(body: unknown): ContainerCreateBody {
  if (body === undefined) return {};
  if (body === null || typeof body !== "object" || Array.isArray(body)) throw invalidArgument("invalid JSON: container config must be an object");
  const b = body as Record<string, unknown>;
  const strList = (k: string, v: unknown) => {
    if (v === undefined || v === null) return;
    if (typeof v === "string" && (k === "Cmd" || k === "Entrypoint")) return;
    if (!Array.isArray(v) || v.some((x) => typeof x !== "string")) throw invalidArgument(`invalid JSON: ${k} must be a list of strings`);
  };
  for (const k of ["Cmd", "Entrypoint", "Env"]) strList(k, b[k]);
  for (const k of ["Image", "User", "WorkingDir", "Hostname", "StopSignal"]) {
    if (b[k] !== undefined && b[k] !== null && typeof b[k] !== "string") throw invalidArgument(`invalid JSON: ${k} must be a string`);
  }
  for (const k of ["Tty", "OpenStdin", "StdinOnce", "AttachStdin"]) {
    if (b[k] !== undefined && b[k] !== null && typeof b[k] !== "boolean") throw invalidArgument(`invalid JSON: ${k} must be a boolean`);
  }
  const hc = b.HostConfig;
  if (hc !== undefined && hc !== null) {
    if (typeof hc !== "object" || Array.isArray(hc)) throw invalidArgument("invalid JSON: HostConfig must be an object");
    const h = hc as Record<string, unknown>;
    for (const k of ["Memory", "MemorySwap", "NanoCpus", "CpuQuota", "CpuPeriod", "CpuShares", "ShmSize"]) {
      if (h[k] !== undefined && h[k] !== null && typeof h[k] !== "number") throw invalidArgument(`invalid JSON: HostConfig.${k} must be a number`);
    }
    for (const k of ["CapAdd", "CapDrop", "Binds"]) strList(`HostConfig.${k}`, h[k]);
  }
  const out = { ...b } as ContainerCreateBody;
  // The API also accepts a string Cmd/Entrypoint (strslice).
  if (typeof b.Cmd === "string") out.Cmd = [b.Cmd];
  if (typeof b.Entrypoint === "string") out.Entrypoint = [b.Entrypoint];
  return out;
}

/** Docker's container service over berth's runtime. */
export class ContainerService {
  private readonly d: ContainerServiceDeps;
  private readonly store: ContainerRecordStore;
  private readonly records = new Map<string, ContainerRecord>();
  private readonly live = new Map<string, Live>();
  private readonly waiters = new Map<string, Waiter[]>();
  private readonly execs = new Map<string, ExecRecord>();
  private readonly log: Logger;
  private readonly reserved = new Set<string>();
  private readonly restarts: RestartManager;

  private constructor(deps: ContainerServiceDeps) {
    this.d = deps;
    this.store = new ContainerRecordStore(deps.root);
    this.log = deps.log ?? nullLogger;
    this.restarts = new RestartManager({ run: (id) => this.run(this.get(id)), stopped: (id, err) => this.restartEnded(id, err) });
  }

  /**
   * Open the records. Containers recorded as running did not survive the daemon (the
   * direct runtime dies with it): their runtime leftovers are cleaned and they are exited.
   */
  static async open(deps: ContainerServiceDeps): Promise<ContainerService> {
    const svc = new ContainerService(deps);
    for (const rec of await svc.store.loadAll()) {
      svc.records.set(rec.ID, rec);
      if (rec.State.Running && deps.runtime.reconnect !== undefined) {
        const io = { stdin: rec.Config.OpenStdin === true, terminal: rec.Config.Tty === true };
        const r = await deps.runtime.reconnect(rec.ID, io).catch((err: unknown) => {
          svc.log.warn({ err, container: rec.ID }, "reconnect to container");
          return undefined;
        });
        if (r !== undefined && "stdout" in r) {
          const live = svc.liveOf(rec.ID);
          live.task = r;
          live.spec = JSON.parse(await readFile(`${svc.store.paths(rec.ID).dir}/config.json`, "utf8")) as Spec;
          live.exitDone = svc.follow(rec, live, r, Promise.resolve());
          continue;
        }
        if (r !== undefined) {
          // It exited while the daemon was down: its real status.
          await deps.runtime.cleanup(rec.ID).catch(() => undefined);
          await deps.layers.unmount(svc.store.paths(rec.ID).rootfs).catch(() => undefined);
          await svc.releaseExtensions(rec);
          rec.State = { ...rec.State, Status: "exited", Running: false, Paused: false, Restarting: false, Pid: 0, ExitCode: r.exitCode, FinishedAt: new Date(svc.now()).toISOString() };
          await svc.store.save(rec);
          continue;
        }
      }
      if (rec.State.Running || rec.State.Status === "removing") {
        await deps.runtime.cleanup(rec.ID).catch((err: unknown) => svc.log.warn({ err, container: rec.ID }, "clean up runtime state"));
        await deps.layers.unmount(svc.store.paths(rec.ID).rootfs).catch(() => undefined);
        await svc.releaseExtensions(rec);
        // A container between two restart rounds keeps its last exit code.
        rec.State = { ...rec.State, Status: "exited", Running: false, Paused: false, Restarting: false, Pid: 0, ExitCode: rec.State.Restarting ? rec.State.ExitCode : 255, FinishedAt: new Date(svc.now()).toISOString() };
        await svc.store.save(rec);
      }
    }
    // moby's restore: containers that ran before come back by their restart policy.
    const boot = [...svc.records.values()].filter((r) => !r.State.Running && r.State.StartedAt !== ZERO_TIME && svc.restarts.shouldStartAtBoot(r));
    if (boot.length > 0) void svc.startAtBoot(boot.map((r) => r.ID));
    return svc;
  }

  private async startAtBoot(ids: readonly string[]): Promise<void> {
    for (const id of ids) {
      await this.start(id).catch((err: unknown) => this.log.warn({ err, container: id }, "start container by its restart policy"));
    }
  }

  private now(): number {
    return (this.d.now ?? Date.now)();
  }

  private get extensions(): readonly ContainerExtension[] {
    return this.d.extensions ?? [];
  }

  /** Every extension's `release`, last registered first; failures are logged, never thrown. */
  private async releaseExtensions(rec: ContainerRecord): Promise<void> {
    for (const x of [...this.extensions].reverse()) {
      await x.release?.(rec).catch((err: unknown) => this.log.warn({ err, container: rec.ID, extension: x.name }, "release container"));
    }
  }

  private liveOf(id: string): Live {
    let l = this.live.get(id);
    if (l === undefined) {
      l = { task: undefined, spec: undefined, sinks: new Set(), inputs: new Set(), exitDone: undefined, stopping: false };
      this.live.set(id, l);
    }
    return l;
  }

  private publish(rec: ContainerRecord, action: string, extra: Record<string, string> = {}): void {
    this.d.events.publish("container", action, rec.ID, {
      ...(rec.Config.Labels ?? {}), image: rec.Config.Image ?? "", name: shortName(rec), ...extra,
    });
  }

  /** Find a container by full id, name, or unique id prefix ("No such container: x"). */
  get(ref: string): ContainerRecord {
    const byId = this.records.get(ref);
    if (byId !== undefined) return byId;
    const name = ref.startsWith("/") ? ref : `/${ref}`;
    for (const r of this.records.values()) if (r.Name === name) return r;
    if (/^[0-9a-f]+$/.test(ref) && ref.length > 0) {
      const matches = [...this.records.values()].filter((r) => r.ID.startsWith(ref));
      if (matches.length === 1) return matches[0] as ContainerRecord;
      if (matches.length > 1) throw invalidArgument(`multiple IDs found with provided prefix: ${ref}`);
    }
    throw notFound(`No such container: ${ref}`);
  }

  /** Number of containers by state (for /info). */
  counts(): { total: number; running: number; paused: number; stopped: number } {
    let running = 0;
    let paused = 0;
    for (const r of this.records.values()) {
      if (r.State.Paused) paused++;
      // moby counts a container between two restart rounds as stopped.
      else if (r.State.Running && !r.State.Restarting) running++;
    }
    return { total: this.records.size, running, paused, stopped: this.records.size - running - paused };
  }

  /** The image-in-use predicate for the image service. */
  usedBy(imageId: string): { id: string; running: boolean } | undefined {
    let found: { id: string; running: boolean } | undefined;
    for (const r of this.records.values()) {
      if (r.Image !== imageId) continue;
      if (r.State.Running) return { id: r.ID, running: true };
      found ??= { id: r.ID, running: false };
    }
    return found;
  }

  /** POST /containers/create. */
  async create(rawBody: unknown, name?: string): Promise<ContainerCreateResponse> {
    const body = checkBody(rawBody);
    const image = body.Image ?? "";
    if (image === "") throw invalidArgument("Config cannot be empty in order to create a container");
    let fullName: string;
    if (name !== undefined && name !== "") {
      fullName = normalizeName(name);
      this.checkNameFree(fullName);
    } else {
      fullName = `/${generateName()}`;
      for (let i = 1; this.nameTaken(fullName); i++) fullName = `/${generateName(i)}`;
    }
    const hc = body.HostConfig ?? {};
    const nm = hc.NetworkMode ?? "";
    // With the networks extension wired, it validates the mode (user networks, container:x).
    if (!this.extensions.some((x) => x.name === "networks") && nm !== "" && nm !== "default" && nm !== "bridge" && nm !== "none" && nm !== "host") {
      throw notFound(`network ${nm} not found`);
    }
    containerCapabilities(hc.CapAdd ?? [], hc.CapDrop ?? [], false, []);
    const runFacts = (this.d.runDefaults?.hostFacts ?? readRunHostFacts)(this.d.hostCapabilities());
    const warnings = validateRunOptions(body, hc, runFacts, (r) => ({ id: this.get(r).ID }));
    validateRestartPolicy(hc);
    validateHealthConfig(body.Healthcheck);
    if (hc.Memory !== undefined && hc.Memory > 0 && hc.Memory < 6 * 1024 * 1024) {
      throw invalidArgument("Minimum memory limit allowed is 6MB");
    }
    const img = this.d.images.resolve(image);
    const imgConfig = await this.d.images.config(img.id);
    const top = img.layers.at(-1);
    if (top === undefined) throw invalidArgument(`create container: image "${image}" has no layers`);
    const id = newId();
    const logs = resolveLogConfig(hc.LogConfig, this.d.runDefaults?.log ?? DEFAULT_LOG_DEFAULTS, this.store.paths(id).dir, id);
    const cfg = mergeImageConfig(body, imgConfig.config);
    cfg.Image = image;
    cfg.Hostname = body.Hostname !== undefined && body.Hostname !== "" ? body.Hostname : (nm === "host" || hc.UTSMode === "host" ? osHostname() : id.slice(0, 12));
    cfg.Domainname = body.Domainname ?? "";
    for (const k of ["AttachStdin", "AttachStdout", "AttachStderr", "Tty", "OpenStdin", "StdinOnce"] as const) cfg[k] = body[k] === true;
    const argv = [...(cfg.Entrypoint ?? []), ...(cfg.Cmd ?? [])];
    if (argv.length === 0) throw invalidArgument("no command specified");
    // Another create may have taken the name while we awaited the image config.
    this.checkNameFree(fullName);
    this.reserved.add(fullName);
    let made = false;
    const created: ContainerExtension[] = [];
    let draft: ContainerRecord | undefined;
    try {
      const paths = await this.store.create(id);
      made = true;
      const rw = await this.d.layers.createRwLayer(id, top.chainId);
      const rec: ContainerRecord = {
        ID: id,
        Created: new Date(this.now()).toISOString(),
        Path: argv[0] as string,
        Args: argv.slice(1),
        Config: cfg,
        HostConfig: { ...hc, NetworkMode: nm === "" ? "bridge" : nm, LogConfig: logs.config },
        State: {
          Status: "created", Running: false, Paused: false, Restarting: false, OOMKilled: false, Dead: false, Pid: 0,
          ExitCode: 0, Error: "", StartedAt: ZERO_TIME, FinishedAt: ZERO_TIME,
        },
        Image: img.id,
        ImageChainId: top.chainId,
        Name: fullName,
        RestartCount: 0,
        LogPath: logs.sink.path,
        ResolvConfPath: paths.resolvConf,
        HostnamePath: paths.hostname,
        HostsPath: paths.hosts,
        UpperDir: rw.upper,
        WorkDir: rw.work,
      };
      draft = rec;
      const hostResolv = await (this.d.hostResolvConf ?? (() => readFile("/etc/resolv.conf", "utf8").catch(() => "")))();
      const hostNet = networkMode(rec) === "host";
      await Promise.all([
        writeFile(paths.hostname, `${cfg.Hostname}\n`),
        writeFile(paths.hosts, hostNet ? await readFile("/etc/hosts", "utf8").catch(() => hostsFile(cfg.Hostname ?? "")) : hostsFile(cfg.Hostname ?? "")),
        writeFile(paths.resolvConf, resolvConf(hostResolv, hostNet)),
      ]);
      for (const x of this.extensions) {
        await x.create?.(rec, body);
        created.push(x);
      }
      await this.store.save(rec);
      this.records.set(id, rec);
    } catch (err) {
      // Nothing half-made stays behind: the writable layer (and its references) and the dir.
      this.records.delete(id);
      for (const x of created.reverse()) {
        if (made === false || draft === undefined) break;
        await x.remove?.(draft, { volumes: true }).catch((e: unknown) => this.log.warn({ err: e, container: id, extension: x.name }, "undo create"));
      }
      if (made) {
        await this.d.layers.removeRwLayer(id).catch(() => undefined);
        await this.store.remove(id).catch(() => undefined);
      }
      throw err;
    } finally {
      this.reserved.delete(fullName);
    }
    const rec = this.records.get(id) as ContainerRecord;
    this.publish(rec, "create");
    return { Id: id, Warnings: warnings };
  }

  private nameTaken(name: string): boolean {
    if (this.reserved.has(name)) return true;
    for (const r of this.records.values()) if (r.Name === name) return true;
    return false;
  }

  private checkNameFree(name: string): void {
    for (const r of this.records.values()) {
      if (r.Name === name) {
        throw conflict(`Conflict. The container name "${name}" is already in use by container "${r.ID}". You have to remove (or rename) that container to be able to reuse that name.`);
      }
    }
    if (this.reserved.has(name)) {
      throw conflict(`Conflict. The container name "${name}" is already in use by container "". You have to remove (or rename) that container to be able to reuse that name.`);
    }
  }

  private async specFor(rec: ContainerRecord): Promise<Spec> {
    const paths = this.store.paths(rec.ID);
    const [passwd, group] = await Promise.all([
      readFile(`${paths.rootfs}/etc/passwd`, "utf8").catch(() => ""),
      readFile(`${paths.rootfs}/etc/group`, "utf8").catch(() => ""),
    ]);
    const user = resolveUser(rec.Config.User ?? "", passwd, group);
    return buildSpec(rec, {
      paths, user, hostCapabilities: this.d.hostCapabilities(), seccomp: this.d.seccomp,
      ...(rec.HostConfig.Privileged === true ? { hostDevices: this.d.hostDevices?.() ?? [] } : {}),
      run: {
        initBinary: this.d.runDefaults?.initBinary ?? DEFAULT_DOCKER_INIT, initDefault: this.d.runDefaults?.init ?? false, groupFile: group,
        peer: (r) => {
          const p = this.get(r);
          return { id: p.ID, pid: p.State.Running ? p.State.Pid : 0 };
        },
      },
    });
  }

  /** POST /containers/{id}/start: 304 (not-modified) when already running. */
  async start(ref: string): Promise<void> {
    const rec = this.get(ref);
    if (rec.State.Running) throw notModified("container already started");
    this.restarts.reset(rec);
    await this.run(rec);
  }

  /** Start the container's process: the API's start and each round of a restart policy. */
  private async run(rec: ContainerRecord): Promise<void> {
    if (rec.State.Status === "removing") throw conflict(`cannot start container ${rec.ID}: removal in progress`);
    const live = this.liveOf(rec.ID);
    if (live.exitDone !== undefined) await live.exitDone;
    const paths = this.store.paths(rec.ID);
    let mounted = false;
    let prepared = false;
    let task: Task;
    try {
      // Extensions whose prepare does not touch the rootfs run while it is mounted; both
      // settle before anything is undone, and the patches apply in extension order.
      const earlyOnes = this.extensions.filter((x) => x.prepareWithoutRootfs === true);
      const early = new Map<ContainerExtension, SpecPatch | undefined>();
      const [mount, pre] = await Promise.allSettled([
        this.d.layers.mountRwLayer(rec.ID, paths.rootfs),
        Promise.all(earlyOnes.map(async (x) => { early.set(x, await x.prepare?.(rec, paths)); })),
      ]);
      mounted = mount.status === "fulfilled";
      if (mount.status === "rejected") {
        // As before: a failed mount releases nothing but what was prepared alongside it.
        for (const x of [...earlyOnes].reverse()) {
          await x.release?.(rec).catch((err: unknown) => this.log.warn({ err, container: rec.ID, extension: x.name }, "release container"));
        }
        throw mount.reason;
      }
      // A failed prepare releases every extension, as a failed prepare always did.
      prepared = true;
      if (pre.status === "rejected") throw pre.reason;
      const patches: SpecPatch[] = [];
      for (const x of this.extensions) {
        const patch = early.has(x) ? early.get(x) : await x.prepare?.(rec, paths);
        if (patch !== undefined) patches.push(patch);
      }
      const spec = await this.specFor(rec);
      for (const patch of patches) patch(spec as DeepMutable<Spec>);
      await writeFile(`${paths.dir}/config.json`, JSON.stringify(spec));
      live.spec = spec;
      const log = rec.HostConfig.LogConfig !== undefined ? logSinkOf(rec.HostConfig.LogConfig, paths.dir, rec.ID, rec) : undefined;
      task = await this.d.runtime.start(rec.ID, paths.dir, { stdin: rec.Config.OpenStdin === true, terminal: rec.Config.Tty === true, ...(log !== undefined ? { log } : {}) });
    } catch (err) {
      if (prepared) await this.releaseExtensions(rec);
      if (mounted) await this.d.layers.unmount(paths.rootfs).catch(() => undefined);
      const msg = err instanceof Error ? err.message : String(err);
      rec.State = { ...rec.State, Error: msg, ExitCode: exitStatusOfError(err) };
      await this.store.save(rec).catch(() => undefined);
      for (const k of live.sinks) k.end();
      live.sinks.clear();
      live.inputs.clear();
      // As dockerd: a container that cannot start is removed at once when auto-remove is set.
      if (rec.HostConfig.AutoRemove === true) await this.remove(rec.ID, { force: true }).catch(() => undefined);
      if (err instanceof BerthError && err.kind !== "internal") throw new BerthError(err.kind, `failed to create task for container: ${msg}`, { cause: err });
      throw err;
    }
    live.task = task;
    live.stopping = false;
    rec.State = {
      ...rec.State, Status: "running", Running: true, Paused: false, Restarting: false, Dead: false, OOMKilled: false,
      Pid: task.pid, ExitCode: 0, Error: "", StartedAt: new Date(this.now()).toISOString(), FinishedAt: ZERO_TIME,
    };
    // Output listeners go on before any await: a fast process may be done already.
    const saved = this.store.save(rec);
    live.exitDone = this.follow(rec, live, task, saved);
    await saved;
    for (const x of this.extensions) {
      await x.started?.(rec, task.pid).catch((err: unknown) => this.log.warn({ err, container: rec.ID, extension: x.name }, "container started"));
    }
    for (const input of live.inputs) this.pipeInput(rec, live, input);
    this.publish(rec, "start");
  }

  /** Copy output to the log and the attached sinks; on exit record the status. */
  private async follow(rec: ContainerRecord, live: Live, task: Task, saved: Promise<void>): Promise<void> {
    const writer = this.d.runtime.writesLog === true ? undefined : new JsonLogWriter(this.store.paths(rec.ID).log);
    const pump = (s: Readable | undefined, name: "stdout" | "stderr") => new Promise<void>((resolve) => {
      if (s === undefined) {
        resolve();
        return;
      }
      s.on("data", (c: Buffer) => {
        writer?.write(name, c);
        for (const k of live.sinks) k.data(name, c);
      });
      s.on("end", () => resolve());
      s.on("close", () => resolve());
      s.on("error", () => resolve());
    });
    const outputs = Promise.all([pump(task.stdout, "stdout"), pump(task.stderr, "stderr")]);
    const code = await task.exited;
    await saved.catch(() => undefined);
    // Output still in flight after the exit is read, but a leftover writer must not hold us.
    await Promise.race([outputs, new Promise((r) => setTimeout(r, 2000))]);
    task.stdout.destroy();
    task.stderr?.destroy();
    task.stdin?.destroy();
    await writer?.close();
    await this.d.runtime.cleanup(rec.ID).catch(() => undefined);
    // Once the processes are gone the rootfs and the extensions' resources (network
    // namespace, ...) are independent: released side by side.
    await Promise.all([
      this.d.layers.unmount(this.store.paths(rec.ID).rootfs).catch((err: unknown) => this.log.warn({ err, container: rec.ID }, "unmount rootfs")),
      this.releaseExtensions(rec),
    ]);
    live.task = undefined;
    const again = this.restarts.onExit(rec, code, this.now() - Date.parse(rec.State.StartedAt));
    rec.State = {
      ...rec.State, Status: again.restart ? "restarting" : "exited", Running: again.restart, Restarting: again.restart,
      Paused: false, Pid: 0, ExitCode: code, OOMKilled: task.oomKilled?.() ?? false,
      FinishedAt: new Date(this.now()).toISOString(),
    };
    // At once: a stop arriving while the record is saved must find the wait to cancel.
    if (again.restart) this.restarts.schedule(rec, again.delayMs);
    await this.store.save(rec).catch((err: unknown) => this.log.error({ err, container: rec.ID }, "save container record"));
    for (const k of live.sinks) k.end();
    live.sinks.clear();
    live.inputs.clear();
    this.publish(rec, "die", { exitCode: String(code) });
    this.resolveWaiters(rec.ID, (w) => w.condition !== "removed", { StatusCode: code, Error: null });
    for (const [eid, e] of this.execs) if (e.containerId === rec.ID && !e.running) this.execs.delete(eid);
    if (rec.HostConfig.AutoRemove === true && this.records.has(rec.ID)) {
      live.exitDone = undefined;
      await this.remove(rec.ID, { force: true }).catch((err: unknown) => this.log.warn({ err, container: rec.ID }, "auto-remove"));
    }
  }

  /** A restart loop ended without a new run (stop, kill, a failed start): the container is exited. */
  private async restartEnded(id: string, err?: unknown): Promise<void> {
    const rec = this.records.get(id);
    if (rec === undefined || !rec.State.Restarting) return;
    if (err !== undefined) this.log.warn({ err, container: id }, "restart container");
    rec.State = { ...rec.State, Status: "exited", Running: false, Restarting: false, Pid: 0 };
    await this.store.save(rec).catch((e: unknown) => this.log.error({ err: e, container: id }, "save container record"));
    this.resolveWaiters(id, (w) => w.condition !== "removed", { StatusCode: rec.State.ExitCode, Error: null });
  }

  private resolveWaiters(id: string, pred: (w: Waiter) => boolean, r: ContainerWaitResponse): void {
    const ws = this.waiters.get(id);
    if (ws === undefined) return;
    const keep: Waiter[] = [];
    for (const w of ws) {
      if (pred(w)) w.resolve(r);
      else keep.push(w);
    }
    if (keep.length === 0) this.waiters.delete(id);
    else this.waiters.set(id, keep);
  }

  private async waitExit(id: string, ms: number): Promise<boolean> {
    const live = this.live.get(id);
    const done = live?.exitDone;
    if (done === undefined) return true;
    let timer: NodeJS.Timeout | undefined;
    const r = await Promise.race([done.then(() => true), new Promise<boolean>((res) => { timer = setTimeout(() => res(false), ms); })]);
    clearTimeout(timer);
    return r;
  }

  /** POST /containers/{id}/stop: the stop signal, then SIGKILL after `t` seconds. */
  async stop(ref: string, o: { t?: number | undefined; signal?: string | undefined } = {}): Promise<void> {
    const rec = this.get(ref);
    if (!rec.State.Running) throw notModified("container already stopped");
    this.restarts.exitOnNext(rec);
    await this.stopRunning(rec, o);
    this.publish(rec, "stop");
  }

  private async stopRunning(rec: ContainerRecord, o: { t?: number | undefined; signal?: string | undefined }): Promise<void> {
    if (rec.State.Restarting) {
      // Between two runs there is no process: ending the loop is the stop.
      await this.restarts.cancel(rec.ID);
      if (!rec.State.Running) return;
    }
    const live = this.liveOf(rec.ID);
    live.stopping = true;
    const sig = parseSignal(o.signal ?? (rec.Config.StopSignal !== undefined && rec.Config.StopSignal !== "" ? rec.Config.StopSignal : "SIGTERM"));
    const stopTimeout = (rec.Config as { StopTimeout?: unknown }).StopTimeout;
    const t = o.t ?? (typeof stopTimeout === "number" ? stopTimeout : 10);
    await this.signal(rec, sig);
    // A negative timeout waits for the exit without a SIGKILL, as dockerd does.
    if (await this.waitExit(rec.ID, t < 0 ? 2 ** 31 - 1 : t * 1000)) return;
    await this.signal(rec, 9);
    await this.waitExit(rec.ID, 30_000);
  }

  private async signal(rec: ContainerRecord, sig: number): Promise<void> {
    try {
      await this.d.runtime.kill(rec.ID, sig);
    } catch (err) {
      this.log.debug({ err: (err as Error).message, container: rec.ID }, "signal");
    }
    this.publish(rec, "kill", { signal: String(sig) });
    await this.thawForSignal(rec, sig);
  }

  /** POST /containers/{id}/kill. */
  async kill(ref: string, signal?: string): Promise<void> {
    const rec = this.get(ref);
    const sig = parseSignal(signal === undefined || signal === "" ? "SIGKILL" : signal);
    if (!rec.State.Running) throw conflict(`cannot kill container: ${ref}: container ${rec.ID} is not running`);
    // moby's ExitOnNext: SIGKILL or the stop signal (any signal without one) ends a restart loop.
    const stopSig = rec.Config.StopSignal;
    const final = sig === 9 || stopSig === undefined || stopSig === "" || parseSignal(stopSig) === sig;
    if (final) this.restarts.exitOnNext(rec);
    if (rec.State.Restarting) {
      if (final) await this.restarts.cancel(rec.ID);
      if (!rec.State.Running || rec.State.Restarting) return;
    }
    await this.signal(rec, sig);
    if (sig === 9) await this.waitExit(rec.ID, 30_000);
  }

  /** POST /containers/{id}/restart. */
  async restart(ref: string, o: { t?: number | undefined; signal?: string | undefined } = {}): Promise<void> {
    const rec = this.get(ref);
    if (rec.State.Running) {
      this.restarts.exitOnNext(rec);
      await this.stopRunning(rec, o);
      this.publish(rec, "stop");
    }
    await this.start(rec.ID);
    this.publish(rec, "restart");
  }

  /** Wait requests held until their container's exit or removal (for tests and debugging). */
  get pendingWaits(): number {
    let n = 0;
    for (const ws of this.waiters.values()) n += ws.length;
    return n;
  }

  /**
   * POST /containers/{id}/wait. `signal` ends the wait (rejecting) when the client has gone:
   * `docker run -d` sends a next-exit wait and leaves, which would otherwise hold the waiter,
   * and with it the request, until the container exits.
   */
  wait(ref: string, condition = "not-running", signal?: AbortSignal): Promise<ContainerWaitResponse> {
    const rec = this.get(ref);
    if (condition === "") condition = "not-running";
    if (condition !== "not-running" && condition !== "next-exit" && condition !== "removed") {
      throw invalidArgument(`invalid condition: "${condition}"`);
    }
    if (condition === "not-running" && !rec.State.Running) {
      return Promise.resolve({ StatusCode: rec.State.ExitCode, Error: null });
    }
    return new Promise((resolve, reject) => {
      const ws = this.waiters.get(rec.ID) ?? [];
      const w: Waiter = { condition, resolve };
      ws.push(w);
      this.waiters.set(rec.ID, ws);
      signal?.addEventListener("abort", () => {
        const left = (this.waiters.get(rec.ID) ?? []).filter((x) => x !== w);
        if (left.length === 0) this.waiters.delete(rec.ID);
        else this.waiters.set(rec.ID, left);
        reject(new Error("wait: the client went away"));
      }, { once: true });
    });
  }

  /** DELETE /containers/{id}. */
  async remove(ref: string, o: { force?: boolean; volumes?: boolean } = {}): Promise<void> {
    const rec = this.get(ref);
    if (rec.State.Status === "removing") return;
    if (rec.State.Running) {
      if (o.force !== true) {
        throw conflict(`cannot remove container "${rec.Name}": container is ${rec.State.Status}: stop the container before removing or force remove`);
      }
      this.restarts.exitOnNext(rec);
      await this.restarts.cancel(rec.ID);
      if (rec.State.Running) {
        await this.signal(rec, 9);
        await this.waitExit(rec.ID, 30_000);
      }
    }
    const live = this.live.get(rec.ID);
    if (live?.exitDone !== undefined && rec.HostConfig.AutoRemove !== true) await live.exitDone;
    if (!this.records.has(rec.ID)) return;
    rec.State = { ...rec.State, Status: "removing" };
    await this.d.runtime.cleanup(rec.ID).catch(() => undefined);
    await this.d.layers.unmount(this.store.paths(rec.ID).rootfs).catch(() => undefined);
    // The writable layer and the extensions' state (endpoints, anonymous volumes) go side by
    // side; the record last, so a crash before it leaves a container to remove again.
    await Promise.all([
      this.d.layers.removeRwLayer(rec.ID),
      (async () => {
        for (const x of [...this.extensions].reverse()) {
          await x.remove?.(rec, { volumes: o.volumes === true }).catch((err: unknown) => this.log.warn({ err, container: rec.ID, extension: x.name }, "remove container"));
        }
      })(),
    ]);
    await this.store.remove(rec.ID);
    this.records.delete(rec.ID);
    this.live.delete(rec.ID);
    this.restarts.forget(rec.ID);
    for (const [eid, e] of this.execs) if (e.containerId === rec.ID) this.execs.delete(eid);
    this.publish(rec, "destroy");
    this.resolveWaiters(rec.ID, () => true, { StatusCode: rec.State.ExitCode, Error: null });
  }

  /** GET /containers/{id}/json. */
  inspect(ref: string): ContainerInspect {
    const out = this.inspectView(this.get(ref));
    for (const x of this.extensions) x.inspect?.(this.get(ref), out);
    return out;
  }

  private inspectView(rec: ContainerRecord): ContainerInspect {
    const execIds = [...this.execs.values()].filter((e) => e.containerId === rec.ID).map((e) => e.id);
    const paths = this.store.paths(rec.ID);
    const net = networkMode(rec);
    return {
      Id: rec.ID,
      Created: rec.Created,
      Path: rec.Path,
      Args: rec.Args,
      State: rec.State,
      Image: rec.Image,
      ResolvConfPath: rec.ResolvConfPath,
      HostnamePath: rec.HostnamePath,
      HostsPath: rec.HostsPath,
      LogPath: rec.LogPath,
      Name: rec.Name,
      RestartCount: rec.RestartCount,
      Driver: "overlay2",
      Platform: "linux",
      MountLabel: "",
      ProcessLabel: "",
      AppArmorProfile: "",
      ExecIDs: execIds.length > 0 ? execIds : null,
      // Docker fills these defaults; clients (docker-py's run) read them.
      HostConfig: { LogConfig: { Type: "json-file", Config: {} }, RestartPolicy: { Name: "no", MaximumRetryCount: 0 }, ...RESOURCE_DEFAULTS, ...rec.HostConfig },
      GraphDriver: { Name: "overlay2", Data: { MergedDir: paths.rootfs, UpperDir: rec.UpperDir ?? "", WorkDir: rec.WorkDir ?? "" } },
      Mounts: [],
      Config: rec.Config,
      NetworkSettings: {
        Bridge: "", SandboxID: "", SandboxKey: "", Ports: {}, Gateway: "", IPAddress: "", IPPrefixLen: 0, MacAddress: "",
        Networks: net === "private" ? {} : { [net]: { NetworkID: "", EndpointID: "", Gateway: "", IPAddress: "", IPPrefixLen: 0, MacAddress: "" } },
      },
    };
  }

  private summary(rec: ContainerRecord, size: boolean): ContainerSummary {
    const s: ContainerSummary = {
      Id: rec.ID,
      Names: [rec.Name],
      Image: rec.Config.Image ?? "",
      ImageID: rec.Image,
      // moby quotes arguments that contain spaces.
      Command: [rec.Path, ...rec.Args.map((a) => (a.includes(" ") ? `'${a}'` : a))].join(" "),
      Created: Math.floor(Date.parse(rec.Created) / 1000),
      Ports: [],
      Labels: rec.Config.Labels ?? {},
      State: rec.State.Status,
      Status: statusString({ status: rec.State.Status, startedAt: rec.State.StartedAt, finishedAt: rec.State.FinishedAt, exitCode: rec.State.ExitCode }, this.now()),
      HostConfig: { NetworkMode: rec.HostConfig.NetworkMode ?? "bridge" },
      NetworkSettings: { Networks: {} },
      Mounts: [],
    };
    if (size) {
      s.SizeRw = 0;
      s.SizeRootFs = 0;
    }
    for (const x of this.extensions) x.summary?.(rec, s);
    return s;
  }

  /** The unpacked size of an image's layers (0 when the image is gone). */
  private imageSize(id: string): number {
    try {
      return this.d.images.resolve(id).layers.reduce((a, l) => a + (l.unpackedSize ?? 0), 0);
    } catch {
      return 0;
    }
  }

  /** GET /containers/json. */
  async list(o: ContainerListOptions = {}): Promise<ContainerSummary[]> {
    const f = o.filters ?? {};
    for (const k of Object.keys(f)) if (!LIST_FILTERS.has(k)) throw invalidArgument(`invalid filter '${k}'`);
    for (const h of f.health ?? []) if (!HEALTH_FILTERS.has(h)) throw invalidArgument(`Unrecognised filter value for health: ${h}`);
    for (const s of f.status ?? []) if (!STATUSES.has(s)) throw invalidArgument(`invalid filter 'status=${s}'`);
    const exited = (f.exited ?? []).map((v) => {
      if (!/^-?\d+$/.test(v)) throw invalidArgument(`invalid filter 'exited=${v}'`);
      return Number(v);
    });
    let ancestorIds: Set<string> | undefined;
    if (f.ancestor !== undefined && f.ancestor.length > 0) {
      ancestorIds = new Set();
      for (const a of f.ancestor) {
        try {
          ancestorIds.add(this.d.images.resolve(a).id);
        } catch {
          // an unknown image matches nothing
        }
      }
    }
    let recs = [...this.records.values()].sort((a, b) => Date.parse(b.Created) - Date.parse(a.Created) || (a.ID < b.ID ? -1 : 1));
    const all = o.all === true || (o.limit !== undefined && o.limit > 0) || (f.status !== undefined && f.status.length > 0) || exited.length > 0;
    recs = recs.filter((r) => {
      if (!all && !r.State.Running) return false;
      if (f.id !== undefined && f.id.length > 0 && !f.id.some((v) => r.ID.startsWith(v))) return false;
      if (f.name !== undefined && f.name.length > 0 && !f.name.some((v) => {
        try {
          return new RegExp(v).test(r.Name) || new RegExp(v).test(shortName(r));
        } catch {
          return r.Name.includes(v);
        }
      })) return false;
      if (f.label !== undefined && f.label.length > 0) {
        const labels = r.Config.Labels ?? {};
        if (!f.label.every((v) => {
          const i = v.indexOf("=");
          return i === -1 ? labels[v] !== undefined : labels[v.slice(0, i)] === v.slice(i + 1);
        })) return false;
      }
      if (f.status !== undefined && f.status.length > 0 && !f.status.includes(r.State.Status)) return false;
      if (exited.length > 0 && (r.State.Status !== "exited" || !exited.includes(r.State.ExitCode))) return false;
      if (ancestorIds !== undefined && !ancestorIds.has(r.Image)) return false;
      if (f.health !== undefined && f.health.length > 0 && !f.health.includes(r.State.Health?.Status ?? "none")) return false;
      return true;
    });
    if (o.limit !== undefined && o.limit > 0) recs = recs.slice(0, o.limit);
    const out = recs.map((r) => this.summary(r, o.size === true));
    if (o.size === true) {
      await Promise.all(out.map(async (s) => {
        const rec = this.records.get(s.Id);
        s.SizeRw = rec?.UpperDir !== undefined ? await dirSize(rec.UpperDir) : 0;
        // moby's GetContainerLayerSize: the image's layers plus the writable layer.
        s.SizeRootFs = (rec !== undefined ? this.imageSize(rec.Image) : 0) + s.SizeRw;
      }));
    }
    return out;
  }

  /** GET /containers/{id}/logs: replay (and follow) the json-file log into `sink`. */
  async logs(ref: string, o: LogsOptions, sink: OutputSink, signal: AbortSignal): Promise<{ tty: boolean }> {
    const rec = this.get(ref);
    assertLogReadable(rec.HostConfig.LogConfig);
    const tty = rec.Config.Tty === true;
    const ro = {
      stdout: o.stdout, stderr: o.stderr,
      ...(o.tail !== undefined ? { tail: o.tail } : {}),
      ...(o.since !== undefined ? { since: o.since } : {}),
      ...(o.until !== undefined ? { until: o.until } : {}),
    };
    void (async () => {
      try {
        const offset = await replayLogFiles(rec.LogPath, ro, {
          entry: (e) => sink.data(e.stream, e.log, o.timestamps === true ? e.time : undefined),
          flush: () => sink.flush?.() ?? Promise.resolve(),
        }, signal);
        if (o.follow && rec.State.Running && !signal.aborted) {
          const live = this.live.get(rec.ID);
          let finished = false;
          void live?.exitDone?.then(() => { finished = true; });
          await followLog(rec.LogPath, offset, { ...ro, tail: -1 }, (e: LogEntry) => sink.data(e.stream, e.log, e.time), () => finished || !rec.State.Running, signal);
        }
      } catch (err) {
        this.log.warn({ err, container: rec.ID }, "read logs");
      }
      sink.end();
    })();
    return { tty };
  }

  private pipeInput(rec: ContainerRecord, live: Live, input: Readable): void {
    const stdin = live.task?.stdin;
    if (stdin === undefined) return;
    input.on("data", (c: Buffer) => {
      stdin.write(c);
    });
    input.on("end", () => {
      if (rec.Config.StdinOnce === true) stdin.end();
    });
  }

  /**
   * POST /containers/{id}/attach: optionally replay the log, then stream live output
   * into `sink` until the container exits, `detach()` is called, or the detach keys are
   * typed on `stdin`.
   */
  async attach(ref: string, o: AttachOptions, sink: OutputSink): Promise<{ tty: boolean; detach: () => void }> {
    const rec = this.get(ref);
    const tty = rec.Config.Tty === true;
    const keys = parseDetachKeys(o.detachKeys !== undefined && o.detachKeys !== "" ? o.detachKeys : DEFAULT_DETACH_KEYS);
    const filtered: OutputSink = {
      data: (s, c) => {
        if ((s === "stdout" && o.stdout) || (s === "stderr" && o.stderr)) sink.data(s, c);
      },
      end: () => sink.end(),
    };
    if (o.logs) {
      await replayLogFiles(rec.LogPath, { stdout: o.stdout, stderr: o.stderr }, { entry: (e) => sink.data(e.stream, e.log) });
    }
    const live = this.liveOf(rec.ID);
    // A stopped container is attachable too: the stream starts with its next run (start -a).
    if (!o.stream) {
      sink.end();
      return { tty, detach: () => undefined };
    }
    let input: Readable | undefined;
    const detach = () => {
      if (!live.sinks.delete(filtered)) return;
      if (input !== undefined) live.inputs.delete(input);
      this.publish(rec, "detach");
      sink.end();
    };
    live.sinks.add(filtered);
    if (o.stdin !== undefined && rec.Config.OpenStdin === true) {
      const scanner = new DetachScanner(keys);
      const { PassThrough } = await import("node:stream");
      const pass = new PassThrough();
      input = pass;
      o.stdin.on("data", (c: Buffer) => {
        const r = scanner.feed(c);
        if (r.forward.length > 0) pass.write(r.forward);
        if (r.detached) detach();
      });
      o.stdin.on("end", () => pass.end());
      o.stdin.on("error", () => pass.end());
      live.inputs.add(pass);
      if (live.task !== undefined) this.pipeInput(rec, live, pass);
    }
    this.publish(rec, "attach");
    return { tty, detach };
  }

  /** POST /containers/{id}/pause: freeze every process (cgroup freezer). */
  async pause(ref: string): Promise<void> {
    const rec = this.get(ref);
    checkPause(rec.ID, rec.State);
    if (this.d.runtime.pause === undefined) throw notImplemented("pause container: not supported by this runtime");
    await this.d.runtime.pause(rec.ID);
    rec.State = pausedState(rec.State, true);
    await this.store.save(rec);
    this.publish(rec, "pause");
  }

  /** POST /containers/{id}/unpause. */
  async unpause(ref: string): Promise<void> {
    const rec = this.get(ref);
    checkUnpause(rec.ID, rec.State);
    await this.d.runtime.resume?.(rec.ID);
    rec.State = pausedState(rec.State, false);
    await this.store.save(rec);
    this.publish(rec, "unpause");
  }

  /** A paused container must thaw for a stop or SIGKILL to act (moby's killWithSignal). */
  private async thawForSignal(rec: ContainerRecord, sig: number): Promise<void> {
    if (!rec.State.Paused || (sig !== 9 && this.live.get(rec.ID)?.stopping !== true)) return;
    await this.d.runtime.resume?.(rec.ID).catch((err: unknown) => this.log.warn({ err, container: rec.ID }, "unpause container"));
    rec.State = pausedState(rec.State, false);
  }

  /** POST /containers/{id}/rename (moby's ContainerRename). */
  async rename(ref: string, newName: string): Promise<void> {
    if (ref === "" || newName === "") throw invalidArgument("Neither old nor new names may be empty");
    const rec = this.get(ref);
    const wanted = newName.startsWith("/") ? newName : `/${newName}`;
    if (wanted === rec.Name) throw invalidArgument("Renaming a container with the same name as its current name");
    const fullName = normalizeName(newName);
    this.checkNameFree(fullName);
    const oldName = rec.Name;
    rec.Name = fullName;
    try {
      await this.store.save(rec);
    } catch (err) {
      rec.Name = oldName;
      throw err;
    }
    this.publish(rec, "rename", { oldName });
  }

  /** POST /containers/{id}/update: new limits, applied live to a running container's cgroup. */
  async update(ref: string, body: unknown): Promise<ContainerUpdateResponse> {
    const u = parseUpdateBody(body);
    validateUpdate(u, availableParallelism());
    const rec = this.get(ref);
    const cannot = (err: unknown): never => {
      const msg = err instanceof Error ? err.message : String(err);
      throw new BerthError(err instanceof BerthError ? err.kind : "internal", `Cannot update container ${rec.ID}: ${msg}`, { cause: err });
    };
    if (rec.State.Status === "removing" || rec.State.Dead) cannot(conflict(`container is marked for removal and cannot be "update"`));
    let merged: HostConfig;
    try {
      merged = mergeUpdate(rec.HostConfig, u);
    } catch (err) {
      return cannot(err);
    }
    if (rec.State.Running && this.d.runtime.update !== undefined) {
      await this.d.runtime.update(rec.ID, updateResources(merged, u)).catch(cannot);
    }
    rec.HostConfig = merged;
    await this.store.save(rec);
    this.publish(rec, "update");
    return { Warnings: [] };
  }

  /**
   * GET /containers/{id}/stats: samples into `emit` (one per second with `stream`), from
   * the cgroup counters; one all-zero sample for a container that is not running.
   */
  async stats(ref: string, o: StatsOptions, emit: (s: ContainerStats) => void, signal: AbortSignal): Promise<void> {
    const rec = this.get(ref);
    const runtime = this.d.runtime;
    if (!rec.State.Running || runtime.stats === undefined) {
      emit(emptyStats(rec.Name, rec.ID));
      return;
    }
    const sampler = new StatsSampler({
      name: rec.Name, id: rec.ID, pid: rec.State.Pid, ownNetwork: networkMode(rec) !== "host",
      read: () => (runtime.stats as (id: string) => Promise<CgroupStats>).call(runtime, rec.ID),
    });
    await runStats(sampler, o, emit, () => rec.State.Running && this.records.has(rec.ID), signal);
  }

  /** POST /containers/{id}/resize. */
  async resize(ref: string, height: number, width: number): Promise<void> {
    const rec = this.get(ref);
    const task = this.live.get(rec.ID)?.task;
    if (task === undefined) throw conflict(`cannot resize container ${rec.ID}: container is not running`);
    await task.resize(height, width);
  }

  /** GET /containers/{id}/top: `ps <psArgs>` (default `-ef`) rows of the container's processes. */
  async top(ref: string, psArgs = ""): Promise<ContainerTopResponse> {
    const rec = this.get(ref);
    validatePsArgs(psArgs);
    if (!rec.State.Running) throw conflict(`container ${rec.ID} is not running`);
    if (rec.State.Restarting) throw conflict(`Container ${rec.ID} is restarting, wait until the container is running`);
    return containerTop(await this.d.runtime.pids(rec.ID), psArgs);
  }

  /** POST /containers/{id}/exec. */
  execCreate(ref: string, body: unknown): { Id: string } {
    const rec = this.get(ref);
    if (body === undefined || body === null || typeof body !== "object" || Array.isArray(body)) throw invalidArgument("invalid JSON: exec config must be an object");
    const b = body as ExecCreateBody;
    if (!Array.isArray(b.Cmd) || b.Cmd.length === 0 || b.Cmd.some((x) => typeof x !== "string")) throw invalidArgument("No exec command specified");
    if (!rec.State.Running) throw conflict(`container ${rec.ID} is not running`);
    if (rec.State.Paused) throw conflict(`Container ${rec.ID} is paused, unpause the container before exec`);
    if (rec.State.Restarting) throw conflict(`Container ${rec.ID} is restarting, wait until the container is running`);
    const id = newId();
    this.execs.set(id, { id, containerId: rec.ID, body: b, running: false, exitCode: null, pid: 0, task: undefined });
    this.publish(rec, `exec_create: ${b.Cmd.join(" ")}`, { execID: id });
    return { Id: id };
  }

  private execOf(id: string): ExecRecord {
    const e = this.execs.get(id);
    if (e === undefined) throw notFound(`No such exec instance: ${id}`);
    return e;
  }

  /**
   * POST /exec/{id}/start: run the process; output goes to `sink` (ended at exit),
   * `stdin` feeds it. Detached: returns once started.
   */
  async execStart(id: string, o: { detach: boolean; tty?: boolean | undefined; stdin: Readable | undefined }, sink: OutputSink): Promise<{ tty: boolean }> {
    const e = this.execOf(id);
    if (e.running || e.exitCode !== null) throw conflict(`exec ${id} has already run`);
    const rec = this.get(e.containerId);
    const live = this.live.get(rec.ID);
    const spec = live?.spec;
    if (!rec.State.Running || spec?.process === undefined) throw conflict(`container ${rec.ID} is not running`);
    const tty = o.tty ?? e.body.Tty === true;
    const base = spec.process;
    let user = { uid: base.user.uid, gid: base.user.gid, additionalGids: [...(base.user.additionalGids ?? [])] };
    if (e.body.User !== undefined && e.body.User !== "") {
      const root = this.store.paths(rec.ID).rootfs;
      const [passwd, group] = await Promise.all([
        readFile(`${root}/etc/passwd`, "utf8").catch(() => ""), readFile(`${root}/etc/group`, "utf8").catch(() => ""),
      ]);
      const u = resolveUser(e.body.User, passwd, group);
      user = { uid: u.uid, gid: u.gid, additionalGids: u.additionalGids };
    }
    const caps = e.body.Privileged === true ? [...this.d.hostCapabilities()] : base.capabilities?.bounding ?? [];
    const proc: Process = {
      terminal: tty,
      user: { uid: user.uid, gid: user.gid, ...(user.additionalGids.length > 0 ? { additionalGids: user.additionalGids } : {}) },
      args: e.body.Cmd ?? [],
      env: containerEnv(rec.Config.Hostname ?? "", tty, [...(rec.Config.Env ?? []), ...(e.body.Env ?? [])]),
      cwd: e.body.WorkingDir !== undefined && e.body.WorkingDir !== "" ? e.body.WorkingDir : base.cwd,
      capabilities: { bounding: caps, effective: caps, permitted: caps },
      // moby starts an exec from the container's process spec: its rlimits, no_new_privs and oom score stay.
      noNewPrivileges: base.noNewPrivileges ?? false,
      ...(base.rlimits !== undefined ? { rlimits: base.rlimits } : {}),
      ...(base.oomScoreAdj !== undefined ? { oomScoreAdj: base.oomScoreAdj } : {}),
    };
    e.running = true;
    const cmd = (e.body.Cmd ?? []).join(" ");
    let task: Task;
    try {
      task = await this.d.runtime.exec(rec.ID, id, proc, { stdin: e.body.AttachStdin === true && !o.detach, terminal: tty });
    } catch (err) {
      e.running = false;
      e.exitCode = exitStatusOfError(err);
      throw err;
    }
    e.task = task;
    e.pid = task.pid;
    this.publish(rec, `exec_start: ${cmd}`, { execID: id });
    const pump = (s: Readable | undefined, name: "stdout" | "stderr") => new Promise<void>((resolve) => {
      if (s === undefined) {
        resolve();
        return;
      }
      s.on("data", (c: Buffer) => {
        if (!o.detach) sink.data(name, c);
      });
      s.on("end", () => resolve());
      s.on("close", () => resolve());
      s.on("error", () => resolve());
    });
    const outputs = Promise.all([pump(task.stdout, "stdout"), pump(task.stderr, "stderr")]);
    if (o.stdin !== undefined && task.stdin !== undefined) {
      const stdin = task.stdin;
      o.stdin.on("data", (c: Buffer) => stdin.write(c));
      o.stdin.on("end", () => stdin.end());
      o.stdin.on("error", () => stdin.end());
    }
    void (async () => {
      const code = await task.exited.catch((err: unknown) => exitStatusOfError(err));
      await Promise.race([outputs, new Promise((r) => setTimeout(r, 2000))]);
      task.stdout.destroy();
      task.stderr?.destroy();
      task.stdin?.destroy();
      e.running = false;
      e.exitCode = code;
      e.task = undefined;
      this.publish(rec, "exec_die", { execID: id, exitCode: String(code) });
      if (!o.detach) sink.end();
    })();
    if (o.detach) sink.end();
    return { tty };
  }

  /** GET /exec/{id}/json. */
  execInspect(id: string): ExecInspect {
    const e = this.execOf(id);
    const cmd = e.body.Cmd ?? [];
    return {
      CanRemove: false,
      ContainerID: e.containerId,
      DetachKeys: e.body.DetachKeys ?? "",
      ExitCode: e.exitCode,
      ID: e.id,
      OpenStderr: e.body.AttachStderr === true,
      OpenStdin: e.body.AttachStdin === true,
      OpenStdout: e.body.AttachStdout === true,
      ProcessConfig: { arguments: cmd.slice(1), entrypoint: cmd[0] ?? "", privileged: e.body.Privileged === true, tty: e.body.Tty === true, user: e.body.User ?? "" },
      Running: e.running,
      Pid: e.pid,
    };
  }

  /** Drop a finished exec's record (health probes run one per interval). */
  execForget(id: string): void {
    if (this.execs.get(id)?.running === false) this.execs.delete(id);
  }

  /** POST /exec/{id}/resize. */
  async execResize(id: string, height: number, width: number): Promise<void> {
    const e = this.execOf(id);
    if (e.task === undefined) throw conflict(`exec ${id} is not running`);
    await e.task.resize(height, width);
  }

  /**
   * The daemon is stopping. As dockerd: every running container is stopped as `docker stop`
   * does (its stop signal, SIGKILL after its stop timeout), all at once; with `liveRestore`
   * they are left running under their shims, for the next daemon to reconnect to.
   */
  async shutdown(o: { liveRestore?: boolean } = {}): Promise<void> {
    this.restarts.shutdown();
    if (o.liveRestore === true) return;
    await Promise.all([...this.records.values()].filter(isRunning).map((r) => this.stopRunning(r, {}).catch(() => undefined)));
  }
}
