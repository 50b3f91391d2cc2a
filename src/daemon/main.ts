#!/usr/bin/env node
/**
 * berthd: the daemon. Flags and daemon.json → config; lock the data root (one daemon per
 * root); wire stores, services and the API server; listen; stop cleanly on SIGTERM/SIGINT.
 */
import { Command } from "commander";
import { pino, destination } from "pino";
import { rm, writeFile, mkdir } from "node:fs/promises";
import { dirname } from "node:path";
import { BERTH_VERSION } from "../api/version.js";
import { loadConfig, DEFAULT_CONFIG_FILE, DEFAULT_DATA_ROOT, DEFAULT_EXEC_ROOT } from "./config.js";
import { lockDataRoot } from "./data-root-lock.js";
import { wireDaemon } from "./wire.js";

const collect = (v: string, prev: string[] | undefined) => [...(prev ?? []), v];

async function main(): Promise<void> {
  const program = new Command("berthd")
    .description("the berth container engine daemon (Docker Engine API)")
    .version(BERTH_VERSION, "-v, --version")
    .option("--data-root <dir>", `root of persistent state (default "${DEFAULT_DATA_ROOT}")`)
    .option("--exec-root <dir>", `root of runtime state (default "${DEFAULT_EXEC_ROOT}")`)
    .option("-H, --host <address>", "socket to listen on (repeatable; unix:///path or tcp://host:port)", collect)
    .option("-l, --log-level <level>", "log level: trace, debug, info, warn, error, fatal (default \"info\")")
    .option("-p, --pidfile <file>", "write the daemon's pid to this file")
    .option("--config-file <file>", `daemon configuration file (default "${DEFAULT_CONFIG_FILE}")`)
    .allowExcessArguments(false);
  program.parse(process.argv);
  const opts = program.opts<{ dataRoot?: string; execRoot?: string; host?: string[]; logLevel?: string; pidfile?: string; configFile?: string }>();
  const config = await loadConfig(opts);
  const log = pino({ level: config.logLevel, base: { pid: process.pid } }, destination(2));
  await mkdir(config.dataRoot, { recursive: true, mode: 0o711 });
  const lock = await lockDataRoot(config.dataRoot);
  let stopping = false;
  try {
    const daemon = await wireDaemon({ config, log });
    const addrs = await daemon.listen();
    if (config.pidfile !== undefined) {
      await mkdir(dirname(config.pidfile), { recursive: true });
      await writeFile(config.pidfile, `${process.pid}\n`);
    }
    log.info({ hosts: addrs, dataRoot: config.dataRoot, version: BERTH_VERSION }, "API listen");
    const stop = (signal: string) => {
      if (stopping) return;
      stopping = true;
      log.info({ signal }, "stopping");
      void (async () => {
        await daemon.close();
        if (config.pidfile !== undefined) await rm(config.pidfile, { force: true });
        await lock.release();
        log.flush();
        process.exit(0);
      })();
    };
    process.on("SIGTERM", () => stop("SIGTERM"));
    process.on("SIGINT", () => stop("SIGINT"));
  } catch (err) {
    await lock.release();
    throw err;
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`berthd: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
