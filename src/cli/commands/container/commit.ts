/** `berth commit`: a new image from a container's changes. */
import { Command } from "commander";
import { FilesClient } from "../../../client/files-client.js";
import { BerthError } from "../../../shared/errors.js";
import type { Cli } from "../../cli.js";

/** Options of `commit`. */
export interface CommitCliOptions {
  author?: string;
  change?: string[];
  message?: string;
  pause?: boolean;
}

/** Split `repo[:tag]` as docker's reference parser does (a colon after the last slash is the tag). */
export function splitRepoTag(ref: string): { repo: string; tag: string | undefined } {
  const at = ref.indexOf("@");
  if (at !== -1) throw new BerthError("invalid-argument", `invalid reference format: "${ref}" has a digest`);
  const colon = ref.lastIndexOf(":");
  if (colon > ref.lastIndexOf("/")) return { repo: ref.slice(0, colon), tag: ref.slice(colon + 1) };
  return { repo: ref, tag: undefined };
}

/** Run `commit`; prints the new image id. */
export async function runCommit(cli: Cli, container: string, reference: string | undefined, o: CommitCliOptions): Promise<void> {
  const ref = reference !== undefined && reference !== "" ? splitRepoTag(reference) : undefined;
  const id = await new FilesClient(cli.client().host).commit(container, {
    repo: ref?.repo, tag: ref?.tag, author: o.author, comment: o.message, pause: o.pause !== false, changes: o.change ?? [],
  });
  cli.out.write(`${id}\n`);
}

/** The `commit` command. */
export function createCommitCommand(cli: Cli): Command {
  return new Command("commit")
    .description("Create a new image from a container's changes")
    .argument("<container>")
    .argument("[repository]", "REPOSITORY[:TAG]")
    .option("-a, --author <author>", 'author (e.g., "John Hannibal Smith <hannibal@a-team.com>")')
    .option("-c, --change <instruction>", "apply Dockerfile instruction to the created image", (v: string, p: string[] = []) => [...p, v])
    .option("-m, --message <message>", "commit message")
    .option("-p, --pause", "pause container during commit (default true; -p=false or --no-pause to not)", true)
    .option("--no-pause", "do not pause the container during commit")
    .action(async (container: string, reference: string | undefined, o: CommitCliOptions) => runCommit(cli, container, reference, o));
}
