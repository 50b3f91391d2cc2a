/** `berth history` / `berth image history`. */
import { Command } from "commander";
import type { Cli } from "../../cli.js";
import { ellipsis, humanSize, shortId, timeAgo } from "../../format/human.js";
import { renderTemplate, resolveFormat, sortKeys } from "../../format/template.js";

/** Options of `history`. */
export interface HistoryOptions {
  human?: boolean;
  quiet?: boolean;
  noTrunc?: boolean;
  format?: string;
}

/** Run `history`. */
export async function runHistory(cli: Cli, name: string, o: HistoryOptions): Promise<void> {
  const items = await cli.client().imageHistory(name);
  const human = o.human !== false;
  const rows = items.map((h) => ({
    ID: h.Id === "<missing>" ? h.Id : o.noTrunc === true ? h.Id : shortId(h.Id),
    CreatedSince: human ? timeAgo(h.Created, cli.now()) : new Date(h.Created * 1000).toISOString().replace(/\.\d+Z$/, "Z"),
    CreatedAt: new Date(h.Created * 1000).toISOString().replace(/\.\d+Z$/, "Z"),
    CreatedBy: o.noTrunc === true ? h.CreatedBy.replace(/\t/g, " ") : ellipsis(h.CreatedBy.replace(/\t/g, " "), 45),
    Size: human ? humanSize(h.Size) : String(h.Size),
    Comment: h.Comment,
  })).map(sortKeys);
  const format = o.quiet === true ? "{{.ID}}" : resolveFormat(o.format, "table {{.ID}}\t{{.CreatedSince}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}");
  cli.out.write(renderTemplate(format, rows, { ID: "IMAGE", CreatedSince: "CREATED", CreatedAt: "CREATED AT", CreatedBy: "CREATED BY", Size: "SIZE", Comment: "COMMENT" }));
}

/** The `history` command. */
export function createHistoryCommand(cli: Cli, name = "history"): Command {
  return new Command(name)
    .description("Show the history of an image")
    .argument("<image>")
    .option("-H, --human", "print sizes and dates in human readable format (default true; -H=false for raw values)", true)
    .option("--no-human", "print raw sizes and dates")
    .option("-q, --quiet", "only show image IDs")
    .option("--no-trunc", "don't truncate output")
    .option("--format <format>", "format output using a Go-like template")
    .action(async (image: string, o: HistoryOptions & { trunc?: boolean }) => runHistory(cli, image, { ...o, noTrunc: o.trunc === false }));
}
