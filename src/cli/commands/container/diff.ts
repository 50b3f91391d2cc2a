/** `berth diff`: the changes of a container's filesystem (A added, C changed, D deleted). */
import { Command } from "commander";
import { FilesClient } from "../../../client/files-client.js";
import type { Cli } from "../../cli.js";

const KIND = ["C", "A", "D"];

/** Run `diff`. */
export async function runDiff(cli: Cli, container: string): Promise<void> {
  const changes = await new FilesClient(cli.client().host).changes(container);
  cli.out.write(changes.map((c) => `${KIND[c.Kind] ?? "?"} ${c.Path}\n`).join(""));
}

/** The `diff` command. */
export function createDiffCommand(cli: Cli): Command {
  return new Command("diff")
    .description("Inspect changes to files or directories on a container's filesystem")
    .argument("<container>")
    .action(async (container: string) => runDiff(cli, container));
}
