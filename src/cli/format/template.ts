/**
 * `--format` as the docker CLI applies it: "json" and "table" keywords, `\t`/`\n` escapes,
 * the `table` prefix (a header row, columns aligned by tabwriter), one line per item.
 * The template language itself is `go-template.ts`.
 */
import { invalidArgument } from "../../shared/errors.js";
import { parseGoTemplate, TemplateError, type GoTemplate } from "./go-template.js";
import { renderTable } from "./table.js";

export { goJson, goString } from "./go-template.js";

/** A copy with keys in Go map order (sorted), as docker's format contexts marshal. */
export function sortKeys<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) as T;
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

/** Parse a template; a syntax error is docker's "template parsing error: …" (invalid argument). */
export function compileTemplate(text: string): GoTemplate {
  try {
    return parseGoTemplate(text);
  } catch (err) {
    if (err instanceof TemplateError) throw invalidArgument(`template parsing error: ${err.message}`);
    throw err;
  }
}

/** Execute `tpl` on `data`; an execution error becomes an invalid-argument error with Go's text. */
export function executeTemplate(tpl: GoTemplate, data: unknown): string {
  try {
    return tpl.execute(data);
  } catch (err) {
    if (err instanceof TemplateError) throw invalidArgument(err.message);
    throw err;
  }
}

// The header row: each action shows the title of the first field it names (docker
// executes the template on a map of titles; this gives the same row for the column lists
// people write, including `{{upper .X}}` and `{{json .X}}`).
function headerRow(body: string, headers: Readonly<Record<string, string>>): string {
  return body.replace(/\{\{-?([\s\S]*?)-?\}\}/g, (_m, inner: string) => {
    const f = /(?:^|[\s(|])\.([A-Za-z_][A-Za-z0-9_]*)/.exec(inner);
    if (f === null) return "";
    const name = f[1] as string;
    return headers[name] ?? name.toUpperCase();
  });
}

/**
 * Render `items` with `format`, one line per item. `headers` maps field names to header
 * titles for tables (docker's "REPOSITORY" for .Repository).
 */
export function renderTemplate(format: string, items: readonly unknown[], headers: Readonly<Record<string, string>> = {}): string {
  const table = isTableFormat(format);
  const body = (table ? format.slice(5) : format).trim().replace(/\\t/g, "\t").replace(/\\n/g, "\n");
  const tpl = compileTemplate(body);
  const lines = items.map((it) => executeTemplate(tpl, it));
  if (!table) return lines.map((l) => `${l}\n`).join("");
  const rows = [headerRow(body, headers), ...lines].map((line) => line.split("\t"));
  return renderTable(rows);
}
