/** `berth container …`: the management group, and the top-level aliases docker has. */
import { Command } from "commander";
import type { Cli } from "../../cli.js";
import { createRunCommand } from "./run.js";
import { createCreateCommand } from "./create.js";
import { createStartCommand } from "./start.js";
import { createPsCommand } from "./ps.js";
import { createLogsCommand } from "./logs.js";
import { createKillCommand, createRestartCommand, createRmCommand, createStopCommand, createWaitCommand } from "./simple.js";
import { createAttachCommand } from "./attach.js";
import { createExecCommand } from "./exec.js";
import { createInspectCommand } from "./inspect.js";
import { createPauseCommand, createUnpauseCommand } from "./pause.js";
import { createRenameCommand } from "./rename.js";
import { createUpdateCommand } from "./update.js";
import { createStatsCommand } from "./stats.js";
import { createPortCommand } from "./port.js";
import { createTopCommand } from "./top.js";

/** The `container` group. */
export function createContainerCommand(cli: Cli): Command {
  return new Command("container")
    .enablePositionalOptions()
    .description("Manage containers")
    .addCommand(createRunCommand(cli))
    .addCommand(createCreateCommand(cli))
    .addCommand(createStartCommand(cli))
    .addCommand(createPsCommand(cli, "ls"))
    .addCommand(createLogsCommand(cli))
    .addCommand(createStopCommand(cli))
    .addCommand(createKillCommand(cli))
    .addCommand(createRestartCommand(cli))
    .addCommand(createRmCommand(cli))
    .addCommand(createWaitCommand(cli))
    .addCommand(createAttachCommand(cli))
    .addCommand(createExecCommand(cli))
    .addCommand(createInspectCommand(cli, false))
    .addCommand(createPauseCommand(cli))
    .addCommand(createUnpauseCommand(cli))
    .addCommand(createRenameCommand(cli))
    .addCommand(createUpdateCommand(cli))
    .addCommand(createStatsCommand(cli))
    .addCommand(createPortCommand(cli))
    .addCommand(createTopCommand(cli));
}

/** The top-level aliases (`berth run`, `berth ps`, …). */
export function containerAliases(cli: Cli): Command[] {
  return [
    createPauseCommand(cli), createUnpauseCommand(cli), createRenameCommand(cli), createUpdateCommand(cli), createStatsCommand(cli),
    createRunCommand(cli), createCreateCommand(cli), createStartCommand(cli), createPsCommand(cli), createLogsCommand(cli),
    createStopCommand(cli), createKillCommand(cli), createRestartCommand(cli), createRmCommand(cli), createWaitCommand(cli),
    createAttachCommand(cli), createExecCommand(cli), createInspectCommand(cli), createPortCommand(cli),
    createTopCommand(cli),
  ];
}
