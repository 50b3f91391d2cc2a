/** `berth volume inspect`. */
import { Command } from "commander";
import type { Cli } from "../../cli.js";
import { renderTemplate } from "../../format/template.js";
import { reportErrors } from "../report-errors.js";
import { volumes } from "./client.js";

/** Run `volume inspect`: a JSON array, or one line per volume with `--format`. */
export async function runVolumeInspect(cli: Cli, names: readonly string[], format: string | undefined): Promise<void> {
  const found: unknown[] = [];
  const errors: unknown[] = [];
  for (const n of names) {
    try {
      found.push(await volumes(cli).inspect(n));
    } catch (err) {
      errors.push(err);
    }
  }
  if (format !== undefined && format !== "" && format !== "json") cli.out.write(renderTemplate(format, found));
  else cli.out.write(`${JSON.stringify(found, null, 4)}\n`);
  reportErrors(errors);
}

/** The `volume inspect` command. */
export function createVolumeInspectCommand(cli: Cli): Command {
  return new Command("inspect")
    .description("Display detailed information on one or more volumes")
    .argument("<volume...>")
    .option("-f, --format <format>", "format output using a custom template")
    .action(async (names: string[], o: { format?: string }) => runVolumeInspect(cli, names, o.format));
}
