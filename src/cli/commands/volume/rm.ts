/** `berth volume rm`. */
import { Command } from "commander";
import type { Cli } from "../../cli.js";
import { reportErrors } from "../report-errors.js";
import { volumes } from "./client.js";

/** Run `volume rm`: prints each removed name; failures are reported together. */
export async function runVolumeRm(cli: Cli, names: readonly string[], o: { force?: boolean }): Promise<void> {
  const errors: unknown[] = [];
  for (const n of names) {
    try {
      await volumes(cli).remove(n, { force: o.force === true });
      cli.out.write(`${n}\n`);
    } catch (err) {
      errors.push(err);
    }
  }
  reportErrors(errors);
}

/** The `volume rm` command. */
export function createVolumeRmCommand(cli: Cli): Command {
  return new Command("rm")
    .alias("remove")
    .description("Remove one or more volumes")
    .argument("<volume...>")
    .option("-f, --force", "force the removal of one or more volumes")
    .action(async (names: string[], o: { force?: boolean }) => runVolumeRm(cli, names, o));
}
