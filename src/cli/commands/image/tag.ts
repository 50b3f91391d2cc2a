/** `berth tag SOURCE TARGET`. */
import { Command } from "commander";
import type { Cli } from "../../cli.js";

/** Split "repo[:tag]" at a colon after the last slash. */
export function splitTarget(target: string): { repo: string; tag: string | undefined } {
  const at = target.indexOf("@");
  const head = at === -1 ? target : target.slice(0, at);
  const colon = head.lastIndexOf(":");
  if (colon > head.lastIndexOf("/")) return { repo: head.slice(0, colon), tag: head.slice(colon + 1) };
  return { repo: target, tag: undefined };
}

/** Run `tag`. */
export async function runTag(cli: Cli, source: string, target: string): Promise<void> {
  const { repo, tag } = splitTarget(target);
  await cli.client().tagImage(source, repo, tag);
}

/** The `tag` command. */
export function createTagCommand(cli: Cli, name = "tag"): Command {
  return new Command(name)
    .description("Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE")
    .argument("<source>", "SOURCE_IMAGE[:TAG]")
    .argument("<target>", "TARGET_IMAGE[:TAG]")
    .action(async (s: string, t: string) => runTag(cli, s, t));
}
