#!/usr/bin/env -S node --max-semi-space-size=4
/**
 * berthd: the daemon. Flags and daemon.json → config; lock the data root (one daemon per
 * root); listen at once, holding every request but `/_ping` (server/ready-gate.ts); load
 * and wire stores, services and the API server, then hand the held requests to it; stop
 * cleanly on SIGTERM/SIGINT. Only light modules are imported statically: the rest of the
 * daemon is loaded while the sockets already accept.
 */
import { parseArgs } from "node:util";
import { rm, writeFile, mkdir } from "node:fs/promises";
import { dirname } from "node:path";
import { BERTH_VERSION } from "../api/version.js";
import { loadConfig, DEFAULT_CONFIG_FILE, DEFAULT_DATA_ROOT, DEFAULT_EXEC_ROOT } from "./config.js";
import { lockDataRoot } from "./data-root-lock.js";
import { jsonLogger } from "./json-logger.js";
import { listenGated, type ReadyGate } from "./server/ready-gate.js";
import type { Daemon } from "./wire.js";

const USAGE = `Usage: berthd [OPTIONS]

The berth container engine daemon (Docker Engine API)

Options:
      --data-root string     root of persistent state (default "${DEFAULT_DATA_ROOT}")
      --exec-root string     root of runtime state (default "${DEFAULT_EXEC_ROOT}")
  -H, --host list            socket(s) to listen on: unix:///path or tcp://host:port (repeatable)
  -l, --log-level string     trace, debug, info, warn, error, fatal (default "info")
  -p, --pidfile string       write the daemon's pid to this file
      --config-file string   daemon configuration file (default "${DEFAULT_CONFIG_FILE}")
      --insecure-registry list  registry reached over plain http (host[:port] or CIDR; repeatable)
      --registry-mirror list    preferred Docker Hub mirror URL (repeatable)
  -b, --bridge string        the default bridge's interface name ("none": no default bridge; default "berth0")
      --bip string           the default bridge's gateway address and prefix (172.30.0.1/16)
      --ip-forward=bool      turn on net.ipv4.ip_forward for bridges (default true)
      --ip-masq=bool         masquerade outbound traffic of the default bridge (default true)
      --iptables=bool        write berth's nftables rules (false: no rules, no published ports; default true)
      --live-restore         leave containers running when the daemon stops
  -h, --help                 print usage
  -v, --version              print version information and quit
`;

async function main(): Promise<void> {
  // node:util parseArgs rather than commander: nothing to load at start-up.
  const { values } = parseArgs({
    options: {
      "data-root": { type: "string" },
      "exec-root": { type: "string" },
      host: { type: "string", short: "H", multiple: true },
      "log-level": { type: "string", short: "l" },
      pidfile: { type: "string", short: "p" },
      "config-file": { type: "string" },
      "insecure-registry": { type: "string", multiple: true },
      "registry-mirror": { type: "string", multiple: true },
      bridge: { type: "string", short: "b" },
      bip: { type: "string" },
      "ip-forward": { type: "string" },
      "ip-masq": { type: "string" },
      iptables: { type: "string" },
      "live-restore": { type: "boolean" },
      help: { type: "boolean", short: "h" },
      version: { type: "boolean", short: "v" },
    },
    strict: true,
    allowPositionals: false,
  });
  if (values.help === true) {
    process.stdout.write(USAGE);
    return;
  }
  if (values.version === true) {
    process.stdout.write(`berthd version ${BERTH_VERSION}\n`);
    return;
  }
  const opts = {
    dataRoot: values["data-root"],
    execRoot: values["exec-root"],
    host: values.host,
    logLevel: values["log-level"],
    pidfile: values.pidfile,
    configFile: values["config-file"],
    insecureRegistry: values["insecure-registry"],
    registryMirror: values["registry-mirror"],
    liveRestore: values["live-restore"],
    network: { bridge: values.bridge, bip: values.bip, ipForward: values["ip-forward"], ipMasq: values["ip-masq"], iptables: values.iptables },
  };
  const config = await loadConfig(opts);
  const log = jsonLogger({ level: config.logLevel, base: { pid: process.pid } });
  await mkdir(config.dataRoot, { recursive: true, mode: 0o711 });
  const lock = await lockDataRoot(config.dataRoot);
  let wrotePid = false;
  let gate: ReadyGate;
  try {
    // Before listening, as dockerd: whoever sees the socket answer finds the pid file.
    if (config.pidfile !== undefined) {
      await mkdir(dirname(config.pidfile), { recursive: true });
      await writeFile(config.pidfile, `${process.pid}\n`);
      wrotePid = true;
    }
    gate = await listenGated(config.hosts);
  } catch (err) {
    if (wrotePid && config.pidfile !== undefined) await rm(config.pidfile, { force: true });
    await lock.release();
    throw err;
  }
  log.info({ hosts: gate.addresses, dataRoot: config.dataRoot, version: BERTH_VERSION, ms: Math.round(performance.now()) }, "API listen");
  const ready: Promise<Daemon> = import("./wire.js").then(({ wireDaemon }) => wireDaemon({ config, log }));
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, "stopping");
    void (async () => {
      // A stop during the start waits for it: the services close what they opened.
      const daemon = await ready.catch(() => undefined);
      await daemon?.close();
      await gate.close();
      if (config.pidfile !== undefined) await rm(config.pidfile, { force: true });
      await lock.release();
      process.exit(0);
    })();
  };
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGINT"));
  let daemon: Daemon;
  try {
    daemon = await ready;
  } catch (err) {
    // Held requests learn why before the sockets close.
    await gate.fail(err);
    if (stopping) return;
    stopping = true;
    await gate.close();
    if (config.pidfile !== undefined) await rm(config.pidfile, { force: true });
    await lock.release();
    throw err;
  }
  gate.open({ request: daemon.server.handle, upgrade: daemon.server.upgrade });
  log.info({ ms: Math.round(performance.now()), phases: daemon.startPhases }, "daemon ready");
}

main().catch((err: unknown) => {
  process.stderr.write(`berthd: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
