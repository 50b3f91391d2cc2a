/** `berth rename OLD NEW`. */
import { Command } from "commander";
import type { Cli } from "../../cli.js";
import { BerthError } from "../../../shared/errors.js";
import { containers } from "./client.js";

/** Run `rename` (docker refuses empty names before asking the daemon). */
export async function runRename(cli: Cli, oldName: string, newName: string): Promise<void> {
  const from = oldName.trim();
  const to = newName.trim();
  if (from === "" || to === "") throw new BerthError("invalid-argument", "Neither old nor new names may be empty");
  await containers(cli).rename(from, to);
}

/** The `rename` command. */
export function createRenameCommand(cli: Cli): Command {
  return new Command("rename")
    .description("Rename a container")
    .argument("<container>")
    .argument("<new-name>")
    .action(async (oldName: string, newName: string) => runRename(cli, oldName, newName));
}
