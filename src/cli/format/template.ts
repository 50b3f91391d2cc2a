/**
 * A small subset of Go templates for `--format`: `{{.Field}}`, `{{.A.B}}`, `{{json .}}`,
 * `{{json .Field}}`, and the `table` prefix (a header row from the field names, aligned).
 * Values print as Go's fmt does for the common cases (slices "[a b]", maps "map[k:v]").
 */
import { invalidArgument } from "../../shared/errors.js";
import { renderTable } from "./table.js";

type Obj = Record<string, unknown>;

function goString(v: unknown): string {
  if (v === null || v === undefined) return "<no value>";
  if (Array.isArray(v)) return `[${v.map(goString).join(" ")}]`;
  if (typeof v === "object") {
    return `map[${Object.keys(v as Obj).sort().map((k) => `${k}:${goString((v as Obj)[k])}`).join(" ")}]`;
  }
  return String(v);
}

/** JSON as Go's encoding/json writes it: <, > and & escaped. */
export function goJson(v: unknown): string {
  return JSON.stringify(v).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

/** A copy with keys in Go map order (sorted), as docker's format contexts marshal. */
export function sortKeys<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) as T;
}

function lookup(obj: unknown, path: string): unknown {
  if (path === ".") return obj;
  let cur: unknown = obj;
  for (const key of path.split(".").filter(Boolean)) {
    if (cur === null || typeof cur !== "object") return undefined;
    cur = (cur as Obj)[key];
  }
  return cur;
}

function renderOne(tpl: string, obj: unknown): string {
  return tpl.replace(/\{\{\s*(json\s+)?(\.[\w.]*)\s*\}\}/g, (_m, json: string | undefined, path: string) => {
    const v = lookup(obj, path);
    return json !== undefined ? goJson(v ?? null) : goString(v);
  });
}

/**
 * docker's format keywords: "json" is one JSON object per line, "table" the command's
 * default table; anything else is a template.
 */
export function resolveFormat(format: string | undefined, defaultTable: string): string {
  if (format === undefined || format === "" || format === "table") return defaultTable;
  if (format === "json") return "{{json .}}";
  return format;
}

/** True when the template is a table. */
export function isTableFormat(format: string): boolean {
  return format.startsWith("table");
}

/**
 * Render `items` with `format`. `headers` maps field names to header titles for tables
 * (docker's "REPOSITORY" for .Repository).
 */
export function renderTemplate(format: string, items: readonly unknown[], headers: Record<string, string> = {}): string {
  if (/\{\{(?!\s*(json\s+)?\.[\w.]*\s*\}\})/.test(format)) {
    throw invalidArgument(`template parsing error: unsupported template "${format}"`);
  }
  const body = (isTableFormat(format) ? format.slice(5).trimStart() : format).replace(/\\t/g, "\t").replace(/\\n/g, "\n");
  if (!isTableFormat(format)) return items.map((it) => `${renderOne(body, it)}\n`).join("");
  const header = body.replace(/\{\{\s*(?:json\s+)?\.([\w.]*)\s*\}\}/g, (_m, f: string) => headers[f] ?? f.toUpperCase());
  const rows = [header, ...items.map((it) => renderOne(body, it))].map((line) => line.split("\t"));
  return renderTable(rows);
}
