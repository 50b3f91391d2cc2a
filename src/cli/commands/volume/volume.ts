/** `berth volume create|ls|inspect|rm|prune` (docker's `volume` group). */
import { Command } from "commander";
import type { Cli } from "../../cli.js";
import { createVolumeCreateCommand } from "./create.js";
import { createVolumeInspectCommand } from "./inspect.js";
import { createVolumeLsCommand } from "./ls.js";
import { createVolumePruneCommand } from "./prune.js";
import { createVolumeRmCommand } from "./rm.js";

/** The `volume` command group. */
export function createVolumeCommand(cli: Cli): Command {
  return new Command("volume")
    .description("Manage volumes")
    .addCommand(createVolumeCreateCommand(cli))
    .addCommand(createVolumeInspectCommand(cli))
    .addCommand(createVolumeLsCommand(cli))
    .addCommand(createVolumePruneCommand(cli))
    .addCommand(createVolumeRmCommand(cli));
}
