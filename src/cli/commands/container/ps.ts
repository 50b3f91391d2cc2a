/** `berth ps` / `berth container ls` with docker's columns. */
import { Command } from "commander";
import type { Cli } from "../../cli.js";
import type { ContainerSummary } from "../../../api/containers.js";
import { ellipsis, humanDuration, shortId } from "../../format/human.js";
import { renderTable } from "../../format/table.js";
import { renderTemplate, resolveFormat } from "../../format/template.js";
import { psContext, PS_HEADERS, PS_TABLE, wantsSize } from "../../format/container-context.js";
import { parseFilterFlags } from "../filters.js";
import { containers } from "./client.js";
import { displayablePorts } from "./port.js";

interface PsFlags { all?: boolean; quiet?: boolean; filter: string[]; noTrunc?: boolean; last?: string; latest?: boolean; size?: boolean; format?: string }

function row(c: ContainerSummary, trunc: boolean, now: number): string[] {
  const cmd = trunc ? ellipsis(c.Command, 20) : c.Command;
  const image = trunc && c.Image.startsWith("sha256:") ? shortId(c.Image) : c.Image;
  return [
    trunc ? shortId(c.Id) : c.Id, image, JSON.stringify(cmd), `${humanDuration(now - c.Created * 1000)} ago`, c.Status, displayablePorts(c.Ports),
    c.Names.map((n) => n.replace(/^\//, "")).join(","),
  ];
}

/** Run `ps`. */
export async function runPs(cli: Cli, o: PsFlags): Promise<void> {
  const limit = o.latest === true ? 1 : o.last !== undefined ? Number(o.last) : undefined;
  const list = await containers(cli).list({
    all: o.all === true, filters: parseFilterFlags(o.filter), size: o.size === true || wantsSize(o.format),
    ...(limit !== undefined && limit > 0 ? { limit } : {}),
  });
  if (o.quiet === true) {
    for (const c of list) cli.out.write(`${o.noTrunc === true ? c.Id : shortId(c.Id)}\n`);
    return;
  }
  if (o.format !== undefined && o.format !== "" && o.format !== "table") {
    const ctx = list.map((c) => psContext(c, { trunc: o.noTrunc !== true, now: cli.now(), ports: displayablePorts(c.Ports) }));
    cli.out.write(renderTemplate(resolveFormat(o.format, PS_TABLE), ctx, PS_HEADERS));
    return;
  }
  const now = cli.now();
  cli.out.write(renderTable([
    ["CONTAINER ID", "IMAGE", "COMMAND", "CREATED", "STATUS", "PORTS", "NAMES"],
    ...list.map((c) => row(c, o.noTrunc !== true, now)),
  ]));
}

/** The `ps` command. */
export function createPsCommand(cli: Cli, name = "ps"): Command {
  return new Command(name)
    .description("List containers")
    .option("-a, --all", "show all containers (default shows just running)")
    .option("-q, --quiet", "only display container IDs")
    .option("-f, --filter <filter>", "filter output based on conditions provided", (v: string, p: string[]) => [...p, v], [])
    .option("--no-trunc", "don't truncate output")
    .option("-n, --last <n>", "show n last created containers (includes all states)")
    .option("-l, --latest", "show the latest created container (includes all states)")
    .option("-s, --size", "display total file sizes")
    .option("--format <format>", "format output using a Go-like template")
    .action(async (o: PsFlags & { trunc?: boolean }) => runPs(cli, { ...o, noTrunc: o.trunc === false }));
}
