/** `berth save [-o file] IMAGE...`. */
import { Command } from "commander";
import { createWriteStream } from "node:fs";
import { rename, rm } from "node:fs/promises";
import { pipeline } from "node:stream/promises";
import type { Cli } from "../../cli.js";

/** Run `save`. */
export async function runSave(cli: Cli, names: readonly string[], output: string | undefined): Promise<void> {
  if (output === undefined && cli.isTerminal("out")) {
    throw new Error("cowardly refusing to save to a terminal. Use the -o flag or redirect");
  }
  const stream = await cli.client().saveImages(names);
  if (output === undefined) {
    await pipeline(stream, cli.out, { end: false });
    return;
  }
  // Write beside the target and rename, so a failed save leaves no truncated archive.
  const tmp = `${output}.berth-tmp-${process.pid}`;
  try {
    await pipeline(stream, createWriteStream(tmp));
    await rename(tmp, output);
  } finally {
    await rm(tmp, { force: true });
  }
}

/** The `save` command. */
export function createSaveCommand(cli: Cli, name = "save"): Command {
  return new Command(name)
    .description("Save one or more images to a tar archive (streamed to STDOUT by default)")
    .argument("<image...>")
    .option("-o, --output <file>", "write to a file, instead of STDOUT")
    .action(async (names: string[], o: { output?: string }) => runSave(cli, names, o.output));
}
