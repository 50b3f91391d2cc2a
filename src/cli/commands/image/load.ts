/** `berth load [-i file] [-q]`. */
import { Command } from "commander";
import { createReadStream } from "node:fs";
import type { Cli } from "../../cli.js";

/** Run `load`. */
export async function runLoad(cli: Cli, input: string | undefined, quiet: boolean): Promise<void> {
  if (input === undefined && cli.isTerminal("in")) {
    throw new Error("requested load from stdin, but stdin is empty");
  }
  const body = input === undefined ? cli.in : createReadStream(input);
  const lines = await cli.client().loadImages(body, quiet);
  for (const l of lines) cli.out.write(`${l}\n`);
}

/** The `load` command. */
export function createLoadCommand(cli: Cli, name = "load"): Command {
  return new Command(name)
    .description("Load an image from a tar archive or STDIN")
    .option("-i, --input <file>", "read from tar archive file, instead of STDIN")
    .option("-q, --quiet", "suppress the load output")
    .action(async (o: { input?: string; quiet?: boolean }) => runLoad(cli, o.input, o.quiet === true));
}
