/** `berth export`: a container's filesystem as a tar archive (stdout or `-o file`). */
import { createWriteStream } from "node:fs";
import { pipeline } from "node:stream/promises";
import { Command } from "commander";
import { FilesClient } from "../../../client/files-client.js";
import { BerthError } from "../../../shared/errors.js";
import type { Cli } from "../../cli.js";

/** Run `export`. */
export async function runExport(cli: Cli, container: string, o: { output?: string }): Promise<void> {
  if (o.output === undefined && cli.isTerminal("out")) {
    throw new BerthError("invalid-argument", "cowardly refusing to save to a terminal. Use the -o flag or redirect");
  }
  const stream = await new FilesClient(cli.client().host).export(container);
  await pipeline(stream, o.output !== undefined ? createWriteStream(o.output) : cli.out);
}

/** The `export` command. */
export function createExportCommand(cli: Cli): Command {
  return new Command("export")
    .description("Export a container's filesystem as a tar archive")
    .argument("<container>")
    .option("-o, --output <file>", "write to a file, instead of STDOUT")
    .action(async (container: string, o: { output?: string }) => runExport(cli, container, o));
}
