/** `berth info`: the daemon's system-wide information, in docker's layout. */
import { Command } from "commander";
import type { Cli } from "../../cli.js";

/** go-units BytesSize: binary units, "%.4g". */
export function bytesSize(n: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
  let i = 0;
  let x = n;
  while (x >= 1024 && i < units.length - 1) {
    x /= 1024;
    i++;
  }
  const s = x.toPrecision(4);
  return `${s.includes(".") ? s.replace(/\.?0+$/, "") : s}${units[i]}`;
}

/** Run `info`. */
export async function runInfo(cli: Cli): Promise<void> {
  const i = await cli.client().info();
  const lines = [
    "Server:",
    ` Containers: ${i.Containers}`,
    `  Running: ${i.ContainersRunning}`,
    `  Paused: ${i.ContainersPaused}`,
    `  Stopped: ${i.ContainersStopped}`,
    ` Images: ${i.Images}`,
    ` Server Version: ${i.ServerVersion}`,
    ` Storage Driver: ${i.Driver}`,
    ...i.DriverStatus.map(([k, v]) => `  ${k}: ${v}`),
    ` Logging Driver: ${i.LoggingDriver}`,
    ` Cgroup Driver: ${i.CgroupDriver}`,
    ` Cgroup Version: ${i.CgroupVersion}`,
    ` Default Runtime: ${i.DefaultRuntime}`,
    ` Security Options:`,
    ...i.SecurityOptions.map((s) => `  ${s.replace(/^name=/, "").split(",")[0] ?? s}`),
    ` Kernel Version: ${i.KernelVersion}`,
    ` Operating System: ${i.OperatingSystem}`,
    ` OSType: ${i.OSType}`,
    ` Architecture: ${i.Architecture}`,
    ` CPUs: ${i.NCPU}`,
    ` Total Memory: ${bytesSize(i.MemTotal)}`,
    ` Name: ${i.Name}`,
    ` ID: ${i.ID}`,
    ` Docker Root Dir: ${i.DockerRootDir}`,
    ` Debug Mode: ${i.Debug ? "true" : "false"}`,
    ` Live Restore Enabled: ${i.LiveRestoreEnabled ? "true" : "false"}`,
  ];
  cli.out.write(`${lines.join("\n")}\n`);
  for (const w of i.Warnings ?? []) cli.err.write(`${w}\n`);
}

/** The `info` command. */
export function createInfoCommand(cli: Cli): Command {
  return new Command("info").description("Display system-wide information").action(async () => runInfo(cli));
}
