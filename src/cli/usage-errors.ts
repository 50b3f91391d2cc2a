/**
 * Command-line usage errors as the docker CLI reports them. commander only throws instead of
 * calling process.exit on commands that were given `exitOverride()`, and `addCommand` does
 * not pass that on, so it is installed on every command of the tree here; commander's own
 * error line is silenced and `usageError()` prints docker's text instead.
 *
 * docker (cobra) exits 125 for flag errors (unknown flag, missing or invalid flag value) and
 * 1 for a wrong number of arguments or an unknown command.
 */
import { Command, CommanderError } from "commander";

/** A commander error with the command it happened on. */
export class UsageError extends Error {
  constructor(override readonly cause: CommanderError, readonly command: Command) {
    super(cause.message);
  }
}

/** Make every command in the tree throw `UsageError` and write help to the given streams. */
export function installUsageErrors(root: Command, out: { write(s: string): unknown }, err: { write(s: string): unknown }): void {
  const visit = (cmd: Command): void => {
    cmd.exitOverride((e) => { throw new UsageError(e, cmd); });
    cmd.configureOutput({ writeOut: (s) => out.write(s), writeErr: (s) => err.write(s), outputError: () => undefined });
    for (const sub of cmd.commands) visit(sub);
  };
  visit(root);
}

/** "berth container ls" for the `ls` under `container`. */
function commandPath(cmd: Command): string {
  const names: string[] = [];
  for (let c: Command | null = cmd; c !== null; c = c.parent) names.unshift(c.name());
  return names.join(" ");
}

/** The quoted value in commander's message ("error: unknown option '--x'" → "--x"). */
function quoted(message: string): string {
  return /'([^']*)'/.exec(message)?.[1] ?? "";
}

/** "--filter" from commander's "-f, --filter <filter>" (the long name, as cobra names it). */
function flagName(flags: string): string {
  const names = flags.split(/[ ,|]+/).filter((f) => f.startsWith("-"));
  return names.find((f) => f.startsWith("--")) ?? names[0] ?? flags;
}

/** docker's text for a flag that is not known: cobra tells long and shorthand flags apart. */
function unknownFlag(flag: string): string {
  if (flag.startsWith("--") || !flag.startsWith("-")) return `unknown flag: ${flag}`;
  return `unknown shorthand flag: '${flag.slice(1, 2)}' in ${flag}`;
}

/** cobra's wording for how many arguments a command takes. */
function argumentCount(cmd: Command): string {
  const args = cmd.registeredArguments;
  const required = args.filter((a) => a.required).length;
  const plural = (n: number) => `${n} argument${n === 1 ? "" : "s"}`;
  if (args.length === 0) return "accepts no arguments";
  if (args.some((a) => a.variadic) || required === 0) return `requires at least ${plural(required)}`;
  if (required === args.length) return `requires exactly ${plural(required)}`;
  return `requires at least ${plural(required)} and at most ${plural(args.length)}`;
}

/** The text to print and the exit status for a usage error; undefined when it is not one (help, version). */
export function usageError(e: UsageError): { text: string; status: number } | undefined {
  const { cause, command } = e;
  if (cause.exitCode === 0 || cause.code === "commander.helpDisplayed" || cause.code === "commander.version" || cause.code === "commander.help") return undefined;
  const path = commandPath(command);
  const usage = `\nUsage:  ${path} ${command.usage()}\n\nRun '${path} --help' for more information\n`;
  switch (cause.code) {
    case "commander.unknownOption":
      return { text: `${unknownFlag(quoted(cause.message))}\n${usage}`, status: 125 };
    case "commander.optionMissingArgument":
      return { text: `flag needs an argument: ${flagName(quoted(cause.message))}\n${usage}`, status: 125 };
    case "commander.invalidArgument":
      return { text: `${cause.message.replace(/^error: /, "")}\n${usage}`, status: 125 };
    case "commander.missingArgument":
    case "commander.excessArguments":
      return { text: `${path.split(" ")[0]}: '${path}' ${argumentCount(command)}\n${usage}`, status: 1 };
    case "commander.unknownCommand":
      return { text: `${path.split(" ")[0]}: unknown command: ${path} ${quoted(cause.message)}\n\nRun '${path} --help' for more information\n`, status: 1 };
    default:
      return { text: `${cause.message.replace(/^error: /, "")}\n${usage}`, status: 1 };
  }
}
