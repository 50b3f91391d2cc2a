/** `berth volume create`. */
import { Command } from "commander";
import type { Cli } from "../../cli.js";
import { BerthError } from "../../../shared/errors.js";
import { collect, keyValues, volumes } from "./client.js";

/** Options of `volume create`. */
export interface VolumeCreateFlags {
  driver?: string;
  label?: string[];
  opt?: string[];
  name?: string;
}

/** Run `volume create`: prints the volume's name. */
export async function runVolumeCreate(cli: Cli, name: string | undefined, o: VolumeCreateFlags): Promise<void> {
  if (name !== undefined && o.name !== undefined && name !== o.name) {
    throw new BerthError("invalid-argument", `conflicting options: either specify --name or provide positional arg, not both`);
  }
  const v = await volumes(cli).create({
    Name: name ?? o.name ?? "",
    Driver: o.driver ?? "local",
    DriverOpts: keyValues(o.opt ?? []),
    Labels: keyValues(o.label ?? []),
  });
  cli.out.write(`${v.Name}\n`);
}

/** The `volume create` command. */
export function createVolumeCreateCommand(cli: Cli): Command {
  return new Command("create")
    .description("Create a volume")
    .argument("[volume]")
    .option("-d, --driver <driver>", "specify volume driver name", "local")
    .option("--label <label>", "set metadata for a volume", collect)
    .option("-o, --opt <opt>", "set driver specific options", collect)
    .option("--name <name>", "specify volume name")
    .action(async (name: string | undefined, o: VolumeCreateFlags) => runVolumeCreate(cli, name, o));
}
