/** `berth exec`. */
import { Command } from "commander";
import type { Cli } from "../../cli.js";
import { containers } from "./client.js";
import { pumpAttached } from "./attach-io.js";
import { StatusError } from "./exit-status.js";

interface ExecFlags { interactive?: boolean; tty?: boolean; detach?: boolean; env: string[]; workdir?: string; user?: string; privileged?: boolean }

/** Run `exec`: exits with the process's status. */
export async function runExec(cli: Cli, name: string, cmd: readonly string[], o: ExecFlags): Promise<void> {
  const c = containers(cli);
  const tty = o.tty === true;
  const { Id } = await c.execCreate(name, {
    Cmd: [...cmd], Tty: tty, AttachStdin: o.interactive === true && o.detach !== true, AttachStdout: o.detach !== true, AttachStderr: o.detach !== true,
    Env: o.env, ...(o.workdir !== undefined ? { WorkingDir: o.workdir } : {}), ...(o.user !== undefined ? { User: o.user } : {}),
    Privileged: o.privileged === true,
  });
  if (o.detach === true) {
    await c.execStartDetached(Id);
    return;
  }
  const conn = await c.execStart(Id, { tty });
  await pumpAttached(cli, conn, { tty, stdin: o.interactive === true, resize: (h, w) => c.execResize(Id, h, w) });
  let code = 0;
  for (let i = 0; i < 100; i++) {
    const info = await c.execInspect(Id);
    if (!info.Running) {
      code = info.ExitCode ?? 0;
      break;
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  if (code !== 0) throw new StatusError(code);
}

/** The `exec` command. */
export function createExecCommand(cli: Cli): Command {
  return new Command("exec")
    .description("Execute a command in a running container")
    .argument("<container>")
    .argument("<command...>")
    .option("-i, --interactive", "keep STDIN open even if not attached")
    .option("-t, --tty", "allocate a pseudo-TTY")
    .option("-d, --detach", "detached mode: run command in the background")
    .option("-e, --env <env>", "set environment variables", (v: string, p: string[]) => [...p, v], [])
    .option("-w, --workdir <dir>", "working directory inside the container")
    .option("-u, --user <user>", "username or UID (format: <name|uid>[:<group|gid>])")
    .option("--privileged", "give extended privileges to the command")
    .passThroughOptions()
    .action(async (name: string, cmd: string[], o: ExecFlags) => runExec(cli, name, cmd, o));
}
