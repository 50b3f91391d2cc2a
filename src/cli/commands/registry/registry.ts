/**
 * `berth registry serve|gc ...`: the OCI distribution server that ships with berth. It is a
 * server of its own, not an Engine API client, so the CLI runs its entry point
 * (src/registry/main.ts) as a child process instead of importing it: the CLI stays a pure
 * API client (docs/ARCHITECTURE.md, layering rules) and the registry keeps its own process.
 */
import { Command } from "commander";
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { Cli } from "../../cli.js";
import { StatusError } from "../container/exit-status.js";

/** The compiled registry entry point, next to this file in dist/. */
export const REGISTRY_MAIN = fileURLToPath(new URL("../../../registry/main.js", import.meta.url));

/** Run the registry entry point with `args`; resolves to its exit code. */
export function runRegistry(args: readonly string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [REGISTRY_MAIN, ...args], { stdio: "inherit" });
    const forward = (sig: NodeJS.Signals): void => { child.kill(sig); };
    process.on("SIGINT", forward);
    process.on("SIGTERM", forward);
    child.once("error", reject);
    child.once("exit", (code, signal) => {
      process.off("SIGINT", forward);
      process.off("SIGTERM", forward);
      resolve(code ?? (signal !== null ? 128 + 15 : 1));
    });
  });
}

/** Build `berth registry`. */
export function createRegistryCommand(cli: Cli): Command {
  void cli;
  return new Command("registry")
    .description("Run berth's OCI registry server (serve --root DIR [--addr HOST:PORT] ...; gc --root DIR)")
    .helpOption(false)
    .allowUnknownOption(true)
    .argument("[args...]", "serve or gc, with their flags")
    .action(async (args: string[]) => {
      const code = await runRegistry(args);
      // The registry printed its own diagnostics; only its status is left to report.
      if (code !== 0) throw new StatusError(code, "");
    });
}
