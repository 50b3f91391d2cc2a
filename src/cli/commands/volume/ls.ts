/** `berth volume ls`: docker's volume table. */
import { Command } from "commander";
import type { Volume } from "../../../api/volumes.js";
import type { Cli } from "../../cli.js";
import { humanSize } from "../../format/human.js";
import { renderTemplate, resolveFormat, sortKeys } from "../../format/template.js";
import { parseFilterFlags } from "../filters.js";
import { collect, volumes } from "./client.js";

const HEADERS = { Name: "VOLUME NAME", Driver: "DRIVER", Scope: "SCOPE", Mountpoint: "MOUNTPOINT", Labels: "LABELS", Links: "LINKS", Size: "SIZE", CreatedAt: "CREATED", Availability: "AVAILABILITY", Group: "GROUP" };

/** docker's volume format context fields. */
export function volumeRow(v: Volume): Record<string, string> {
  return sortKeys({
    Name: v.Name,
    Driver: v.Driver,
    Scope: v.Scope,
    Mountpoint: v.Mountpoint,
    Labels: Object.entries(v.Labels ?? {}).map(([k, x]) => `${k}=${x}`).join(","),
    Links: v.UsageData !== undefined && v.UsageData !== null ? String(v.UsageData.RefCount) : "N/A",
    Size: v.UsageData !== undefined && v.UsageData !== null && v.UsageData.Size >= 0 ? humanSize(v.UsageData.Size) : "N/A",
    CreatedAt: v.CreatedAt,
    Availability: "N/A",
    Group: "N/A",
  });
}

/** Run `volume ls`. */
export async function runVolumeLs(cli: Cli, o: { quiet?: boolean; filter?: string[]; format?: string }): Promise<void> {
  const r = await volumes(cli).list(parseFilterFlags(o.filter ?? []));
  const rows = [...r.Volumes].sort((a, b) => (a.Name < b.Name ? -1 : 1)).map(volumeRow);
  let format = resolveFormat(o.format, "table {{.Driver}}\t{{.Name}}");
  if (o.quiet === true) format = "{{.Name}}";
  cli.out.write(renderTemplate(format, rows, HEADERS));
  for (const w of r.Warnings ?? []) cli.err.write(`${w}\n`);
}

/** The `volume ls` command. */
export function createVolumeLsCommand(cli: Cli): Command {
  return new Command("ls")
    .alias("list")
    .description("List volumes")
    .option("-q, --quiet", "only display volume names")
    .option("-f, --filter <filter>", "provide filter values (e.g. \"dangling=true\")", collect)
    .option("--format <format>", "format output using a custom template")
    .action(async (o: { quiet?: boolean; filter?: string[]; format?: string }) => runVolumeLs(cli, o));
}
