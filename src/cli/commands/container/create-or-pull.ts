/**
 * docker's createContainer: a create refused with "No such image" pulls the image (its
 * progress on stderr, after "Unable to find image 'x' locally") and tries once more.
 */
import type { Cli } from "../../cli.js";
import { DaemonError } from "../../../client/engine-client.js";
import { dockerConfigPath, readAuth, registryOf } from "../image/docker-config.js";
import { progressRenderer } from "../image/transfer-progress.js";

/** The image as docker names it in "Unable to find image": with `:latest` when no tag or digest. */
function withTag(image: string): string {
  const lastSlash = image.lastIndexOf("/");
  return image.includes("@") || image.slice(lastSlash + 1).includes(":") ? image : `${image}:latest`;
}

/** Run `create`, pulling the image first when the daemon does not have it. */
export async function createOrPull<T>(cli: Cli, image: string, create: () => Promise<T>): Promise<T> {
  try {
    return await create();
  } catch (err) {
    const client = cli.client();
    if (!(err instanceof DaemonError) || err.status !== 404 || !/^No such image/i.test(err.message) || client.pullImage === undefined) {
      throw err;
    }
    cli.err.write(`Unable to find image '${withTag(image)}' locally\n`);
    const auth = await readAuth(dockerConfigPath(), registryOf(image));
    const render = progressRenderer({ ...cli, out: cli.err, isTerminal: () => false });
    await client.pullImage(image, { auth, onMessage: render });
    return create();
  }
}
