#!/usr/bin/env node
/**
 * berthd: the daemon. Flags and daemon.json → config; lock the data root (one daemon per
 * root); wire stores, services and the API server; listen; stop cleanly on SIGTERM/SIGINT.
 */
import { parseArgs } from "node:util";
import { pino, destination } from "pino";
import { rm, writeFile, mkdir } from "node:fs/promises";
import { dirname } from "node:path";
import { BERTH_VERSION } from "../api/version.js";
import { loadConfig, DEFAULT_CONFIG_FILE, DEFAULT_DATA_ROOT, DEFAULT_EXEC_ROOT } from "./config.js";
import { lockDataRoot } from "./data-root-lock.js";
import { wireDaemon } from "./wire.js";

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
  const log = pino({ level: config.logLevel, base: { pid: process.pid } }, destination(2));
  await mkdir(config.dataRoot, { recursive: true, mode: 0o711 });
  const lock = await lockDataRoot(config.dataRoot);
  let stopping = false;
  let wrotePid = false;
  try {
    const daemon = await wireDaemon({ config, log });
    // Before listening, as dockerd: whoever sees the socket answer finds the pid file.
    if (config.pidfile !== undefined) {
      await mkdir(dirname(config.pidfile), { recursive: true });
      await writeFile(config.pidfile, `${process.pid}\n`);
      wrotePid = true;
    }
    const addrs = await daemon.listen();
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
    if (wrotePid && config.pidfile !== undefined) await rm(config.pidfile, { force: true });
    await lock.release();
    throw err;
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`berthd: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
