/**
 * Go-style boolean flags (`--rm=false`, `-p=false`, `--pause=true`), which the docker CLI
 * (pflag) accepts on every boolean flag and commander does not: each command's argv is
 * rewritten before commander parses it, `--x=true` to `--x` and `--x=false` to `--no-x` (or
 * the value set to false when there is no negation).
 */
import type { Command, Option } from "commander";

const GO_BOOL = /^(--?[^=\s]+)=(1|0|t|f|true|false|TRUE|FALSE|True|False)$/;

/** Install the rewrite on every command of the tree. */
export function acceptGoBooleans(root: Command): void {
  const visit = (cmd: Command): void => {
    const parse = cmd.parseOptions.bind(cmd);
    cmd.parseOptions = (argv: string[]) => parse(rewriteGoBooleans(cmd, argv));
    for (const sub of cmd.commands) visit(sub);
  };
  visit(root);
}

function isBoolean(o: Option): boolean {
  return !o.required && !o.optional && !o.negate;
}

/** argv with this command's Go-style booleans in commander's form; stops at the first operand of a pass-through command or a command group. */
export function rewriteGoBooleans(cmd: Command, argv: string[]): string[] {
  // Past the first operand the words belong to a subcommand or to the container's command.
  const stopAtOperand = cmd.commands.length > 0 || (cmd as unknown as { _passThroughOptions?: boolean })._passThroughOptions === true;
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a === "--" || (stopAtOperand && !a.startsWith("-"))) {
      out.push(...argv.slice(i));
      break;
    }
    const m = GO_BOOL.exec(a);
    const opt = m === null ? undefined : cmd.options.find((o) => (o.long === m[1] || o.short === m[1]) && isBoolean(o));
    if (m !== null && opt !== undefined) {
      if (/^(1|t|true)$/i.test(m[2] as string)) out.push(m[1] as string);
      else {
        const negation = cmd.options.find((o) => o.negate && o.attributeName() === opt.attributeName());
        if (negation?.long !== undefined) out.push(negation.long);
        else cmd.setOptionValueWithSource(opt.attributeName(), false, "cli");
      }
      continue;
    }
    out.push(a);
    // A separate value of an option that takes one is not an operand.
    const valued = !a.includes("=") && cmd.options.find((o) => (o.long === a || o.short === a) && o.required);
    if (valued !== undefined && valued !== false && i + 1 < argv.length) out.push(argv[++i] as string);
  }
  return out;
}
