/**
 * `run`/`create` flags for what happens to a running container: `--restart` and the
 * healthcheck flags, translated as the docker CLI does (cli/command/container/opts.go),
 * with its error texts. The daemon validates again (unknown policy names reach it).
 */
import type { Command } from "commander";
import type { HealthConfig } from "../../../../api/containers.js";
import { BerthError } from "../../../../shared/errors.js";
import { flagGroup } from "../flag-group.js";

/** The flags of this group as commander parses them. */
export interface PolicyFlags {
  restart?: string;
  healthCmd?: string;
  healthInterval?: string;
  healthTimeout?: string;
  healthRetries?: string;
  healthStartPeriod?: string;
  healthStartInterval?: string;
  /** false with `--no-healthcheck`. */
  healthcheck?: boolean;
}

const UNITS: Record<string, number> = { ns: 1, us: 1e3, "µs": 1e3, "μs": 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };

/** Go's time.ParseDuration, in nanoseconds; throws Go's message. */
export function parseGoDuration(s: string): number {
  const orig = s;
  const bad = () => new Error(`time: invalid duration "${orig}"`);
  let neg = false;
  if (s.startsWith("-") || s.startsWith("+")) {
    neg = s.startsWith("-");
    s = s.slice(1);
  }
  if (s === "0") return 0;
  if (s === "") throw bad();
  let total = 0;
  while (s !== "") {
    const num = /^(\d*)(?:\.(\d*))?/.exec(s);
    const whole = num?.[1] ?? "";
    const frac = num?.[2];
    if (num === null || (whole === "" && (frac === undefined || frac === ""))) throw bad();
    s = s.slice(num[0].length);
    const unit = /^[^\d.]*/.exec(s)?.[0] ?? "";
    if (unit === "") throw new Error(`time: missing unit in duration "${orig}"`);
    const mult = UNITS[unit];
    if (mult === undefined) throw new Error(`time: unknown unit "${unit}" in duration "${orig}"`);
    s = s.slice(unit.length);
    total += Number(`${whole === "" ? "0" : whole}.${frac ?? "0"}`) * mult;
  }
  return Math.round(neg ? -total : total);
}

function flagError(value: string, flag: string, err: unknown): BerthError {
  return new BerthError("invalid-argument", `invalid argument "${value}" for "--${flag}" flag: ${(err as Error).message}`);
}

function duration(value: string | undefined, flag: string): number {
  if (value === undefined) return 0;
  try {
    return parseGoDuration(value);
  } catch (err) {
    throw flagError(value, flag, err);
  }
}

/** docker's opts.ParseRestartPolicy. */
export function parseRestartPolicy(policy: string): { Name: string; MaximumRetryCount: number } | undefined {
  if (policy === "") return undefined;
  const i = policy.indexOf(":");
  const name = i === -1 ? policy : policy.slice(0, i);
  const count = i === -1 ? "" : policy.slice(i + 1);
  if (i !== -1 && name === "") throw new BerthError("invalid-argument", "invalid restart policy format: no policy provided before colon");
  let n = 0;
  if (count !== "") {
    if (!/^[+-]?\d+$/.test(count)) throw new BerthError("invalid-argument", "invalid restart policy format: maximum retry count must be an integer");
    n = Number(count);
  }
  return { Name: name, MaximumRetryCount: n };
}

/** The healthcheck of the flags (undefined: none given, the image's applies). */
export function healthFromFlags(f: PolicyFlags): HealthConfig | undefined {
  const interval = duration(f.healthInterval, "health-interval");
  const timeout = duration(f.healthTimeout, "health-timeout");
  const startPeriod = duration(f.healthStartPeriod, "health-start-period");
  const startInterval = duration(f.healthStartInterval, "health-start-interval");
  let retries = 0;
  if (f.healthRetries !== undefined) {
    if (!/^[+-]?\d+$/.test(f.healthRetries)) {
      throw flagError(f.healthRetries, "health-retries", new Error(`strconv.ParseInt: parsing "${f.healthRetries}": invalid syntax`));
    }
    retries = Number(f.healthRetries);
  }
  const cmd = f.healthCmd ?? "";
  const any = cmd !== "" || interval !== 0 || timeout !== 0 || startPeriod !== 0 || retries !== 0 || startInterval !== 0;
  if (f.healthcheck === false) {
    if (any) throw new BerthError("invalid-argument", "--no-healthcheck conflicts with --health-* options");
    return { Test: ["NONE"] };
  }
  if (!any) return undefined;
  const neg = (v: number, flag: string) => {
    if (v < 0) throw new BerthError("invalid-argument", `--${flag} cannot be negative`);
  };
  neg(interval, "health-interval");
  neg(timeout, "health-timeout");
  neg(retries, "health-retries");
  neg(startPeriod, "health-start-period");
  neg(startInterval, "health-start-interval");
  return {
    Test: cmd !== "" ? ["CMD-SHELL", cmd] : [],
    Interval: interval, Timeout: timeout, StartPeriod: startPeriod, StartInterval: startInterval, Retries: retries,
  };
}

/** `--restart`, `--health-*`, `--no-healthcheck`. */
export const policyFlags = flagGroup<PolicyFlags>({
  add(cmd: Command): Command {
    return cmd
      .option("--restart <policy>", "restart policy to apply when a container exits", "no")
      .option("--health-cmd <cmd>", "command to run to check health")
      .option("--health-interval <duration>", "time between running the check (ms|s|m|h) (default 0s)")
      .option("--health-timeout <duration>", "maximum time to allow one check to run (ms|s|m|h) (default 0s)")
      .option("--health-retries <n>", "consecutive failures needed to report unhealthy")
      .option("--health-start-period <duration>", "start period for the container to initialize before starting health-retries countdown (ms|s|m|h) (default 0s)")
      .option("--health-start-interval <duration>", "time between running the check during the start period (ms|s|m|h) (default 0s)")
      .option("--no-healthcheck", "disable any container-specified HEALTHCHECK");
  },
  apply(f, body): void {
    const policy = parseRestartPolicy(f.restart ?? "");
    if (policy !== undefined) {
      if (body.HostConfig.AutoRemove === true && policy.Name !== "no") {
        throw new BerthError("invalid-argument", "conflicting options: cannot specify both --restart and --rm");
      }
      body.HostConfig.RestartPolicy = policy;
    }
    const health = healthFromFlags(f);
    if (health !== undefined) body.Healthcheck = health;
  },
});
