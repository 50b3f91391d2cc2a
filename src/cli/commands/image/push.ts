/** `berth push [-q] NAME[:TAG]`. */
import { Command } from "commander";
import type { Cli } from "../../cli.js";
import { dockerConfigPath, readAuth, registryOf } from "./docker-config.js";
import { progressRenderer } from "./transfer-progress.js";

/** Run `push`. */
export async function runPush(cli: Cli, image: string, o: { quiet?: boolean }): Promise<void> {
  const client = cli.client();
  if (client.pushImage === undefined) throw new Error("push: not supported by this client");
  const auth = await readAuth(dockerConfigPath(), registryOf(image));
  await client.pushImage(image, { auth, onMessage: o.quiet === true ? undefined : progressRenderer(cli) });
  if (o.quiet === true) cli.out.write(`${image}\n`);
}

/** The `push` command. */
export function createPushCommand(cli: Cli, name = "push"): Command {
  return new Command(name)
    .description("Upload an image to a registry")
    .argument("<name>", "NAME[:TAG]")
    .option("-q, --quiet", "suppress verbose output")
    .action(async (image: string, o: { quiet?: boolean }) => runPush(cli, image, o));
}
