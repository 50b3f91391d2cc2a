/** `berth volume prune`. */
import { Command } from "commander";
import type { Cli } from "../../cli.js";
import { humanSize } from "../../format/human.js";
import { parseFilterFlags } from "../filters.js";
import { collect, volumes } from "./client.js";

const UNUSED_WARNING = "WARNING! This will remove anonymous local volumes not used by at least one container.\nAre you sure you want to continue?";
const ALL_WARNING = "WARNING! This will remove all local volumes not used by at least one container.\nAre you sure you want to continue?";

/** Read one answer line from the CLI's stdin ("" at end of input). */
async function readAnswer(cli: Cli): Promise<string> {
  return new Promise((resolve) => {
    let buf = "";
    const done = (s: string) => {
      cli.in.off("data", onData);
      cli.in.off("end", onEnd);
      cli.in.pause();
      resolve(s);
    };
    const onData = (c: Buffer | string) => {
      buf += c.toString();
      const i = buf.indexOf("\n");
      if (i !== -1) done(buf.slice(0, i));
    };
    const onEnd = () => done(buf);
    cli.in.on("data", onData);
    cli.in.on("end", onEnd);
    cli.in.resume();
  });
}

/** Options of `volume prune`. */
export interface VolumePruneFlags {
  all?: boolean;
  force?: boolean;
  filter?: string[];
}

/** Run `volume prune`: asks first unless `--force`, then prints docker's report. */
export async function runVolumePrune(cli: Cli, o: VolumePruneFlags): Promise<void> {
  const filters = parseFilterFlags(o.filter ?? []);
  if (o.all === true) filters.all = ["true"];
  if (o.force !== true) {
    cli.out.write(`${o.all === true ? ALL_WARNING : UNUSED_WARNING} [y/N] `);
    const answer = (await readAnswer(cli)).trim().toLowerCase();
    if (answer !== "y" && answer !== "yes") {
      cli.out.write("\n");
      return;
    }
  }
  const r = await volumes(cli).prune(filters);
  const deleted = r.VolumesDeleted ?? [];
  if (deleted.length > 0) cli.out.write(`Deleted Volumes:\n${deleted.map((d) => `${d}\n`).join("")}\n`);
  cli.out.write(`Total reclaimed space: ${humanSize(r.SpaceReclaimed)}\n`);
}

/** The `volume prune` command. */
export function createVolumePruneCommand(cli: Cli): Command {
  return new Command("prune")
    .description("Remove unused local volumes")
    .option("-a, --all", "remove all unused volumes, not just anonymous ones")
    .option("-f, --force", "do not prompt for confirmation")
    .option("--filter <filter>", "provide filter values (e.g. \"label=<label>\")", collect)
    .action(async (o: VolumePruneFlags) => runVolumePrune(cli, o));
}
