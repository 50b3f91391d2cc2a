/** `berth create`. */
import { Command } from "commander";
import type { Cli } from "../../cli.js";
import { containers } from "./client.js";
import { createOrPull } from "./create-or-pull.js";
import { addCreateFlags, createBody, type CreateFlags } from "./create-options.js";

/** Run `create`: print the new id. */
export async function runCreate(cli: Cli, image: string, args: readonly string[], f: CreateFlags): Promise<void> {
  const c = containers(cli);
  const r = await createOrPull(cli, image, () => c.create(createBody(image, args, { ...f, detach: true }), f.name), f.pull);
  cli.out.write(`${r.Id}\n`);
}

/** The `create` command. */
export function createCreateCommand(cli: Cli): Command {
  return addCreateFlags(new Command("create"))
    .description("Create a new container")
    .argument("<image>")
    .argument("[command...]")
    .passThroughOptions()
    .action(async (image: string, args: string[], o: CreateFlags) => runCreate(cli, image, args, o));
}
