/** `berth container prune`: remove stopped containers (with filters), docker's output. */
import { Command } from "commander";
import { FilesClient } from "../../../client/files-client.js";
import type { Cli } from "../../cli.js";
import { humanSize } from "../../format/human.js";
import { parseFilterFlags } from "../filters.js";
import { confirm } from "../system/prune.js";

/** Run `container prune`. */
export async function runContainerPrune(cli: Cli, o: { force?: boolean; filter?: string[] }): Promise<void> {
  const filters = parseFilterFlags(o.filter ?? []);
  if (o.force !== true && !(await confirm(cli, "WARNING! This will remove all stopped containers."))) return;
  const r = await new FilesClient(cli.client().host).pruneContainers(filters);
  if (r.ContainersDeleted !== null && r.ContainersDeleted.length > 0) cli.out.write(`Deleted Containers:\n${r.ContainersDeleted.join("\n")}\n\n`);
  cli.out.write(`Total reclaimed space: ${humanSize(r.SpaceReclaimed, 4)}\n`);
}

/** The `container prune` command. */
export function createContainerPruneCommand(cli: Cli): Command {
  return new Command("prune")
    .description("Remove all stopped containers")
    .option("-f, --force", "do not prompt for confirmation")
    .option("--filter <filter>", 'provide filter values (e.g. "until=<timestamp>")', (v: string, p: string[] = []) => [...p, v])
    .action(async (o: { force?: boolean; filter?: string[] }) => runContainerPrune(cli, o));
}
