/** `berth attach`. */
import { Command } from "commander";
import type { Cli } from "../../cli.js";
import { containers } from "./client.js";
import { pumpAttached } from "./attach-io.js";
import { StatusError } from "./exit-status.js";

/** Run `attach`: stream until the container exits (its status) or Ctrl-P Ctrl-Q. */
export async function runAttach(cli: Cli, name: string, o: { stdin?: boolean; detachKeys?: string }): Promise<void> {
  const c = containers(cli);
  const info = await c.inspect(name);
  if (!info.State.Running) throw new StatusError(1, "You cannot attach to a stopped container, start it first");
  const tty = info.Config.Tty === true;
  const stdin = o.stdin !== false && info.Config.OpenStdin === true;
  const conn = await c.attach(name, { stream: true, stdin, stdout: true, stderr: true, detachKeys: o.detachKeys });
  await pumpAttached(cli, conn, { tty, stdin, resize: (h, w) => c.resize(name, h, w) });
  const after = await c.inspect(name);
  if (!after.State.Running && after.State.ExitCode !== 0) throw new StatusError(after.State.ExitCode);
}

/** The `attach` command. */
export function createAttachCommand(cli: Cli): Command {
  return new Command("attach")
    .description("Attach local standard input, output, and error streams to a running container")
    .argument("<container>")
    .option("--no-stdin", "do not attach STDIN")
    .option("--detach-keys <keys>", "override the key sequence for detaching a container")
    .action(async (name: string, o: { stdin?: boolean; detachKeys?: string }) => runAttach(cli, name, o));
}
