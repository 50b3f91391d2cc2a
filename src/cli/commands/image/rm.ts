/** `berth rmi` / `berth image rm`. */
import { Command } from "commander";
import type { Cli } from "../../cli.js";
import { reportErrors } from "../report-errors.js";

/** Run `rmi`. */
export async function runRmi(cli: Cli, names: readonly string[], o: { force?: boolean; prune?: boolean }): Promise<void> {
  const errors: unknown[] = [];
  for (const n of names) {
    try {
      const items = await cli.client().removeImage(n, { force: o.force === true, noprune: o.prune === false });
      for (const it of items) cli.out.write("Untagged" in it ? `Untagged: ${it.Untagged}\n` : `Deleted: ${it.Deleted}\n`);
    } catch (err) {
      errors.push(err);
    }
  }
  reportErrors(errors);
}

/** The `rmi` command. */
export function createRmiCommand(cli: Cli, name = "rmi"): Command {
  return new Command(name)
    .description("Remove one or more images")
    .argument("<image...>")
    .option("-f, --force", "force removal of the image")
    .option("--no-prune", "do not delete untagged parents")
    .action(async (names: string[], o: { force?: boolean; prune?: boolean }) => runRmi(cli, names, o));
}
