/**
 * Credentials as the docker CLI keeps them: `$DOCKER_CONFIG/config.json` (default
 * `~/.docker/config.json`), `auths[<registry>].auth` = base64("user:pass"), with Docker
 * Hub under "https://index.docker.io/v1/".
 */
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { homedir } from "node:os";
import { dirname, join } from "node:path";
import type { RegistryAuth } from "../../../client/engine-api.js";

const HUB_KEY = "https://index.docker.io/v1/";

/** The config file path. */
export function dockerConfigPath(env: NodeJS.ProcessEnv = process.env): string {
  return join(env.DOCKER_CONFIG ?? join(homedir(), ".docker"), "config.json");
}

/** The registry host of an image name, as docker's reference rules split it. */
export function registryOf(image: string): string {
  const i = image.indexOf("/");
  if (i === -1) return "docker.io";
  const first = image.slice(0, i);
  return first.includes(".") || first.includes(":") || first === "localhost" ? first : "docker.io";
}

/** The config.json key of a registry. */
export function configKey(registry: string): string {
  const r = registry.replace(/^https?:\/\//, "").replace(/\/.*$/, "");
  return r === "" || r === "docker.io" || r === "index.docker.io" || r === "registry-1.docker.io" ? HUB_KEY : r;
}

type ConfigFile = { auths?: Record<string, { auth?: string; identitytoken?: string }>; [k: string]: unknown };

async function load(path: string): Promise<ConfigFile> {
  try {
    const j = JSON.parse(await readFile(path, "utf8")) as unknown;
    return j !== null && typeof j === "object" && !Array.isArray(j) ? (j as ConfigFile) : {};
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return {};
    throw err;
  }
}

async function save(path: string, cfg: ConfigFile): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const tmp = `${path}.tmp-${process.pid}`;
  await writeFile(tmp, `${JSON.stringify(cfg, null, "\t")}\n`, { mode: 0o600 });
  await rename(tmp, path);
}

/** Stored credentials of `registry`, or undefined. */
export async function readAuth(path: string, registry: string): Promise<RegistryAuth | undefined> {
  const key = configKey(registry);
  const entry = (await load(path)).auths?.[key];
  if (entry === undefined) return undefined;
  const out: RegistryAuth = { serveraddress: key };
  if (entry.auth !== undefined && entry.auth !== "") {
    const text = Buffer.from(entry.auth, "base64").toString("utf8");
    const i = text.indexOf(":");
    if (i !== -1) {
      out.username = text.slice(0, i);
      out.password = text.slice(i + 1);
    }
  }
  if (entry.identitytoken !== undefined && entry.identitytoken !== "") out.identitytoken = entry.identitytoken;
  return out;
}

/** Store credentials of `registry`. */
export async function writeAuth(path: string, registry: string, username: string, password: string): Promise<void> {
  const cfg = await load(path);
  cfg.auths = { ...(cfg.auths ?? {}), [configKey(registry)]: { auth: Buffer.from(`${username}:${password}`).toString("base64") } };
  await save(path, cfg);
}

/** Remove credentials of `registry`; true when there were some. */
export async function removeAuth(path: string, registry: string): Promise<boolean> {
  const cfg = await load(path);
  const key = configKey(registry);
  if (cfg.auths?.[key] === undefined) return false;
  const auths = { ...cfg.auths };
  delete auths[key];
  cfg.auths = auths;
  await save(path, cfg);
  return true;
}
