#!/usr/bin/env node
/**
 * berth-runtime: an OCI runtime with runc's command line, over the runtime library.
 * `berth-runtime [--root dir] [--log file] [--log-format text|json] [--debug] <command> ...`
 */
import { Runtime, DEFAULT_ROOT } from "../runtime.js";
import { parseFlags, str, bool } from "./args.js";
import { CliLog, type LogFormat } from "./log.js";
import { COMMANDS, parseCommand } from "./commands.js";

const GLOBAL_FLAGS = [
  { names: ["root"], value: true }, { names: ["log"], value: true }, { names: ["log-format"], value: true },
  { names: ["debug"] }, { names: ["systemd-cgroup"] }, { names: ["criu"], value: true }, { names: ["rootless"], value: true },
  { names: ["help", "h"] }, { names: ["version", "v"] },
];

const VERSION = "berth-runtime version 0.1.0\nspec: 1.2.0\n";

function usage(): string {
  return `usage: berth-runtime [--root dir] [--log file] [--log-format text|json] [--debug] <command> [args]\n\ncommands:\n${
    Object.entries(COMMANDS).map(([n, c]) => `  ${n.padEnd(9)}${c.usage}`).join("\n")}\n`;
}

/** Run berth-runtime with `argv` (without node and script); resolves to the exit status. */
export async function main(argv: readonly string[]): Promise<number> {
  let log = new CliLog(undefined, "text", false);
  try {
    const g = parseFlags(argv, GLOBAL_FLAGS);
    const format = str(g, "log-format") ?? "text";
    if (format !== "text" && format !== "json") throw new RangeError(`invalid --log-format "${format}": want text or json`);
    log = new CliLog(str(g, "log"), format as LogFormat, bool(g, "debug"));
    if (bool(g, "version")) {
      process.stdout.write(VERSION);
      return 0;
    }
    const [name, ...rest] = g.args;
    if (bool(g, "help") || name === undefined || name === "help") {
      process.stdout.write(usage());
      return name === undefined && !bool(g, "help") ? 1 : 0;
    }
    const { cmd, parsed } = parseCommand(name, rest);
    const runtime = new Runtime({ root: str(g, "root") ?? DEFAULT_ROOT, logger: log });
    log.debug(`${name} ${rest.join(" ")}`);
    return await cmd.run({ runtime, log, out: (t) => process.stdout.write(t) }, parsed);
  } catch (err) {
    log.error((err as Error).message);
    if (log.debugEnabled && err instanceof Error) {
      for (let c: unknown = err.cause; c instanceof Error; c = c.cause) process.stderr.write(`  caused by: ${c.message}\n`);
    }
    return 1;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`berth-runtime: ${String(err)}\n`);
    process.exitCode = 1;
  },
);
