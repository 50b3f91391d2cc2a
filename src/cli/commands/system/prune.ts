/**
 * `berth system prune` and `berth image prune` (and the confirmation prompt they share
 * with `container prune`): the prune endpoints called in docker's order, docker's output.
 */
import { Command } from "commander";
import type { ImageDeleteItem } from "../../../api/images.js";
import { FilesClient } from "../../../client/files-client.js";
import type { Cli } from "../../cli.js";
import { humanSize } from "../../format/human.js";
import { parseFilterFlags } from "../filters.js";

/** Ask `[y/N]` on the CLI's streams; true only for y/yes. */
export async function confirm(cli: Cli, warning: string): Promise<boolean> {
  cli.out.write(`${warning}\nAre you sure you want to continue? [y/N] `);
  const answer = await new Promise<string>((resolve) => {
    let buf = "";
    const onData = (c: Buffer) => {
      buf += c.toString();
      if (buf.includes("\n")) done();
    };
    const done = () => {
      cli.in.off("data", onData);
      cli.in.off("end", done);
      cli.in.pause();
      resolve(buf.split("\n")[0] ?? "");
    };
    cli.in.on("data", onData);
    cli.in.on("end", done);
    cli.in.resume();
  });
  return /^y(es)?$/i.test(answer.trim());
}

function collect(v: string, prev: string[] = []): string[] {
  return [...prev, v];
}

/** docker's image delete lines: "untagged: x" / "deleted: sha256:…". */
export function imageDeleteLines(items: readonly ImageDeleteItem[]): string {
  return items.map((i) => ("Untagged" in i ? `untagged: ${i.Untagged}\n` : `deleted: ${i.Deleted}\n`)).join("");
}

/** Run `image prune`; returns the bytes reclaimed. */
export async function pruneImagesOutput(cli: Cli, all: boolean, filters: Record<string, string[]>): Promise<number> {
  const r = await new FilesClient(cli.client().host).pruneImages({ ...filters, ...(all ? { dangling: ["false"] } : {}) });
  if (r.ImagesDeleted !== null && r.ImagesDeleted.length > 0) cli.out.write(`Deleted Images:\n${imageDeleteLines(r.ImagesDeleted)}\n`);
  return r.SpaceReclaimed;
}

/** The `image prune` command. */
export function createImagePruneCommand(cli: Cli): Command {
  return new Command("prune")
    .description("Remove unused images")
    .option("-a, --all", "remove all unused images, not just dangling ones")
    .option("-f, --force", "do not prompt for confirmation")
    .option("--filter <filter>", 'provide filter values (e.g. "until=<timestamp>")', collect)
    .action(async (o: { all?: boolean; force?: boolean; filter?: string[] }) => {
      const filters = parseFilterFlags(o.filter ?? []);
      const warning = o.all === true
        ? "WARNING! This will remove all images without at least one container associated to them."
        : "WARNING! This will remove all dangling images.";
      if (o.force !== true && !(await confirm(cli, warning))) return;
      const space = await pruneImagesOutput(cli, o.all === true, filters);
      cli.out.write(`Total reclaimed space: ${humanSize(space, 4)}\n`);
    });
}

/** Options of `system prune`. */
export interface SystemPruneOptions {
  all?: boolean;
  force?: boolean;
  volumes?: boolean;
  filter?: string[];
}

/** Run `system prune`. */
export async function runSystemPrune(cli: Cli, o: SystemPruneOptions): Promise<void> {
  const filters = parseFilterFlags(o.filter ?? []);
  if (o.force !== true) {
    const lines = [
      "WARNING! This will remove:",
      "  - all stopped containers",
      "  - all networks not used by at least one container",
      ...(o.volumes === true ? ["  - all anonymous volumes not used by at least one container"] : []),
      o.all === true ? "  - all images without at least one container associated to them" : "  - all dangling images",
      "  - unused build cache",
      "",
    ];
    if (!(await confirm(cli, lines.join("\n")))) return;
  }
  const fc = new FilesClient(cli.client().host);
  let space = 0;
  const c = await fc.pruneContainers(filters);
  if (c.ContainersDeleted !== null && c.ContainersDeleted.length > 0) cli.out.write(`Deleted Containers:\n${c.ContainersDeleted.join("\n")}\n\n`);
  space += c.SpaceReclaimed;
  const n = await fc.pruneOther("networks", filters);
  const nets = (n?.NetworksDeleted ?? null) as string[] | null;
  if (nets !== null && nets.length > 0) cli.out.write(`Deleted Networks:\n${nets.join("\n")}\n\n`);
  if (o.volumes === true) {
    const v = await fc.pruneOther("volumes", filters);
    const vols = (v?.VolumesDeleted ?? null) as string[] | null;
    if (vols !== null && vols.length > 0) cli.out.write(`Deleted Volumes:\n${vols.join("\n")}\n\n`);
    space += typeof v?.SpaceReclaimed === "number" ? v.SpaceReclaimed : 0;
  }
  space += await pruneImagesOutput(cli, o.all === true, filters);
  cli.out.write(`Total reclaimed space: ${humanSize(space, 4)}\n`);
}

/** The `system prune` command. */
export function createSystemPruneCommand(cli: Cli): Command {
  return new Command("prune")
    .description("Remove unused data")
    .option("-a, --all", "remove all unused images not just dangling ones")
    .option("-f, --force", "do not prompt for confirmation")
    .option("--volumes", "prune anonymous volumes")
    .option("--filter <filter>", 'provide filter values (e.g. "label=<key>=<value>")', collect)
    .action(async (o: SystemPruneOptions) => runSystemPrune(cli, o));
}
