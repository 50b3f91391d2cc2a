/** `berth pull [--platform p] [-q] NAME[:TAG|@DIGEST]`. */
import { Command } from "commander";
import type { Cli } from "../../cli.js";
import { dockerConfigPath, readAuth, registryOf } from "./docker-config.js";
import { progressRenderer } from "./transfer-progress.js";

/** Run `pull`. */
export async function runPull(cli: Cli, image: string, o: { platform?: string; quiet?: boolean }): Promise<void> {
  const client = cli.client();
  if (client.pullImage === undefined) throw new Error("pull: not supported by this client");
  const auth = await readAuth(dockerConfigPath(), registryOf(image));
  const render = progressRenderer(cli);
  await client.pullImage(image, { platform: o.platform, auth, onMessage: o.quiet === true ? undefined : render });
  if (o.quiet === true) cli.out.write(`${image.includes(":") || image.includes("@") ? image : `${image}:latest`}\n`);
}

/** The `pull` command. */
export function createPullCommand(cli: Cli, name = "pull"): Command {
  return new Command(name)
    .description("Download an image from a registry")
    .argument("<name>", "NAME[:TAG|@DIGEST]")
    .option("--platform <platform>", "set platform if server is multi-platform capable")
    .option("-q, --quiet", "suppress verbose output")
    .action(async (image: string, o: { platform?: string; quiet?: boolean }) => runPull(cli, image, o));
}
