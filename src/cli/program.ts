/** The `berth` command table (docker's top-level commands and the `image` group). */
import { Command } from "commander";
import { BERTH_VERSION } from "../api/version.js";
import type { Cli } from "./cli.js";
import { createImageCommand } from "./commands/image/image.js";
import { createImagesCommand } from "./commands/image/ls.js";
import { createHistoryCommand } from "./commands/image/history.js";
import { createTagCommand } from "./commands/image/tag.js";
import { createRmiCommand } from "./commands/image/rm.js";
import { createImportCommand } from "./commands/image/import.js";
import { createSaveCommand } from "./commands/image/save.js";
import { createLoadCommand } from "./commands/image/load.js";
import { createPullCommand } from "./commands/image/pull.js";
import { createPushCommand } from "./commands/image/push.js";
import { createLoginCommand, createLogoutCommand } from "./commands/image/login.js";
import { createVersionCommand } from "./commands/system/version.js";
import { createInfoCommand } from "./commands/system/info.js";
import { createEventsCommand } from "./commands/system/events.js";
import { containerAliases, createContainerCommand } from "./commands/container/container.js";
import { createRegistryCommand } from "./commands/registry/registry.js";
import { addFileCommands } from "./commands/container/files-commands.js";
import { createVolumeCommand } from "./commands/volume/volume.js";
import { createNetworkCommand } from "./commands/network/network.js";

/** Build the program; `-H`/`--host` is read by main before the client is created. */
export function buildProgram(cli: Cli): Command {
  const program = new Command("berth")
    .description("A self-sufficient runtime for containers (berth, Docker Engine API)")
    .version(BERTH_VERSION, "-v, --version")
    .option("-H, --host <address>", "daemon socket to connect to (env BERTH_HOST)")
    .option("-D, --debug", "print the error cause chain")
    .showSuggestionAfterError(true)
    .addCommand(createImageCommand(cli))
    .addCommand(createImagesCommand(cli))
    .addCommand(createHistoryCommand(cli))
    .addCommand(createTagCommand(cli))
    .addCommand(createRmiCommand(cli))
    .addCommand(createImportCommand(cli))
    .addCommand(createSaveCommand(cli))
    .addCommand(createLoadCommand(cli))
    .addCommand(createPullCommand(cli))
    .addCommand(createPushCommand(cli))
    .addCommand(createLoginCommand(cli))
    .addCommand(createLogoutCommand(cli))
    .addCommand(createEventsCommand(cli))
    .addCommand(createVersionCommand(cli))
    .addCommand(createInfoCommand(cli))
    .addCommand(createContainerCommand(cli))
    .addCommand(createRegistryCommand(cli))
    .addCommand(createNetworkCommand(cli));
  // `run`/`exec` pass everything after the image/container to the container (docker's
  // interspersed=false), which needs positional parsing from the program down.
  program.enablePositionalOptions();
  for (const c of containerAliases(cli)) program.addCommand(c);
  addFileCommands(program, cli);
  program.addCommand(createVolumeCommand(cli));
  program.exitOverride();
  return program;
}
