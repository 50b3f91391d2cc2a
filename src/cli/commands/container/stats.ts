/**
 * `berth stats`: docker's live table of CPU, memory, network, block I/O and pids. With
 * `--no-stream` one sample per container (the daemon waits a second so CPU % has a
 * delta); else the streams stay open and the table is redrawn every second, following
 * containers that start and stop when none were named.
 */
import { Command } from "commander";
import type { Cli } from "../../cli.js";
import type { ContainerStats } from "../../../api/containers.js";
import { renderTemplate, resolveFormat } from "../../format/template.js";
import { STATS_HEADERS, STATS_TABLE, statsContext } from "../../format/stats-context.js";
import { reportErrors } from "../report-errors.js";
import { containers } from "./client.js";

interface StatsFlags { all?: boolean; stream?: boolean; trunc?: boolean; format?: string }

interface Watched {
  /** What the user named, or the id when listing. */
  container: string;
  last: ContainerStats | undefined;
  error: unknown;
  stop: AbortController;
  done: Promise<void>;
}

function render(format: string, rows: readonly Watched[], trunc: boolean): string {
  const items = rows.filter((w) => w.last !== undefined).map((w) => statsContext(w.last as ContainerStats, w.container, trunc));
  return renderTemplate(format, items, STATS_HEADERS);
}

/** Run `stats`. */
export async function runStats(cli: Cli, names: readonly string[], o: StatsFlags): Promise<void> {
  const client = containers(cli);
  const stream = o.stream !== false;
  const trunc = o.trunc !== false;
  const format = resolveFormat(o.format, STATS_TABLE);
  // Render once before anything runs so a bad template fails before any request.
  renderTemplate(format, [], STATS_HEADERS);
  const watched = new Map<string, Watched>();
  const watch = (container: string) => {
    const stop = new AbortController();
    const w: Watched = { container, last: undefined, error: undefined, stop, done: Promise.resolve() };
    w.done = client.stats(container, { stream }, (s) => { w.last = s; }, stop.signal).catch((err: unknown) => { w.error = err; });
    watched.set(container, w);
  };
  const listed = async () => (await client.list({ all: o.all === true })).map((c) => c.Id);
  const initial = names.length > 0 ? [...names] : await listed();
  for (const n of initial) watch(n);
  if (!stream) {
    await Promise.all([...watched.values()].map((w) => w.done));
    const rows = [...watched.values()];
    cli.out.write(render(format, rows, trunc));
    reportErrors(rows.filter((w) => w.error !== undefined).map((w) => w.error));
    return;
  }
  let running = true;
  const stopAll = () => {
    running = false;
    for (const w of watched.values()) w.stop.abort();
  };
  process.once("SIGINT", stopAll);
  process.once("SIGTERM", stopAll);
  try {
    while (running) {
      await new Promise((r) => setTimeout(r, 1000));
      if (!running) break;
      if (names.length === 0) {
        const ids = new Set(await listed().catch(() => [...watched.keys()]));
        for (const [id, w] of watched) {
          if (!ids.has(id)) {
            w.stop.abort();
            watched.delete(id);
          }
        }
        for (const id of ids) if (!watched.has(id)) watch(id);
      } else {
        const failed = [...watched.values()].filter((w) => w.error !== undefined);
        if (failed.length === watched.size && failed.length > 0) reportErrors(failed.map((w) => w.error));
      }
      // docker clears the screen and redraws the whole table each second.
      cli.out.write(`\x1b[2J\x1b[H${render(format, [...watched.values()], trunc)}`);
    }
  } finally {
    stopAll();
    process.removeListener("SIGINT", stopAll);
    process.removeListener("SIGTERM", stopAll);
  }
}

/** The `stats` command. */
export function createStatsCommand(cli: Cli): Command {
  return new Command("stats")
    .description("Display a live stream of container(s) resource usage statistics")
    .argument("[container...]")
    .option("-a, --all", "show all containers (default shows just running)")
    .option("--no-stream", "disable streaming stats and only pull the first result")
    .option("--no-trunc", "do not truncate output")
    .option("--format <format>", "format output using a custom template")
    .action(async (names: string[], o: StatsFlags) => runStats(cli, names, o));
}
