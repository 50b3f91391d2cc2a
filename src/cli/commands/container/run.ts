/** `berth run`: create, attach, start, and exit with the container's status (docker's runRun). */
import { Command } from "commander";
import type { Cli } from "../../cli.js";
import { DaemonError } from "../../../client/engine-client.js";
import { containers } from "./client.js";
import { addCreateFlags, createBody, type CreateFlags } from "./create-options.js";
import { pumpAttached } from "./attach-io.js";
import { StatusError } from "./exit-status.js";
import { createOrPull } from "./create-or-pull.js";

/** docker's runStartContainerErr: 127/126 for exec failures, else 125. */
export function startErrorStatus(err: unknown): StatusError {
  const msg = err instanceof Error ? err.message : String(err);
  const text = err instanceof DaemonError ? `berth: Error response from daemon: ${msg}` : `berth: ${msg}`;
  if (/executable file not found|no such file or directory/i.test(msg)) return new StatusError(127, text);
  if (/permission denied|is a directory/i.test(msg)) return new StatusError(126, text);
  return new StatusError(125, text);
}

/** Run `run`. */
export async function runRun(cli: Cli, image: string, args: readonly string[], f: CreateFlags): Promise<void> {
  const c = containers(cli);
  let id: string;
  try {
    id = (await createOrPull(cli, image, () => c.create(createBody(image, args, f), f.name), f.pull)).Id;
  } catch (err) {
    throw startErrorStatus(err);
  }
  if (f.detach === true) {
    try {
      await c.start(id);
    } catch (err) {
      throw startErrorStatus(err);
    }
    cli.out.write(`${id}\n`);
    return;
  }
  const tty = f.tty === true;
  const conn = await c.attach(id, { stream: true, stdin: f.interactive === true, stdout: true, stderr: true });
  const { result, cancel } = await c.waitRegistered(id, f.rm === true ? "removed" : "next-exit");
  try {
    await c.start(id);
  } catch (err) {
    conn.socket.destroy();
    if (f.rm === true) await result.catch(() => undefined);
    throw startErrorStatus(err);
  }
  await pumpAttached(cli, conn, {
    tty, stdin: f.interactive === true,
    resize: (h, w) => c.resize(id, h, w),
  });
  // The daemon ends the stream at exit only after recording the exit: a stream that ended
  // on a running container was detached (Ctrl-P Ctrl-Q), and docker run then exits 0.
  if (f.interactive === true && await c.inspect(id).then((i) => i.State.Running, () => false)) {
    result.catch(() => undefined);
    cancel();
    return;
  }
  const r = await result;
  if (r.StatusCode !== 0) throw new StatusError(r.StatusCode);
}

/** The `run` command. */
export function createRunCommand(cli: Cli): Command {
  return addCreateFlags(new Command("run"))
    .description("Create and run a new container from an image")
    .option("-d, --detach", "run container in background and print container ID")
    .argument("<image>")
    .argument("[command...]")
    .passThroughOptions()
    .action(async (image: string, args: string[], o: CreateFlags) => runRun(cli, image, args, o));
}
