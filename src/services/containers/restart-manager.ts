/**
 * Restart policies as moby applies them (restartmanager/restartmanager.go and the exit
 * handling of daemon/monitor.go): which policies are valid, whether an exit is followed by
 * a restart, the backoff between rounds, and the cancellable wait before the next start.
 * The container service decides nothing about policies itself: it asks this manager at
 * each exit, at each stop or kill, and at daemon start.
 */
import type { HostConfig } from "../../api/containers.js";
import { invalidArgument } from "../../shared/errors.js";
import type { ContainerRecord } from "./container-record.js";

/** moby's backoff: 100 ms doubling up to 1 min, back to 100 ms after a run of 10 s. */
export const RESTART_BACKOFF = { initialMs: 100, multiplier: 2, maxMs: 60_000, resetAfterMs: 10_000 } as const;

/** A restart policy as the API carries it. */
export interface RestartPolicy {
  Name: string;
  MaximumRetryCount?: number;
}

const POLICIES = ["no", "always", "on-failure", "unless-stopped"] as const;

/** moby's RestartPolicy.IsNone: "" (older clients) and "no". */
export function isNonePolicy(p: RestartPolicy | undefined): boolean {
  return p === undefined || p.Name === "" || p.Name === "no";
}

/**
 * moby's ValidateRestartPolicy plus the AutoRemove rule of verifyContainerSettings, with
 * the daemon's texts (the docker CLI shows them as they are).
 */
export function validateRestartPolicy(hc: HostConfig): void {
  const raw = hc.RestartPolicy as unknown;
  if (raw === undefined || raw === null) return;
  if (typeof raw !== "object" || Array.isArray(raw)) throw invalidArgument("invalid JSON: HostConfig.RestartPolicy must be an object");
  const p = raw as { Name?: unknown; MaximumRetryCount?: unknown };
  if (p.Name !== undefined && p.Name !== null && typeof p.Name !== "string") throw invalidArgument("invalid JSON: HostConfig.RestartPolicy.Name must be a string");
  const count = p.MaximumRetryCount ?? 0;
  if (typeof count !== "number" || !Number.isInteger(count)) throw invalidArgument("invalid JSON: HostConfig.RestartPolicy.MaximumRetryCount must be an integer");
  const name = (p.Name ?? "") as string;
  if (hc.AutoRemove === true && name !== "" && name !== "no") {
    throw invalidArgument("can't create 'AutoRemove' container with restart policy");
  }
  switch (name) {
    case "always":
    case "unless-stopped":
    case "no":
      if (count !== 0) {
        throw invalidArgument(`invalid restart policy: maximum retry count can only be used with 'on-failure'${count < 0 ? " and cannot be negative" : ""}`);
      }
      return;
    case "on-failure":
      if (count < 0) throw invalidArgument("invalid restart policy: maximum retry count cannot be negative");
      return;
    case "":
      // Engines before v25 stored an empty name; any count is accepted for them.
      return;
    default:
      throw invalidArgument(`invalid restart policy: unknown policy '${name}'; use one of ${POLICIES.map((x) => `'${x}'`).join(", ").replace(/, ('[^']+')$/, ", or $1")}`);
  }
}

/** The facts of one exit that the decision needs. */
export interface ExitFacts {
  exitCode: number;
  /** An explicit stop or kill (or the daemon shutting down) came before this exit. */
  manuallyStopped: boolean;
  /** How long the run lasted. */
  ranMs: number;
}

/**
 * moby's RestartManager.ShouldRestart for one container: the policy decision and the
 * backoff state (the delay grows with each restart and is reset by a long run).
 */
export class RestartBackoff {
  /** The current delay; 0 before the first restart. */
  delayMs = 0;
  /** Restarts counted by this manager (starts at the container's RestartCount). */
  count: number;

  constructor(restartCount = 0) {
    this.count = restartCount;
  }

  /** Whether the exit is followed by a restart, and after how long. */
  decide(policy: RestartPolicy | undefined, f: ExitFacts): { restart: boolean; delayMs: number } {
    if (isNonePolicy(policy)) return { restart: false, delayMs: 0 };
    const p = policy as RestartPolicy;
    // moby moves the backoff even when it then decides not to restart.
    if (f.ranMs >= RESTART_BACKOFF.resetAfterMs) this.delayMs = 0;
    if (this.delayMs === 0) this.delayMs = RESTART_BACKOFF.initialMs;
    else if (this.delayMs < RESTART_BACKOFF.maxMs) this.delayMs *= RESTART_BACKOFF.multiplier;
    if (this.delayMs > RESTART_BACKOFF.maxMs) this.delayMs = RESTART_BACKOFF.maxMs;
    let restart = false;
    switch (p.Name) {
      case "always":
        restart = true;
        break;
      case "unless-stopped":
        restart = !f.manuallyStopped;
        break;
      case "on-failure": {
        const max = p.MaximumRetryCount ?? 0;
        if (max === 0 || this.count < max) restart = f.exitCode !== 0;
        break;
      }
      default:
        restart = false;
    }
    if (restart) this.count++;
    return { restart, delayMs: this.delayMs };
  }
}

/** What the manager needs from the container service. */
export interface RestartHooks {
  /** Start the container's next run (no API resets: RestartCount keeps growing). */
  run(id: string): Promise<void>;
  /** The wait was cancelled, or the start failed: record the container as exited. */
  stopped(id: string, err?: unknown): Promise<void>;
}

interface Entry {
  backoff: RestartBackoff;
  /** moby's ExitOnNext: no restart after the coming exit. */
  cancelled: boolean;
  timer: NodeJS.Timeout | undefined;
  /** The cancellation of the pending wait. */
  wake: (() => void) | undefined;
  /** The start of the next run, while it is in flight. */
  starting: Promise<void> | undefined;
}

/** Record fields the manager keeps (moby's `HasBeenManuallyStopped`, persisted). */
export interface RestartRecordFields {
  HasBeenManuallyStopped?: boolean;
}

/** The per-container restart managers of the daemon. */
export class RestartManager {
  private readonly hooks: RestartHooks;
  private readonly entries = new Map<string, Entry>();
  private shuttingDown = false;

  constructor(hooks: RestartHooks) {
    this.hooks = hooks;
  }

  private entry(rec: ContainerRecord): Entry {
    let e = this.entries.get(rec.ID);
    if (e === undefined) {
      e = { backoff: new RestartBackoff(rec.RestartCount), cancelled: false, timer: undefined, wake: undefined, starting: undefined };
      this.entries.set(rec.ID, e);
    }
    return e;
  }

  /** An API start (or a start at daemon boot): a fresh manager, RestartCount back to 0. */
  reset(rec: ContainerRecord & RestartRecordFields): void {
    const e = this.entries.get(rec.ID);
    if (e?.timer !== undefined) clearTimeout(e.timer);
    this.entries.delete(rec.ID);
    rec.RestartCount = 0;
    rec.HasBeenManuallyStopped = false;
  }

  /**
   * A stop, or a kill with the stop signal (moby's ExitOnNext): the coming exit is final.
   * Outside a daemon shutdown it is remembered for `unless-stopped`.
   */
  exitOnNext(rec: ContainerRecord & RestartRecordFields): void {
    this.entry(rec).cancelled = true;
    if (!this.shuttingDown) rec.HasBeenManuallyStopped = true;
  }

  /** The daemon is stopping: nothing restarts any more, and no stop counts as manual. */
  shutdown(): void {
    this.shuttingDown = true;
    for (const e of this.entries.values()) {
      e.cancelled = true;
      e.wake?.();
    }
  }

  /**
   * At an exit: whether the container restarts (then `rec.RestartCount` has grown and
   * `schedule` must follow) and after which delay.
   */
  onExit(rec: ContainerRecord & RestartRecordFields, exitCode: number, ranMs: number): { restart: boolean; delayMs: number } {
    const e = this.entry(rec);
    if (e.cancelled || this.shuttingDown) return { restart: false, delayMs: 0 };
    const d = e.backoff.decide(rec.HostConfig.RestartPolicy, { exitCode, manuallyStopped: rec.HasBeenManuallyStopped === true, ranMs });
    if (d.restart) rec.RestartCount = e.backoff.count;
    return d;
  }

  /** After `onExit` said so: wait the delay (cancellable), then start the next run. */
  schedule(rec: ContainerRecord, delayMs: number): void {
    const e = this.entry(rec);
    const id = rec.ID;
    const waited = new Promise<boolean>((resolve) => {
      e.timer = setTimeout(() => resolve(true), delayMs);
      e.wake = () => resolve(false);
    });
    e.starting = (async () => {
      const go = await waited;
      e.timer = undefined;
      e.wake = undefined;
      if (!go || e.cancelled || this.shuttingDown) {
        await this.hooks.stopped(id).catch(() => undefined);
        return;
      }
      try {
        await this.hooks.run(id);
      } catch (err) {
        await this.hooks.stopped(id, err).catch(() => undefined);
      }
    })().finally(() => {
      e.starting = undefined;
    });
  }

  /**
   * End a restart loop (stop, kill, rm -f): a pending wait ends with the container exited;
   * a start already in flight is awaited (the caller then stops the new run).
   */
  async cancel(id: string): Promise<void> {
    const e = this.entries.get(id);
    if (e === undefined) return;
    e.cancelled = true;
    if (e.timer !== undefined) clearTimeout(e.timer);
    e.wake?.();
    await e.starting;
  }

  /** Whether a container found stopped at daemon start comes back (moby's ShouldRestart). */
  shouldStartAtBoot(rec: ContainerRecord & RestartRecordFields): boolean {
    const probe = new RestartBackoff(rec.RestartCount);
    const ranMs = Date.parse(rec.State.FinishedAt) - Date.parse(rec.State.StartedAt);
    return probe.decide(rec.HostConfig.RestartPolicy, {
      exitCode: rec.State.ExitCode, manuallyStopped: rec.HasBeenManuallyStopped === true, ranMs: Number.isFinite(ranMs) ? ranMs : 0,
    }).restart;
  }

  /** The container is gone. */
  forget(id: string): void {
    const e = this.entries.get(id);
    if (e?.timer !== undefined) clearTimeout(e.timer);
    e?.wake?.();
    this.entries.delete(id);
  }
}
