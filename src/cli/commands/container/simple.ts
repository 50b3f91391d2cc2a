/** The per-name verbs: `stop`, `kill`, `restart`, `rm`, `wait` (each prints the name it handled, as docker). */
import { Command } from "commander";
import type { Cli } from "../../cli.js";
import { reportErrors } from "../report-errors.js";
import { containers } from "./client.js";

async function each(cli: Cli, names: readonly string[], fn: (n: string) => Promise<string>): Promise<void> {
  const errors: unknown[] = [];
  await Promise.all(names.map(async (n) => {
    try {
      cli.out.write(`${await fn(n)}\n`);
    } catch (err) {
      errors.push(err);
    }
  }));
  reportErrors(errors);
}

function timeout(v: string | undefined): number | undefined {
  return v === undefined ? undefined : Number(v);
}

/** The `stop` command. */
export function createStopCommand(cli: Cli): Command {
  return new Command("stop")
    .description("Stop one or more running containers")
    .argument("<container...>")
    .option("-t, --time <seconds>", "seconds to wait before killing the container")
    .option("-s, --signal <signal>", "signal to send to the container")
    .action(async (names: string[], o: { time?: string; signal?: string }) => each(cli, names, async (n) => {
      await containers(cli).stop(n, { t: timeout(o.time), signal: o.signal });
      return n;
    }));
}

/** The `restart` command. */
export function createRestartCommand(cli: Cli): Command {
  return new Command("restart")
    .description("Restart one or more containers")
    .argument("<container...>")
    .option("-t, --time <seconds>", "seconds to wait before killing the container")
    .option("-s, --signal <signal>", "signal to send to the container")
    .action(async (names: string[], o: { time?: string; signal?: string }) => each(cli, names, async (n) => {
      await containers(cli).restart(n, { t: timeout(o.time), signal: o.signal });
      return n;
    }));
}

/** The `kill` command. */
export function createKillCommand(cli: Cli): Command {
  return new Command("kill")
    .description("Kill one or more running containers")
    .argument("<container...>")
    .option("-s, --signal <signal>", "signal to send to the container")
    .action(async (names: string[], o: { signal?: string }) => each(cli, names, async (n) => {
      await containers(cli).kill(n, o.signal);
      return n;
    }));
}

/** The `rm` command. */
export function createRmCommand(cli: Cli, name = "rm"): Command {
  return new Command(name)
    .description("Remove one or more containers")
    .argument("<container...>")
    .option("-f, --force", "force the removal of a running container (uses SIGKILL)")
    .option("-v, --volumes", "remove anonymous volumes associated with the container")
    .action(async (names: string[], o: { force?: boolean; volumes?: boolean }) => each(cli, names, async (n) => {
      await containers(cli).remove(n, { force: o.force === true, volumes: o.volumes === true });
      return n;
    }));
}

/** The `wait` command: prints each exit code. */
export function createWaitCommand(cli: Cli): Command {
  return new Command("wait")
    .description("Block until one or more containers stop, then print their exit codes")
    .argument("<container...>")
    .action(async (names: string[]) => each(cli, names, async (n) => String((await containers(cli).wait(n)).StatusCode)));
}
