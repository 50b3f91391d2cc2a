/** `berth events`: the daemon's event stream, printed as docker prints it. */
import { Command } from "commander";
import type { EventMessage } from "../../../api/system.js";
import type { Cli } from "../../cli.js";
import { renderTemplate, resolveFormat } from "../../format/template.js";
import { parseFilterFlags } from "../filters.js";

/** docker's default event line: "<RFC3339Nano fixed> <type> <action> <id> (k=v, …)". */
export function formatEvent(e: EventMessage, exactNano?: bigint): string {
  const nano = exactNano ?? BigInt(Math.round(e.timeNano));
  const secs = Number(nano / 1_000_000_000n);
  const frac = String(nano % 1_000_000_000n).padStart(9, "0");
  const stamp = `${new Date(secs * 1000).toISOString().replace(/\.\d+Z$/, "")}.${frac}Z`;
  const attrs = Object.keys(e.Actor.Attributes).sort().map((k) => `${k}=${e.Actor.Attributes[k] ?? ""}`);
  return `${stamp} ${e.Type} ${e.Action} ${e.Actor.ID}${attrs.length > 0 ? ` (${attrs.join(", ")})` : ""}`;
}

/** Options of `events`. */
export interface EventsCliOptions {
  since?: string;
  until?: string;
  filter?: string[];
  format?: string;
}

/** Run `events` until the stream ends (`--until`) or `signal` aborts. */
export async function runEvents(cli: Cli, o: EventsCliOptions, signal?: AbortSignal): Promise<void> {
  const opts: { since?: string; until?: string; filters: Record<string, string[]> } = { filters: parseFilterFlags(o.filter ?? []) };
  if (o.since !== undefined) opts.since = o.since;
  if (o.until !== undefined) opts.until = o.until;
  for await (const e of cli.client().events(opts, signal)) {
    cli.out.write(o.format !== undefined && o.format !== "" ? renderTemplate(resolveFormat(o.format, "{{json .}}"), [e]) : `${formatEvent(e, e.nano)}\n`);
  }
}

/** The `events` command. */
export function createEventsCommand(cli: Cli): Command {
  return new Command("events")
    .description("Get real time events from the server")
    .option("--since <time>", "show all events created since timestamp")
    .option("--until <time>", "stream events until this timestamp")
    .option("-f, --filter <filter>", "filter output based on conditions provided", (v: string, p: string[] = []) => [...p, v])
    .option("--format <format>", "format output using a Go-like template")
    .action(async (o: EventsCliOptions) => runEvents(cli, o));
}
