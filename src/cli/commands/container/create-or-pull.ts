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

/** Pull `image` with its progress on stderr. */
async function pull(cli: Cli, image: string): Promise<void> {
  const client = cli.client();
  if (client.pullImage === undefined) throw new Error("pull: not supported by this client");
  const auth = await readAuth(dockerConfigPath(), registryOf(image));
  const render = progressRenderer({ ...cli, out: cli.err, isTerminal: () => false });
  await client.pullImage(image, { auth, onMessage: render });
}

/**
 * Run `create` under docker's --pull policy: "missing" pulls when the daemon does not have
 * the image, "always" pulls first, "never" only creates.
 */
export async function createOrPull<T>(cli: Cli, image: string, create: () => Promise<T>, policy = "missing"): Promise<T> {
  if (policy !== "missing" && policy !== "always" && policy !== "never") {
    throw new Error(`invalid pull option: '${policy}': must be one of "always", "missing" or "never"`);
  }
  if (policy === "always") await pull(cli, image);
  try {
    return await create();
  } catch (err) {
    if (policy !== "missing" || !(err instanceof DaemonError) || err.status !== 404 || !/^No such image/i.test(err.message)) {
      throw err;
    }
    cli.err.write(`Unable to find image '${withTag(image)}' locally\n`);
    await pull(cli, image);
    return create();
  }
}
