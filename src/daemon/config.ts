/**
 * berthd's configuration: command-line flags over `/etc/berth/daemon.json`, with dockerd's
 * key names ("data-root", "exec-root", "hosts", "log-level", "pidfile"). A directive given
 * both ways is an error, as with dockerd.
 */
import { readFile } from "node:fs/promises";
import { invalidArgument } from "../shared/errors.js";
import { loadNetworkConfig, type DaemonNetworkConfig, type DaemonNetworkFlags } from "./network-config.js";

/** The daemon's resolved configuration. */
export interface DaemonConfig {
  dataRoot: string;
  execRoot: string;
  hosts: string[];
  logLevel: "trace" | "debug" | "info" | "warn" | "error" | "fatal";
  pidfile: string | undefined;
  configFile: string;
  /** Registries reached over plain http ("host:port", "host" or a CIDR); loopback always is. */
  insecureRegistries: string[];
  /** Mirror URLs tried before Docker Hub. */
  registryMirrors: string[];
  /** Networking: default bridge, pools, forwarding, masquerade, nftables (network-config.ts). */
  network: DaemonNetworkConfig;
  /** daemon.json `init`: run containers with docker-init unless they say otherwise. @default false */
  init?: boolean;
  /** daemon.json `log-driver`/`log-opts`: the default log config of new containers. @default json-file */
  logDriver?: string;
  logOpts?: Record<string, string>;
  /** `live-restore`: on SIGTERM leave the containers running under their shims. @default false */
  liveRestore?: boolean;
}

/** Flags as parsed from the command line (undefined = not given). */
export interface DaemonFlags {
  dataRoot?: string | undefined;
  execRoot?: string | undefined;
  host?: string[] | undefined;
  logLevel?: string | undefined;
  pidfile?: string | undefined;
  configFile?: string | undefined;
  insecureRegistry?: string[] | undefined;
  registryMirror?: string[] | undefined;
  network?: DaemonNetworkFlags | undefined;
  /** `--live-restore` (only `true` can be given as a flag). */
  liveRestore?: boolean | undefined;
}

export const DEFAULT_CONFIG_FILE = "/etc/berth/daemon.json";
export const DEFAULT_DATA_ROOT = "/var/lib/berth";
export const DEFAULT_EXEC_ROOT = "/run/berth";
export const DEFAULT_HOST = "unix:///run/berth/berth.sock";
const LEVELS = ["trace", "debug", "info", "warn", "error", "fatal"] as const;
const FILE_KEYS: Record<string, keyof DaemonFlags> = {
  "data-root": "dataRoot",
  "exec-root": "execRoot",
  hosts: "host",
  "log-level": "logLevel",
  pidfile: "pidfile",
  "insecure-registries": "insecureRegistry",
  "registry-mirrors": "registryMirror",
};
/** Keys whose value is a list of strings. */
const LIST_FIELDS: ReadonlySet<keyof DaemonFlags> = new Set(["host", "insecureRegistry", "registryMirror"]);

/**
 * Merge flags and the config file. A missing file is fine only when it is the default one.
 * @param readText injectable for tests
 */
export async function loadConfig(flags: DaemonFlags, readText: (p: string) => Promise<string> = (p) => readFile(p, "utf8")): Promise<DaemonConfig> {
  const configFile = flags.configFile ?? DEFAULT_CONFIG_FILE;
  let file: Record<string, unknown> = {};
  try {
    const text = await readText(configFile);
    const parsed = (text.trim() === "" ? {} : JSON.parse(text)) as unknown;
    if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) throw invalidArgument(`read config file "${configFile}": not a JSON object`);
    file = parsed as Record<string, unknown>;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT" && flags.configFile === undefined) {
      file = {};
    } else if (err instanceof SyntaxError) {
      throw invalidArgument(`read config file "${configFile}": ${err.message}`);
    } else {
      throw err;
    }
  }
  const merged: DaemonFlags = { ...flags };
  const both: string[] = [];
  for (const [key, value] of Object.entries(file)) {
    const field = FILE_KEYS[key];
    if (field === undefined) continue; // dockerd keys berth does not implement yet
    if (flags[field] !== undefined) {
      both.push(key);
      continue;
    }
    if (LIST_FIELDS.has(field)) {
      if (!Array.isArray(value) || !value.every((v) => typeof v === "string")) throw invalidArgument(`config file "${configFile}": "${key}" must be a list of strings`);
      merged[field] = value as never;
    } else {
      if (typeof value !== "string") throw invalidArgument(`config file "${configFile}": "${key}" must be a string`);
      merged[field] = value as never;
    }
  }
  const dataRoot = merged.dataRoot ?? DEFAULT_DATA_ROOT;
  if (flags.liveRestore !== undefined && file["live-restore"] !== undefined) both.push("live-restore");
  const network = loadNetworkConfig(flags.network ?? {}, file, { configFile, dataRoot, defaultDataRoot: dataRoot === DEFAULT_DATA_ROOT, both });
  if (both.length > 0) {
    throw invalidArgument(`the following directives are specified both as a flag and in the configuration file: ${both.join(", ")}`);
  }
  const liveRestore = liveRestoreOf(flags, file, configFile);
  const run = runDefaultsOf(file, configFile);
  const level = (merged.logLevel ?? "info").toLowerCase();
  if (!(LEVELS as readonly string[]).includes(level)) throw invalidArgument(`invalid log level "${merged.logLevel ?? ""}": expected one of ${LEVELS.join(", ")}`);
  return {
    dataRoot,
    execRoot: merged.execRoot ?? DEFAULT_EXEC_ROOT,
    hosts: merged.host !== undefined && merged.host.length > 0 ? merged.host : [DEFAULT_HOST],
    logLevel: level as DaemonConfig["logLevel"],
    pidfile: merged.pidfile,
    configFile,
    insecureRegistries: merged.insecureRegistry ?? [],
    registryMirrors: (merged.registryMirror ?? []).map(validateMirror),
    network,
    ...run,
    ...(liveRestore ? { liveRestore } : {}),
  };
}

/** `--live-restore` or daemon.json `live-restore` (a boolean, as dockerd's). */
function liveRestoreOf(flags: DaemonFlags, file: Record<string, unknown>, configFile: string): boolean {
  const v = file["live-restore"];
  if (v !== undefined && typeof v !== "boolean") throw invalidArgument(`config file "${configFile}": "live-restore" must be a boolean`);
  return flags.liveRestore ?? v ?? false;
}

/** daemon.json's container defaults: `init` (boolean), `log-driver` (string), `log-opts` (strings). */
function runDefaultsOf(file: Record<string, unknown>, configFile: string): Pick<DaemonConfig, "init" | "logDriver" | "logOpts"> {
  const out: Pick<DaemonConfig, "init" | "logDriver" | "logOpts"> = {};
  if (file.init !== undefined) {
    if (typeof file.init !== "boolean") throw invalidArgument(`config file "${configFile}": "init" must be a boolean`);
    out.init = file.init;
  }
  if (file["log-driver"] !== undefined) {
    if (typeof file["log-driver"] !== "string") throw invalidArgument(`config file "${configFile}": "log-driver" must be a string`);
    out.logDriver = file["log-driver"];
  }
  const opts = file["log-opts"];
  if (opts !== undefined) {
    if (opts === null || typeof opts !== "object" || Array.isArray(opts) || Object.values(opts).some((v) => typeof v !== "string")) {
      throw invalidArgument(`config file "${configFile}": "log-opts" must map names to strings`);
    }
    out.logOpts = { ...(opts as Record<string, string>) };
  }
  return out;
}

/** A mirror must be an http(s) URL without a path, as dockerd requires; returned without a trailing slash. */
function validateMirror(mirror: string): string {
  let url: URL;
  try {
    url = new URL(mirror);
  } catch {
    throw invalidArgument(`invalid mirror: "${mirror}" is not a valid URI`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw invalidArgument(`invalid mirror: unsupported scheme "${url.protocol.replace(/:$/, "")}" in "${mirror}"`);
  }
  if (url.pathname !== "/" && url.pathname !== "") throw invalidArgument(`invalid mirror: path, query, or fragment at end of the URI "${mirror}"`);
  return `${url.protocol}//${url.host}`;
}
