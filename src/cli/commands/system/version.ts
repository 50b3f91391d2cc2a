/** `berth version`: client and server versions in docker's layout. */
import { Command } from "commander";
import os from "node:os";
import { API_VERSION, BERTH_VERSION } from "../../../api/version.js";
import type { Cli } from "../../cli.js";

function arch(): string {
  return process.arch === "x64" ? "amd64" : process.arch;
}

function builtTime(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  // Go's time.ANSIC ("Mon Jan _2 15:04:05 2006"), as docker prints "Built".
  const s = d.toUTCString(); // "Wed, 25 Nov 2026 12:02:02 GMT"
  const [wd, day, mon, year, time] = s.replace(",", "").split(" ");
  return `${wd} ${mon} ${(day ?? "").replace(/^0/, " ")} ${time} ${year}`;
}

/** Run `version`. */
export async function runVersion(cli: Cli): Promise<void> {
  const lines = [
    "Client:",
    ` Version:           ${BERTH_VERSION}`,
    ` API version:       ${API_VERSION}`,
    ` Node version:      ${process.version}`,
    ` OS/Arch:           ${os.platform()}/${arch()}`,
    "",
  ];
  cli.out.write(`${lines.join("\n")}`);
  const v = await cli.client().version();
  const server = [
    `Server: ${v.Platform?.Name ?? ""}`.trimEnd(),
    " Engine:",
    `  Version:          ${v.Version}`,
    `  API version:      ${v.ApiVersion} (minimum version ${v.MinAPIVersion})`,
    `  Go version:       ${v.GoVersion}`,
    `  Git commit:       ${v.GitCommit}`,
    `  Built:            ${builtTime(v.BuildTime)}`,
    `  OS/Arch:          ${v.Os}/${v.Arch}`,
    `  Experimental:     ${v.Experimental === true ? "true" : "false"}`,
  ];
  cli.out.write(`\n${server.join("\n")}\n`);
}

/** The `version` command. */
export function createVersionCommand(cli: Cli): Command {
  return new Command("version").description("Show the berth version information").action(async () => runVersion(cli));
}
