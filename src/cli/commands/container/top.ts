/** `berth top CONTAINER [ps OPTIONS]`: the container's processes as the host's `ps` shows them. */
import { Command } from "commander";
import type { Cli } from "../../cli.js";
import { renderTable } from "../../format/table.js";
import { containers } from "./client.js";

/** Run `top`: ps options are joined by spaces and sent as `ps_args`, as the docker CLI does. */
export async function runTop(cli: Cli, container: string, psOptions: readonly string[]): Promise<void> {
  const r = await containers(cli).top(container, psOptions.join(" "));
  // docker's tabwriter for top: minwidth 20, padding 3.
  process.stdout.write(renderTable([r.Titles, ...r.Processes], 20, 3));
}

/** The `top` command. */
export function createTopCommand(cli: Cli): Command {
  return new Command("top")
    .description("Display the running processes of a container")
    .usage("CONTAINER [ps OPTIONS]")
    .argument("<container>")
    .argument("[ps-options...]")
    .passThroughOptions()
    .action(async (container: string, psOptions: string[]) => runTop(cli, container, psOptions));
}
