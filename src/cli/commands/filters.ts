/** `-f key=value` flags → the API's filters map. */
import { BerthError } from "../../shared/errors.js";

/** Parse repeated `key=value` filter flags. */
export function parseFilterFlags(flags: readonly string[]): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const f of flags) {
    const i = f.indexOf("=");
    if (i <= 0) throw new BerthError("invalid-argument", `bad format of filter (expected name=value)`);
    const k = f.slice(0, i).trim().toLowerCase();
    out[k] = [...(out[k] ?? []), f.slice(i + 1)];
  }
  return out;
}
