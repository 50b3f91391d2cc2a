/**
 * The filters prune accepts (moby's pruneFilters): `until` (unix seconds, an RFC 3339
 * date, or a Go duration before now) and `label` / `label!` (`key` or `key=value`).
 */
import { invalidArgument } from "../../shared/errors.js";

/** A parsed prune filter set. */
export interface PruneFilter {
  /** Keep only objects created before this time (ms since the epoch). */
  until: number | undefined;
  /** Every one must match. */
  labels: string[];
  /** None may match. */
  notLabels: string[];
}

const GO_UNITS: Record<string, number> = { ns: 1e-6, us: 1e-3, "µs": 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** A Go duration ("24h", "1h30m", "90s", "1.5h") in ms, or undefined when it is not one. */
export function goDurationMs(v: string): number | undefined {
  if (!/^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/.test(v)) return undefined;
  let ms = 0;
  for (const m of v.matchAll(/(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g)) ms += Number(m[1]) * (GO_UNITS[m[2] as string] as number);
  return ms;
}

/** An `until` value as ms since the epoch (docker's GetTimestamp). */
export function untilMs(v: string, nowMs: number): number {
  const t = v.trim();
  if (/^\d+(\.\d+)?$/.test(t)) return Number(t) * 1000;
  const d = goDurationMs(t);
  if (d !== undefined) return nowMs - d;
  // Dates without a zone are local time in docker; Date.parse does the same for "YYYY-MM-DDTHH:MM:SS".
  const parsed = Date.parse(t);
  if (Number.isNaN(parsed)) throw invalidArgument(`invalid filter 'until=${v}'`);
  return parsed;
}

/** Parse and validate prune filters; `extra` names more keys the caller handles. */
export function parsePruneFilters(filters: Record<string, string[]>, nowMs: number, extra: readonly string[] = []): PruneFilter {
  for (const k of Object.keys(filters)) {
    if (k !== "until" && k !== "label" && k !== "label!" && !extra.includes(k)) throw invalidArgument(`invalid filter '${k}'`);
  }
  const untils = filters.until ?? [];
  if (untils.length > 1) throw invalidArgument("more than one until filter specified");
  return {
    until: untils[0] !== undefined ? untilMs(untils[0], nowMs) : undefined,
    labels: filters.label ?? [],
    notLabels: filters["label!"] ?? [],
  };
}

function labelMatches(labels: Record<string, string>, f: string): boolean {
  const i = f.indexOf("=");
  return i === -1 ? labels[f] !== undefined : labels[f.slice(0, i)] === f.slice(i + 1);
}

/** Whether an object created at `createdMs` with `labels` passes the filter. */
export function pruneMatches(f: PruneFilter, createdMs: number, labels: Record<string, string> | null | undefined): boolean {
  const l = labels ?? {};
  if (f.until !== undefined && !(createdMs < f.until)) return false;
  if (!f.labels.every((x) => labelMatches(l, x))) return false;
  if (f.notLabels.some((x) => labelMatches(l, x))) return false;
  return true;
}
