/** `berth start` (`-a` attaches and exits with the container's status). */
import { Command } from "commander";
import type { Cli } from "../../cli.js";
import { reportErrors } from "../report-errors.js";
import { containers } from "./client.js";
import { pumpAttached } from "./attach-io.js";
import { StatusError } from "./exit-status.js";
import { startErrorStatus } from "./run.js";

/** Run `start`. */
export async function runStart(cli: Cli, names: readonly string[], o: { attach?: boolean; interactive?: boolean }): Promise<void> {
  const c = containers(cli);
  if (o.attach === true || o.interactive === true) {
    const name = names[0] as string;
    const info = await c.inspect(name);
    const tty = info.Config.Tty === true;
    const stdin = o.interactive === true && info.Config.OpenStdin === true;
    const conn = await c.attach(name, { stream: true, stdin, stdout: true, stderr: true });
    const { result } = await c.waitRegistered(name, "next-exit");
    try {
      await c.start(name);
    } catch (err) {
      conn.socket.destroy();
      throw startErrorStatus(err);
    }
    await pumpAttached(cli, conn, { tty, stdin, resize: (h, w) => c.resize(name, h, w) });
    const r = await result;
    if (r.StatusCode !== 0) throw new StatusError(r.StatusCode);
    return;
  }
  const errors: unknown[] = [];
  for (const n of names) {
    try {
      await c.start(n);
      cli.out.write(`${n}\n`);
    } catch (err) {
      errors.push(err);
    }
  }
  reportErrors(errors);
}

/** The `start` command. */
export function createStartCommand(cli: Cli): Command {
  return new Command("start")
    .description("Start one or more stopped containers")
    .argument("<container...>")
    .option("-a, --attach", "attach STDOUT/STDERR and forward signals")
    .option("-i, --interactive", "attach container's STDIN")
    .action(async (names: string[], o: { attach?: boolean; interactive?: boolean }) => runStart(cli, names, o));
}
