/**
 * Run a registry server: load htpasswd, certificates, listen on an address. This is what
 * `berth registry serve` and `main.ts` call; it parses no command line.
 */
import { readFile } from "node:fs/promises";
import type { AddressInfo } from "node:net";
import type { Server } from "node:http";
import { invalidArgument } from "../shared/errors.js";
import { nullLogger, type Logger } from "../shared/logger.js";
import type { RegistryAuthOptions } from "./auth/authorizer.js";
import { Htpasswd } from "./auth/htpasswd.js";
import { createRegistryServer } from "./server.js";

/** Options of `serveRegistry`. */
export interface ServeRegistryOptions {
  /** "host:port"; port 0 picks a free one. @default "127.0.0.1:5000" */
  addr?: string;
  /** Registry data directory. */
  root: string;
  /** htpasswd file (bcrypt) enabling auth: Basic, or bearer tokens with `tokenRealm`. */
  htpasswd?: string;
  /** The token endpoint's URL (e.g. "https://127.0.0.1:5000/token"); needs `htpasswd`. */
  tokenRealm?: string;
  /** @default "berth-registry" */
  tokenService?: string;
  /** Let anonymous clients pull when auth is on. @default false */
  anonymousPull?: boolean;
  /** PEM certificate and key files: serve HTTPS. */
  tlsCert?: string;
  tlsKey?: string;
  /** @default nullLogger */
  logger?: Logger;
}

/** A running registry. */
export interface RunningRegistry {
  server: Server;
  /** The bound address, e.g. "127.0.0.1:5000". */
  address: string;
  /** Stop accepting connections and close idle ones. */
  close(): Promise<void>;
}

/** Split "host:port" ("[::1]:5000" for IPv6). */
export function parseAddr(addr: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d+)$/.exec(addr);
  const port = Number(m?.[3]);
  if (!m || !Number.isInteger(port) || port > 65535) throw invalidArgument(`parse address "${addr}": want host:port`);
  return { host: m[1] ?? (m[2] || "0.0.0.0"), port };
}

/** Start a registry server and wait until it listens. */
export async function serveRegistry(opts: ServeRegistryOptions): Promise<RunningRegistry> {
  const { host, port } = parseAddr(opts.addr ?? "127.0.0.1:5000");
  if (opts.tokenRealm !== undefined && opts.htpasswd === undefined) {
    throw invalidArgument("serve registry: a token realm needs an htpasswd file");
  }
  if ((opts.tlsCert === undefined) !== (opts.tlsKey === undefined)) {
    throw invalidArgument("serve registry: give both a TLS certificate and a key");
  }
  let auth: RegistryAuthOptions | undefined;
  if (opts.htpasswd !== undefined) {
    auth = { htpasswd: await Htpasswd.load(opts.htpasswd) };
    if (opts.anonymousPull) auth.anonymousPull = true;
    if (opts.tokenRealm !== undefined) {
      auth.token = { realm: opts.tokenRealm, ...(opts.tokenService !== undefined ? { service: opts.tokenService } : {}) };
    }
  }
  const tls = opts.tlsCert !== undefined && opts.tlsKey !== undefined
    ? { cert: await readFile(opts.tlsCert), key: await readFile(opts.tlsKey) }
    : undefined;
  const logger = opts.logger ?? nullLogger;
  const server = createRegistryServer({
    root: opts.root, logger, ...(auth ? { auth } : {}), ...(tls ? { tls } : {}),
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const a = server.address() as AddressInfo;
  const address = a.family === "IPv6" ? `[${a.address}]:${a.port}` : `${a.address}:${a.port}`;
  logger.info({ address, root: opts.root, tls: tls !== undefined, auth: auth ? (auth.token ? "token" : "basic") : "none" }, "registry listening");
  return {
    server,
    address,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeIdleConnections();
      }),
  };
}
