/** `berth image <verb>`: the image management group. */
import { Command } from "commander";
import type { Cli } from "../../cli.js";
import { createImagesCommand } from "./ls.js";
import { createImageInspectCommand } from "./inspect.js";
import { createHistoryCommand } from "./history.js";
import { createTagCommand } from "./tag.js";
import { createRmiCommand } from "./rm.js";
import { createImportCommand } from "./import.js";
import { createSaveCommand } from "./save.js";
import { createLoadCommand } from "./load.js";
import { createPullCommand } from "./pull.js";
import { createPushCommand } from "./push.js";

/** The `image` command group. */
export function createImageCommand(cli: Cli): Command {
  return new Command("image")
    .description("Manage images")
    .addCommand(createImagesCommand(cli, "ls").alias("list"))
    .addCommand(createImageInspectCommand(cli))
    .addCommand(createHistoryCommand(cli))
    .addCommand(createTagCommand(cli))
    .addCommand(createRmiCommand(cli, "rm").alias("remove"))
    .addCommand(createImportCommand(cli))
    .addCommand(createSaveCommand(cli))
    .addCommand(createLoadCommand(cli))
    .addCommand(createPullCommand(cli))
    .addCommand(createPushCommand(cli));
}
