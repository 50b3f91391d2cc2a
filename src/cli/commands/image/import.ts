/** `berth import file|- [REPOSITORY[:TAG]]`. */
import { Command } from "commander";
import { createReadStream } from "node:fs";
import type { Cli } from "../../cli.js";
import { splitTarget } from "./tag.js";

/** Options of `import`. */
export interface ImportCliOptions {
  change?: string[];
  message?: string;
}

/** Run `import`. */
export async function runImport(cli: Cli, source: string, ref: string | undefined, o: ImportCliOptions): Promise<void> {
  if (/^https?:\/\//.test(source)) throw new Error("importing from a URL is not supported");
  const body = source === "-" ? cli.in : createReadStream(source);
  const opts: { repo?: string; tag?: string; changes?: string[]; message?: string } = { changes: o.change ?? [] };
  if (ref !== undefined) {
    const { repo, tag } = splitTarget(ref);
    opts.repo = repo;
    if (tag !== undefined) opts.tag = tag;
  }
  if (o.message !== undefined) opts.message = o.message;
  const id = await cli.client().importImage(body, opts);
  cli.out.write(`${id}\n`);
}

/** The `import` command. */
export function createImportCommand(cli: Cli, name = "import"): Command {
  return new Command(name)
    .description("Import the contents from a tarball to create a filesystem image")
    .argument("<file>", "tarball path, or - for stdin")
    .argument("[repository]", "REPOSITORY[:TAG]")
    .option("-c, --change <instruction>", "apply Dockerfile instruction to the created image", (v: string, p: string[] = []) => [...p, v])
    .option("-m, --message <message>", "set commit message for imported image")
    .action(async (file: string, ref: string | undefined, o: ImportCliOptions) => runImport(cli, file, ref, o));
}
