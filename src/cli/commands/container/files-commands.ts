/**
 * Registers the file and disk commands: `cp`, `diff`, `export`, `commit` (top level and in
 * `container`), `container prune`, `image prune` and the `system` group (`df`, `prune`).
 */
import type { Command } from "commander";
import type { Cli } from "../../cli.js";
import { createImagePruneCommand } from "../system/prune.js";
import { createSystemCommand } from "../system/system.js";
import { createCommitCommand } from "./commit.js";
import { createCpCommand } from "./cp.js";
import { createDiffCommand } from "./diff.js";
import { createExportCommand } from "./export.js";
import { createContainerPruneCommand } from "./prune.js";

/** Add the commands to `program` and its `container` and `image` groups. */
export function addFileCommands(program: Command, cli: Cli): void {
  const group = (name: string) => program.commands.find((c) => c.name() === name);
  const container = group("container");
  for (const make of [createCpCommand, createDiffCommand, createExportCommand, createCommitCommand]) {
    program.addCommand(make(cli));
    container?.addCommand(make(cli));
  }
  container?.addCommand(createContainerPruneCommand(cli));
  group("image")?.addCommand(createImagePruneCommand(cli));
  const system = group("system");
  if (system === undefined) program.addCommand(createSystemCommand(cli));
  else for (const c of createSystemCommand(cli).commands) system.addCommand(c);
}
