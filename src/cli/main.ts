#!/usr/bin/env node
/**
 * berth: the command-line client. Parses argv, runs one command against the daemon at
 * -H / BERTH_HOST, prints one clear error line on failure and exits 1 (125 for a flag
 * error, as docker).
 */
import { DaemonError, EngineClient, DEFAULT_HOST } from "../client/engine-client.js";
import type { EngineApi } from "../client/engine-api.js";
import type { Cli } from "./cli.js";
import { buildProgram } from "./program.js";
import { MultiError } from "./commands/report-errors.js";
import { StatusError } from "./commands/container/exit-status.js";
import { acceptGoBooleans } from "./go-booleans.js";
import { installUsageErrors, UsageError, usageError } from "./usage-errors.js";

/** One line per error, docker style. */
export function errorLines(err: unknown): string[] {
  if (err instanceof MultiError) return err.errors.flatMap(errorLines);
  if (err instanceof DaemonError) return [`Error response from daemon: ${err.message}`];
  if (err instanceof Error) {
    const msg = err.message;
    return [/^Cannot connect to/.test(msg) ? msg : `Error: ${msg}`];
  }
  return [`Error: ${String(err)}`];
}

/** Run the CLI with `argv` (without node and script); returns the exit code. */
export async function runCli(argv: string[], cli: Cli, setHost: (h: string) => void): Promise<number> {
  const program = buildProgram(cli);
  installUsageErrors(program, cli.out, cli.err);
  acceptGoBooleans(program);
  program.hook("preAction", (thisCommand) => {
    const o = thisCommand.opts<{ host?: string }>();
    if (o.host !== undefined) setHost(o.host);
  });
  try {
    await program.parseAsync(argv, { from: "user" });
    return 0;
  } catch (err) {
    if (err instanceof UsageError) {
      const u = usageError(err);
      if (u === undefined) return 0;
      cli.err.write(u.text);
      return u.status;
    }
    if (err instanceof StatusError) {
      // A container's exit status (or docker's 125/126/127), not a CLI failure.
      if (err.message !== "") cli.err.write(`${err.message}\n`);
      return err.status;
    }
    for (const l of errorLines(err)) cli.err.write(`${l}\n`);
    if (program.opts<{ debug?: boolean }>().debug === true) {
      let c: unknown = err instanceof Error ? err.cause : undefined;
      while (c instanceof Error) {
        cli.err.write(`  caused by: ${c.message}\n`);
        c = c.cause;
      }
    }
    return 1;
  }
}

const isMain = import.meta.url === `file://${process.argv[1] ?? ""}` || (process.argv[1] ?? "").endsWith("/cli/main.js");
if (isMain) {
  let host = process.env.BERTH_HOST !== undefined && process.env.BERTH_HOST !== "" ? process.env.BERTH_HOST : DEFAULT_HOST;
  let client: EngineApi | undefined;
  const cli: Cli = {
    client: () => (client ??= new EngineClient(host)),
    out: process.stdout,
    err: process.stderr,
    in: process.stdin,
    isTerminal: (s) => (s === "in" ? process.stdin.isTTY : process.stdout.isTTY) === true,
    now: () => Date.now(),
  };
  process.stdout.on("error", (e: NodeJS.ErrnoException) => {
    if (e.code === "EPIPE") process.exit(0);
  });
  runCli(process.argv.slice(2), cli, (h) => { host = h; }).then((code) => {
    process.exitCode = code;
  }, (err: unknown) => {
    process.stderr.write(`${errorLines(err).join("\n")}\n`);
    process.exitCode = 1;
  });
}
