/** `berth pause` / `berth unpause`: freeze or thaw every process of each container, printing each name. */
import { Command } from "commander";
import type { Cli } from "../../cli.js";
import { reportErrors } from "../report-errors.js";
import { containers } from "./client.js";

async function each(cli: Cli, names: readonly string[], fn: (n: string) => Promise<void>): Promise<void> {
  const errors: unknown[] = [];
  for (const n of names) {
    try {
      await fn(n);
      cli.out.write(`${n}\n`);
    } catch (err) {
      errors.push(err);
    }
  }
  reportErrors(errors);
}

/** Run `pause`. */
export async function runPause(cli: Cli, names: readonly string[]): Promise<void> {
  await each(cli, names, (n) => containers(cli).pause(n));
}

/** Run `unpause`. */
export async function runUnpause(cli: Cli, names: readonly string[]): Promise<void> {
  await each(cli, names, (n) => containers(cli).unpause(n));
}

/** The `pause` command. */
export function createPauseCommand(cli: Cli): Command {
  return new Command("pause")
    .description("Pause all processes within one or more containers")
    .argument("<container...>")
    .action(async (names: string[]) => runPause(cli, names));
}

/** The `unpause` command. */
export function createUnpauseCommand(cli: Cli): Command {
  return new Command("unpause")
    .description("Unpause all processes within one or more containers")
    .argument("<container...>")
    .action(async (names: string[]) => runUnpause(cli, names));
}
