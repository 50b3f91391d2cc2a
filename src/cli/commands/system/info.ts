/** `berth info`: the daemon's system-wide information, in docker's layout. */
import { Command } from "commander";
import type { InfoResponse } from "../../../api/system.js";
import { BERTH_VERSION } from "../../../api/version.js";
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

/** docker's `info` Server section (cli/command/system/info.go, prettyPrintServerInfo). */
export function formatServerInfo(i: InfoResponse): string {
  const lines: string[] = [];
  // Go's fmt.Fprintln separates operands with one space, so empty values leave a trailing one.
  const ln = (...parts: Array<string | number | boolean>) => lines.push(parts.map(String).join(" "));
  const nonEmpty = (label: string, v: string) => { if (v !== "") ln(label, v); };
  ln(" Containers:", i.Containers);
  ln("  Running:", i.ContainersRunning);
  ln("  Paused:", i.ContainersPaused);
  ln("  Stopped:", i.ContainersStopped);
  ln(" Images:", i.Images);
  nonEmpty(" Server Version:", i.ServerVersion);
  if (i.Driver !== "") {
    ln(" Storage Driver:", i.Driver);
    for (const [k, v] of i.DriverStatus) lines.push(`  ${k}: ${v}`);
  }
  if (i.LoggingDriver !== "") ln(" Logging Driver:", i.LoggingDriver);
  if (i.CgroupDriver !== "") ln(" Cgroup Driver:", i.CgroupDriver);
  if (i.CgroupVersion !== "") ln(" Cgroup Version:", i.CgroupVersion);
  ln(" Plugins:");
  ln("  Volume:", i.Plugins.Volume.join(" "));
  ln("  Network:", i.Plugins.Network.join(" "));
  if ((i.Plugins.Authorization ?? []).length > 0) ln("  Authorization:", (i.Plugins.Authorization ?? []).join(" "));
  ln("  Log:", i.Plugins.Log.join(" "));
  ln(" Swarm:", i.Swarm.LocalNodeState);
  const runtimes = Object.keys(i.Runtimes).sort();
  if (runtimes.length > 0) {
    ln(" Runtimes:", runtimes.join(" "));
    ln(" Default Runtime:", i.DefaultRuntime);
  }
  if (i.OSType === "linux") {
    ln(" Init Binary:", i.InitBinary);
    for (const [name, c] of [["containerd", i.ContainerdCommit], ["runc", i.RuncCommit], ["init", i.InitCommit]] as const) {
      lines.push(` ${name} version: ${c.ID}`);
    }
    if (i.SecurityOptions.length > 0) {
      ln(" Security Options:");
      for (const opt of i.SecurityOptions) {
        const kv = Object.fromEntries(opt.split(",").map((p) => p.split("=") as [string, string]));
        ln(`  ${kv.name ?? opt}`);
        if (kv.profile !== undefined) ln("   Profile:", kv.profile);
      }
    }
  }
  nonEmpty(" Kernel Version:", i.KernelVersion);
  nonEmpty(" Operating System:", i.OperatingSystem);
  nonEmpty(" OSType:", i.OSType);
  nonEmpty(" Architecture:", i.Architecture);
  ln(" CPUs:", i.NCPU);
  ln(" Total Memory:", bytesSize(i.MemTotal));
  nonEmpty(" Name:", i.Name);
  nonEmpty(" ID:", i.ID);
  ln(" Docker Root Dir:", i.DockerRootDir);
  ln(" Debug Mode:", i.Debug);
  if (i.Debug) {
    ln("  File Descriptors:", i.NFd);
    ln("  Goroutines:", i.NGoroutines);
    ln("  System Time:", i.SystemTime);
    ln("  EventsListeners:", i.NEventsListener);
  }
  nonEmpty(" HTTP Proxy:", i.HttpProxy);
  nonEmpty(" HTTPS Proxy:", i.HttpsProxy);
  nonEmpty(" No Proxy:", i.NoProxy);
  if (i.Labels.length > 0) {
    ln(" Labels:");
    for (const l of i.Labels) ln(`  ${l}`);
  }
  ln(" Experimental:", i.ExperimentalBuild);
  const insecure = Object.values(i.RegistryConfig.IndexConfigs).filter((r) => !r.Secure).map((r) => r.Name);
  if (i.RegistryConfig.InsecureRegistryCIDRs.length > 0 || Object.keys(i.RegistryConfig.IndexConfigs).length > 0) {
    ln(" Insecure Registries:");
    for (const r of [...insecure, ...i.RegistryConfig.InsecureRegistryCIDRs]) ln(`  ${r}`);
  }
  if ((i.RegistryConfig.Mirrors ?? []).length > 0) {
    ln(" Registry Mirrors:");
    for (const m of i.RegistryConfig.Mirrors ?? []) ln(`  ${m}`);
  }
  ln(" Live Restore Enabled:", i.LiveRestoreEnabled);
  return `${lines.join("\n")}\n\n`;
}

/** Run `info`: a Client section, then the Server section exactly as docker prints it. */
export async function runInfo(cli: Cli, debug = false): Promise<void> {
  cli.out.write(`Client:\n Version:    ${BERTH_VERSION}\n Debug Mode: ${debug ? "true" : "false"}\n\n`);
  const i = await cli.client().info();
  cli.out.write(`Server:\n${formatServerInfo(i)}`);
  for (const w of i.Warnings ?? []) cli.err.write(`${w}\n`);
}

/** The `info` command. */
export function createInfoCommand(cli: Cli): Command {
  return new Command("info").description("Display system-wide information").action(async () => runInfo(cli));
}
