/** `berth inspect` / `berth container inspect`. */
import { Command } from "commander";
import type { Cli } from "../../cli.js";
import { renderTemplate } from "../../format/template.js";
import { reportErrors } from "../report-errors.js";
import { containers } from "./client.js";

/** Run `inspect` (containers first, then images, as docker's untyped inspect). */
export async function runInspect(cli: Cli, names: readonly string[], format: string | undefined, imagesToo: boolean): Promise<void> {
  const found: unknown[] = [];
  const errors: unknown[] = [];
  for (const n of names) {
    try {
      found.push(await containers(cli).inspect(n));
    } catch (err) {
      if (!imagesToo) {
        errors.push(err);
        continue;
      }
      try {
        found.push(await cli.client().inspectImage(n));
      } catch {
        errors.push(new Error(`No such object: ${n}`));
      }
    }
  }
  if (format !== undefined && format !== "" && format !== "json") cli.out.write(renderTemplate(format, found));
  else cli.out.write(`${JSON.stringify(found, null, 4)}\n`);
  reportErrors(errors);
}

/** The `inspect` command. */
export function createInspectCommand(cli: Cli, imagesToo = true): Command {
  return new Command("inspect")
    .description("Return low-level information on berth objects")
    .argument("<name...>")
    .option("-f, --format <format>", "format output using a Go-like template")
    .action(async (names: string[], o: { format?: string }) => runInspect(cli, names, o.format, imagesToo));
}
