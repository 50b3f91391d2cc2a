/** `berth image inspect`. */
import { Command } from "commander";
import type { Cli } from "../../cli.js";
import { renderTemplate } from "../../format/template.js";
import { reportErrors } from "../report-errors.js";

/** Run `image inspect`. */
export async function runImageInspect(cli: Cli, names: readonly string[], format: string | undefined): Promise<void> {
  const found: unknown[] = [];
  const errors: unknown[] = [];
  for (const n of names) {
    try {
      found.push(await cli.client().inspectImage(n));
    } catch (err) {
      errors.push(err);
    }
  }
  if (format !== undefined && format !== "" && format !== "json") cli.out.write(renderTemplate(format, found));
  else cli.out.write(`${JSON.stringify(found, null, 4)}\n`);
  reportErrors(errors);
}

/** The `image inspect` command. */
export function createImageInspectCommand(cli: Cli): Command {
  return new Command("inspect")
    .description("Display detailed information on one or more images")
    .argument("<image...>")
    .option("-f, --format <format>", "format output using a Go-like template")
    .action(async (names: string[], o: { format?: string }) => runImageInspect(cli, names, o.format));
}
