/**
 * Registry credentials as Docker carries them: the `X-Registry-Auth` header (base64url
 * JSON AuthConfig) on the Engine API, and `~/.docker/config.json` `auths` entries
 * (base64 "user:pass") written by `docker login` and read by the CLI.
 */
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { invalidArgument } from "../shared/errors.js";

/** Docker's AuthConfig (api/types/registry). */
export interface AuthConfig {
  username?: string;
  password?: string;
  serveraddress?: string;
  /** An OAuth2 refresh token returned by a previous login. */
  identitytoken?: string;
  /** A bearer token sent to the registry as is. */
  registrytoken?: string;
}

/** The key Docker uses for Docker Hub in config.json. */
export const DOCKER_HUB_AUTH_KEY = "https://index.docker.io/v1/";

const FIELDS = ["username", "password", "serveraddress", "identitytoken", "registrytoken"] as const;

/**
 * Decode an `X-Registry-Auth` header. Empty means anonymous. Docker accepts base64url
 * with or without padding, and standard base64 too; anything else is invalid.
 */
export function decodeRegistryAuth(header: string | undefined): AuthConfig {
  if (header === undefined || header.trim() === "") return {};
  const text = Buffer.from(header.trim().replace(/-/g, "+").replace(/_/g, "/"), "base64").toString("utf8");
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw invalidArgument("decode registry auth: invalid X-Registry-Auth header");
  }
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) {
    throw invalidArgument("decode registry auth: invalid X-Registry-Auth header");
  }
  const out: AuthConfig = {};
  for (const k of FIELDS) {
    const v = (raw as Record<string, unknown>)[k];
    if (typeof v === "string" && v !== "") out[k] = v;
  }
  return out;
}

/** Encode an AuthConfig as an `X-Registry-Auth` header value (base64url JSON). */
export function encodeRegistryAuth(auth: AuthConfig): string {
  return Buffer.from(JSON.stringify(auth)).toString("base64url");
}

/** The config.json key of a registry domain ("docker.io" is Docker Hub's legacy URL). */
export function configKeyOf(domain: string): string {
  return domain === "docker.io" || domain === "index.docker.io" || domain === "registry-1.docker.io" ? DOCKER_HUB_AUTH_KEY : domain;
}

interface DockerConfigFile {
  auths?: Record<string, { auth?: string; identitytoken?: string }>;
  [k: string]: unknown;
}

async function readConfig(path: string): Promise<DockerConfigFile> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return {};
    throw err;
  }
  try {
    const c = JSON.parse(text) as unknown;
    return c !== null && typeof c === "object" && !Array.isArray(c) ? (c as DockerConfigFile) : {};
  } catch (err) {
    throw invalidArgument(`read docker config "${path}": ${(err as Error).message}`);
  }
}

function stripScheme(key: string): string {
  return key.replace(/^https?:\/\//, "").replace(/\/.*$/, "");
}

/** The stored credentials for `domain` in a docker config file, or undefined. */
export async function readDockerConfigAuth(path: string, domain: string): Promise<AuthConfig | undefined> {
  const auths = (await readConfig(path)).auths ?? {};
  const want = configKeyOf(domain);
  const key = Object.keys(auths).find((k) => k === want || stripScheme(k) === stripScheme(want));
  if (key === undefined) return undefined;
  const entry = auths[key] ?? {};
  const out: AuthConfig = { serveraddress: key };
  if (typeof entry.auth === "string" && entry.auth !== "") {
    const decoded = Buffer.from(entry.auth, "base64").toString("utf8");
    const i = decoded.indexOf(":");
    if (i === -1) throw invalidArgument(`read docker config "${path}": invalid auth for "${key}"`);
    out.username = decoded.slice(0, i);
    out.password = decoded.slice(i + 1);
  }
  if (typeof entry.identitytoken === "string" && entry.identitytoken !== "") out.identitytoken = entry.identitytoken;
  return out;
}

/** Store credentials for `domain` as `docker login` does (other keys kept, mode 0600). */
export async function writeDockerConfigAuth(path: string, domain: string, auth: AuthConfig): Promise<void> {
  const cfg = await readConfig(path);
  const auths = { ...(cfg.auths ?? {}) };
  const entry: { auth?: string; identitytoken?: string } = {};
  if (auth.username !== undefined) entry.auth = Buffer.from(`${auth.username}:${auth.password ?? ""}`).toString("base64");
  if (auth.identitytoken !== undefined) entry.identitytoken = auth.identitytoken;
  auths[configKeyOf(domain)] = entry;
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const tmp = `${path}.tmp-${process.pid}`;
  await writeFile(tmp, `${JSON.stringify({ ...cfg, auths }, null, "\t")}\n`, { mode: 0o600 });
  await rename(tmp, path);
}

/** Remove the credentials of `domain`; true when there were some. */
export async function removeDockerConfigAuth(path: string, domain: string): Promise<boolean> {
  const cfg = await readConfig(path);
  const auths = { ...(cfg.auths ?? {}) };
  const key = configKeyOf(domain);
  if (!(key in auths)) return false;
  delete auths[key];
  const tmp = `${path}.tmp-${process.pid}`;
  await writeFile(tmp, `${JSON.stringify({ ...cfg, auths }, null, "\t")}\n`, { mode: 0o600 });
  await rename(tmp, path);
  return true;
}
