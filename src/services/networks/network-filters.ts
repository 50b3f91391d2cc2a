/**
 * Docker's filters for `GET /networks` and `POST /networks/prune`, as pure predicates over
 * network records.
 */
import { invalidArgument } from "../../shared/errors.js";
import type { NetworkRecord } from "./network-record.js";

/** Filters (Docker's `filters` JSON, decoded). */
export type NetworkFilters = Record<string, readonly string[]>;

const LIST_FILTERS = new Set(["name", "id", "label", "driver", "type", "dangling", "scope"]);
const PRUNE_FILTERS = new Set(["label", "label!", "until"]);

/** Docker matches `name` and `id` as regular expressions; an invalid one as a substring. */
function matchText(pattern: string, text: string): boolean {
  try {
    return new RegExp(pattern).test(text);
  } catch {
    return text.includes(pattern);
  }
}

/** Every `key` or `key=value` of `wanted` is present. */
export function matchLabels(labels: Record<string, string>, wanted: readonly string[]): boolean {
  return wanted.every((w) => {
    const eq = w.indexOf("=");
    if (eq < 0) return w in labels;
    return labels[w.slice(0, eq)] === w.slice(eq + 1);
  });
}

/** A predicate for `list`; throws invalid-argument for unknown filters or values. */
export function listPredicate(f: NetworkFilters): (n: NetworkRecord) => boolean {
  for (const [k, vals] of Object.entries(f)) {
    if (!LIST_FILTERS.has(k)) throw invalidArgument(`invalid filter '${k}'`);
    if (k === "type") for (const v of vals) if (v !== "custom" && v !== "builtin") throw invalidArgument(`invalid filter: 'type'='${v}'`);
    if (k === "dangling") for (const v of vals) if (!["true", "false", "1", "0"].includes(v)) throw invalidArgument(`invalid filter 'dangling=${v}'`);
  }
  const has = (k: string): readonly string[] | undefined => (f[k] !== undefined && (f[k]?.length ?? 0) > 0 ? f[k] : undefined);
  return (n) => {
    const name = has("name");
    if (name !== undefined && !name.some((p) => matchText(p, n.name))) return false;
    const id = has("id");
    if (id !== undefined && !id.some((p) => matchText(p, n.id))) return false;
    const driver = has("driver");
    if (driver !== undefined && !driver.includes(n.driver)) return false;
    const scope = has("scope");
    if (scope !== undefined && !scope.includes("local")) return false;
    const label = has("label");
    if (label !== undefined && !matchLabels(n.labels, label)) return false;
    const type = has("type");
    if (type !== undefined && !type.includes(n.builtin ? "builtin" : "custom")) return false;
    const dangling = has("dangling");
    if (dangling !== undefined) {
      const want = dangling.includes("true") || dangling.includes("1");
      // Docker: predefined networks are never dangling.
      if (want !== (!n.builtin && Object.keys(n.endpoints).length === 0)) return false;
    }
    return true;
  };
}

/** A predicate for `prune` (unused user networks only); throws for unknown filters. */
export function prunePredicate(f: NetworkFilters): (n: NetworkRecord) => boolean {
  for (const k of Object.keys(f)) if (!PRUNE_FILTERS.has(k)) throw invalidArgument(`invalid filter '${k}'`);
  let until: number | undefined;
  for (const u of f["until"] ?? []) {
    const t = /^[0-9]+(\.[0-9]+)?$/.test(u) ? Number(u) * 1000 : Date.parse(u);
    if (Number.isNaN(t)) throw invalidArgument(`invalid filter 'until=${u}'`);
    until = t;
  }
  return (n) => {
    if (n.builtin || Object.keys(n.endpoints).length > 0) return false;
    if (f["label"] !== undefined && !matchLabels(n.labels, f["label"])) return false;
    if (f["label!"] !== undefined && f["label!"].length > 0 && matchLabels(n.labels, f["label!"])) return false;
    if (until !== undefined && Date.parse(n.created) >= until) return false;
    return true;
  };
}
