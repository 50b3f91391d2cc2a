/**
 * Healthchecks as moby runs them (daemon/health.go): a probe exec'd in the container on a
 * timer from each start, `State.Health` (status, failing streak, the last five results),
 * `health_status: <status>` events on each change, and the `(healthy)` suffix of the list
 * status. A container lifecycle extension: `started` begins the monitor, `release` ends it.
 */
import type { ContainerSummary, ExecInspect, Health, HealthConfig, HealthcheckResult } from "../../api/containers.js";
import type { ImageContainerConfig } from "../../api/images.js";
import { invalidArgument } from "../../shared/errors.js";
import { nullLogger, type Logger } from "../../shared/logger.js";
import type { EventBus } from "../events/event-bus.js";
import type { ContainerExtension } from "./container-extension.js";
import type { ContainerRecord } from "./container-record.js";

/** moby's defaults (nanoseconds in the config, milliseconds here). */
export const HEALTH_DEFAULTS = { intervalMs: 30_000, timeoutMs: 30_000, startPeriodMs: 0, startIntervalMs: 5_000, retries: 3 } as const;
/** moby keeps the last five results and 4 KiB of each probe's output. */
export const MAX_LOG_ENTRIES = 5;
export const MAX_OUTPUT_LEN = 4096;
const MIN_DURATION_NS = 1_000_000;

/** moby's verifyContainerSettings checks of Config.Healthcheck. */
export function validateHealthConfig(h: unknown): void {
  if (h === undefined || h === null) return;
  if (typeof h !== "object" || Array.isArray(h)) throw invalidArgument("invalid JSON: Healthcheck must be an object");
  const c = h as Record<string, unknown>;
  if (c.Test !== undefined && c.Test !== null && (!Array.isArray(c.Test) || c.Test.some((x) => typeof x !== "string"))) {
    throw invalidArgument("invalid JSON: Healthcheck.Test must be a list of strings");
  }
  for (const k of ["Interval", "Timeout", "Retries", "StartPeriod", "StartInterval"]) {
    if (c[k] !== undefined && c[k] !== null && (typeof c[k] !== "number" || !Number.isInteger(c[k]))) throw invalidArgument(`invalid JSON: Healthcheck.${k} must be an integer`);
  }
  const min = (k: string) => {
    const v = (c[k] ?? 0) as number;
    if (v !== 0 && v < MIN_DURATION_NS) throw invalidArgument(`${k} in Healthcheck cannot be less than 1ms`);
  };
  min("Interval");
  min("Timeout");
  if (((c.Retries ?? 0) as number) < 0) throw invalidArgument("Retries in Healthcheck cannot be negative");
  min("StartPeriod");
  min("StartInterval");
}

/** moby's merge of the image's healthcheck under the container's (commit.go merge). */
export function mergeHealthcheck(user: HealthConfig | undefined, image: HealthConfig | undefined): HealthConfig | undefined {
  if (image === undefined || image === null) return user;
  if (user === undefined || user === null) return image;
  const out: HealthConfig = { ...user };
  if (out.Test === undefined || out.Test === null || out.Test.length === 0) out.Test = image.Test ?? [];
  for (const k of ["Interval", "Timeout", "StartPeriod", "StartInterval", "Retries"] as const) {
    if ((out[k] ?? 0) === 0 && image[k] !== undefined) out[k] = image[k];
  }
  return out;
}

/** The probe's argv (CMD or CMD-SHELL through the container's shell), or undefined for none. */
export function probeCommand(cfg: ImageContainerConfig): string[] | undefined {
  const test = cfg.Healthcheck?.Test ?? [];
  switch (test[0]) {
    case "CMD":
      return test.length > 1 ? test.slice(1) : undefined;
    case "CMD-SHELL": {
      const shell = cfg.Shell !== undefined && cfg.Shell.length > 0 ? cfg.Shell : ["/bin/sh", "-c"];
      return [...shell, test.slice(1).join(" ")];
    }
    default:
      // "NONE", an empty test, or a type moby does not know either: no monitor.
      return undefined;
  }
}

/** Go's time.Duration.String() for the timeout message ("30s", "500ms", "1m30s"). */
export function goDuration(ms: number): string {
  if (ms === 0) return "0s";
  if (ms < 1000) return `${ms}ms`;
  let s = ms / 1000;
  const h = Math.floor(s / 3600);
  s -= h * 3600;
  const m = Math.floor(s / 60);
  s -= m * 60;
  const sec = `${Number(s.toFixed(3))}s`;
  if (h > 0) return `${h}h${m}m${sec}`;
  if (m > 0) return `${m}m${sec}`;
  return sec;
}

/** moby's limitedBuffer: the first 4 KiB, "..." when more came. */
export class LimitedOutput {
  private readonly chunks: Buffer[] = [];
  private len = 0;
  private truncated = false;

  write(c: Buffer): void {
    const keep = Math.min(MAX_OUTPUT_LEN - this.len, c.length);
    if (keep > 0) {
      this.chunks.push(c.subarray(0, keep));
      this.len += keep;
    }
    if (keep < c.length) this.truncated = true;
  }

  toString(): string {
    return Buffer.concat(this.chunks).toString() + (this.truncated ? "..." : "");
  }
}

/** One probe's outcome. */
export interface ProbeResult {
  exitCode: number;
  output: string;
  start: number;
  end: number;
}

/** moby's handleProbeResult: the new health after one result (pure; `log` keeps the last five). */
export function applyProbeResult(h: Health, r: ProbeResult, o: { retries: number; startPeriodMs: number; startedAt: number }): Health {
  const log: HealthcheckResult[] = [...h.Log, {
    Start: new Date(r.start).toISOString(), End: new Date(r.end).toISOString(), ExitCode: r.exitCode, Output: r.output,
  }].slice(-MAX_LOG_ENTRIES);
  if (r.exitCode === 0) return { Status: "healthy", FailingStreak: 0, Log: log };
  // Failures inside the start period do not count while the container never was healthy.
  if (h.Status === "starting" && r.start - o.startedAt < o.startPeriodMs) return { ...h, Log: log };
  const streak = h.FailingStreak + 1;
  return { Status: streak >= o.retries ? "unhealthy" : h.Status, FailingStreak: streak, Log: log };
}

/** The exec operations a probe needs (ContainerService satisfies it). */
export interface ProbeExec {
  execCreate(ref: string, body: unknown): { Id: string };
  execStart(id: string, o: { detach: boolean; stdin: undefined }, sink: { data(stream: "stdout" | "stderr", chunk: Buffer): void; end(): void }): Promise<{ tty: boolean }>;
  execInspect(id: string): ExecInspect;
  /** Drop the finished probe's exec record (one per interval would pile up). */
  execForget?(id: string): void;
}

/** Dependencies of the health monitor. */
export interface HealthMonitorDeps {
  events: EventBus;
  /** Late-bound: the container service is built after its extensions. */
  exec: () => ProbeExec | undefined;
  log?: Logger;
  /** @default Date.now */
  now?: () => number;
}

interface Monitor {
  stopped: boolean;
  timer: NodeJS.Timeout | undefined;
  wake: (() => void) | undefined;
}

const ns2ms = (ns: number | undefined, dflt: number) => (ns === undefined || ns === 0 ? dflt : Math.max(1, Math.round(ns / 1e6)));

/** The healthcheck extension of the container lifecycle. */
export class HealthMonitor implements ContainerExtension {
  readonly name = "health";
  private readonly d: HealthMonitorDeps;
  private readonly monitors = new Map<string, Monitor>();
  private readonly log: Logger;

  constructor(deps: HealthMonitorDeps) {
    this.d = deps;
    this.log = deps.log ?? nullLogger;
  }

  private now(): number {
    return (this.d.now ?? Date.now)();
  }

  /** moby's initHealthMonitor: status back to starting (the log is kept), then probe on a timer. */
  async started(rec: ContainerRecord): Promise<void> {
    this.stop(rec.ID);
    const argv = probeCommand(rec.Config);
    if (argv === undefined) return;
    const prev = rec.State.Health;
    rec.State.Health = { Status: "starting", FailingStreak: 0, Log: prev?.Log ?? [] };
    const m: Monitor = { stopped: false, timer: undefined, wake: undefined };
    this.monitors.set(rec.ID, m);
    void this.loop(rec, m, argv).catch((err: unknown) => this.log.warn({ err, container: rec.ID }, "healthcheck monitor"));
  }

  /** After a daemon restart: monitor a container that kept running (moby's restore). */
  resume(rec: ContainerRecord): void {
    if (this.monitors.has(rec.ID) || rec.State.Status !== "running") return;
    void this.started(rec);
  }

  /** The run is over: stop probing; moby then reports the container unhealthy. */
  async release(rec: ContainerRecord): Promise<void> {
    if (this.stop(rec.ID) && rec.State.Health !== undefined) rec.State.Health = { ...rec.State.Health, Status: "unhealthy" };
  }

  async remove(rec: ContainerRecord): Promise<void> {
    this.stop(rec.ID);
  }

  /** `Up 5 seconds (healthy)`, as moby's State.String(). */
  summary(rec: ContainerRecord, out: ContainerSummary): void {
    const h = rec.State.Health;
    if (h === undefined || rec.State.Status !== "running") return;
    out.Status = `${out.Status} (${h.Status === "starting" ? "health: starting" : h.Status})`;
  }

  private stop(id: string): boolean {
    const m = this.monitors.get(id);
    if (m === undefined) return false;
    m.stopped = true;
    if (m.timer !== undefined) clearTimeout(m.timer);
    m.wake?.();
    this.monitors.delete(id);
    return true;
  }

  private async loop(rec: ContainerRecord, m: Monitor, argv: string[]): Promise<void> {
    const hc = rec.Config.Healthcheck ?? {};
    const intervalMs = ns2ms(hc.Interval, HEALTH_DEFAULTS.intervalMs);
    const startIntervalMs = ns2ms(hc.StartInterval, HEALTH_DEFAULTS.startIntervalMs);
    const startPeriodMs = ns2ms(hc.StartPeriod, HEALTH_DEFAULTS.startPeriodMs);
    const timeoutMs = ns2ms(hc.Timeout, HEALTH_DEFAULTS.timeoutMs);
    const retries = hc.Retries !== undefined && hc.Retries > 0 ? hc.Retries : HEALTH_DEFAULTS.retries;
    const startedAt = Date.parse(rec.State.StartedAt);
    // moby: the start interval applies while starting, inside the start period.
    const nextDelay = () => (this.now() - startedAt < startPeriodMs && rec.State.Health?.Status === "starting" ? startIntervalMs : intervalMs);
    while (!m.stopped) {
      await new Promise<void>((resolve) => {
        m.timer = setTimeout(resolve, nextDelay());
        m.wake = resolve;
      });
      m.timer = undefined;
      m.wake = undefined;
      if (m.stopped) return;
      const r = await this.probe(rec, argv, timeoutMs);
      if (m.stopped) return;
      const before = rec.State.Health ?? { Status: "starting", FailingStreak: 0, Log: [] };
      const after = applyProbeResult(before, r, { retries, startPeriodMs, startedAt });
      rec.State.Health = after;
      if (after.Status !== before.Status) {
        this.d.events.publish("container", `health_status: ${after.Status}`, rec.ID, {
          ...(rec.Config.Labels ?? {}), image: rec.Config.Image ?? "", name: rec.Name.replace(/^\//, ""),
        });
      }
    }
  }

  /** One probe: an exec of `argv`, bounded by the timeout (moby's cmdProbe.run). */
  private async probe(rec: ContainerRecord, argv: string[], timeoutMs: number): Promise<ProbeResult> {
    const start = this.now();
    const svc = this.d.exec();
    if (svc === undefined) return { exitCode: -1, output: "container service not ready", start, end: this.now() };
    const out = new LimitedOutput();
    let id: string | undefined;
    try {
      id = svc.execCreate(rec.ID, { Cmd: argv, AttachStdout: true, AttachStderr: true, Tty: false }).Id;
      const execId = id;
      let ended!: () => void;
      const done = new Promise<void>((resolve) => { ended = resolve; });
      await svc.execStart(execId, { detach: false, stdin: undefined }, { data: (_s, c) => out.write(c), end: () => ended() });
      let timer: NodeJS.Timeout | undefined;
      const inTime = await Promise.race([done.then(() => true), new Promise<boolean>((r) => { timer = setTimeout(() => r(false), timeoutMs); })]);
      clearTimeout(timer);
      if (!inTime) {
        const pid = svc.execInspect(execId).Pid;
        if (pid > 0) {
          try {
            process.kill(pid, "SIGKILL");
          } catch {
            // already gone
          }
        }
        return { exitCode: -1, output: `Health check exceeded timeout (${goDuration(timeoutMs)})`, start, end: this.now() };
      }
      const code = svc.execInspect(execId).ExitCode;
      return { exitCode: code ?? -1, output: out.toString(), start, end: this.now() };
    } catch (err) {
      return { exitCode: -1, output: err instanceof Error ? err.message : String(err), start, end: this.now() };
    } finally {
      if (id !== undefined) {
        const forget = id;
        // A timed-out probe is forgotten once its exec is reaped.
        setTimeout(() => svc.execForget?.(forget), 0).unref();
      }
    }
  }
}
