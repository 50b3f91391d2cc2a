/**
 * A small parser for runc's command line (urfave/cli conventions): global flags before
 * the command, command flags before the positional arguments, `--flag value`,
 * `--flag=value`, `-f value`, Go's single-dash long form `-flag`, repeatable flags, and
 * `--` or the first positional argument ending the flags (so `exec id sh -c ...` keeps
 * the command's own flags).
 */
import { invalidArgument } from "../../shared/errors.js";

/** One flag: its names (without dashes), whether it takes a value, whether it repeats. */
export interface FlagSpec {
  readonly names: readonly string[];
  readonly value?: boolean;
  readonly repeat?: boolean;
}

export interface Parsed {
  /** Flag values by first name: true for a boolean flag, string or string[] otherwise. */
  readonly flags: Map<string, string | string[] | true>;
  readonly args: string[];
}

/**
 * Parse `argv` against `specs` up to the first positional argument (for the global flags,
 * the command name). Unknown flags are an invalid-argument error.
 */
export function parseFlags(argv: readonly string[], specs: readonly FlagSpec[]): Parsed {
  const flags = new Map<string, string | string[] | true>();
  const args: string[] = [];
  let i = 0;
  for (; i < argv.length; i++) {
    const a = argv[i] ?? "";
    if (a === "--") {
      i++;
      break;
    }
    // Go's flag package (and so runc) stops at the first positional argument.
    if (!a.startsWith("-") || a === "-") break;
    const eq = a.indexOf("=");
    const name = a.replace(/^--?/, "").slice(0, eq > 0 ? eq - (a.startsWith("--") ? 2 : 1) : undefined);
    const spec = specs.find((s) => s.names.includes(name));
    if (spec === undefined) throw invalidArgument(`parse arguments: flag provided but not defined: -${name}`);
    const key = spec.names[0] ?? name;
    if (spec.value === true) {
      let v: string;
      if (eq > 0) v = a.slice(eq + 1);
      else {
        const next = argv[i + 1];
        if (next === undefined) throw invalidArgument(`parse arguments: flag needs an argument: -${name}`);
        v = next;
        i++;
      }
      if (spec.repeat === true) {
        const prev = flags.get(key);
        flags.set(key, [...(Array.isArray(prev) ? prev : []), v]);
      } else flags.set(key, v);
    } else {
      if (eq > 0) {
        const v = a.slice(eq + 1);
        if (v === "true") flags.set(key, true);
        else if (v !== "false") throw invalidArgument(`parse arguments: invalid boolean value "${v}" for -${name}`);
      } else flags.set(key, true);
    }
  }
  args.push(...argv.slice(i));
  return { flags, args };
}

/** A string flag value, or undefined. */
export function str(p: Parsed, name: string): string | undefined {
  const v = p.flags.get(name);
  return typeof v === "string" ? v : undefined;
}

/** A boolean flag. */
export function bool(p: Parsed, name: string): boolean {
  return p.flags.get(name) === true;
}

/** A repeatable flag's values. */
export function list(p: Parsed, name: string): string[] {
  const v = p.flags.get(name);
  return Array.isArray(v) ? v : typeof v === "string" ? [v] : [];
}
