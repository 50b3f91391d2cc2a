/** `berth system …`: the system management group (disk use and prune). */
import { Command } from "commander";
import type { Cli } from "../../cli.js";
import { createDfCommand } from "./df.js";
import { createSystemPruneCommand } from "./prune.js";

/** The `system` group. */
export function createSystemCommand(cli: Cli): Command {
  return new Command("system")
    .description("Manage berth")
    .addCommand(createDfCommand(cli))
    .addCommand(createSystemPruneCommand(cli));
}
