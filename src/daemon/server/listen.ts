/**
 * Binding one `-H` address with node:http, apart from the route tables: the daemon binds
 * its sockets before it has loaded its services (see ready-gate.ts), so this module must
 * stay light (node built-ins and the error kinds only).
 */
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { Socket } from "node:net";
import { chmod, mkdir, rm } from "node:fs/promises";
import { dirname } from "node:path";
import { invalidArgument } from "../../shared/errors.js";

/** What a bound address hands its requests to. */
export interface HttpHandlers {
  request(req: IncomingMessage, res: ServerResponse): void;
  /** `Upgrade: tcp` requests (attach, exec start) with their raw socket. */
  upgrade(req: IncomingMessage, socket: Socket, head: Buffer): void;
}

/** One bound address. */
export interface BoundHost {
  server: Server;
  /** `unix:///path` or `tcp://host:port` (the port actually bound). */
  address: string;
  /** The unix socket file to remove on close. */
  socketPath?: string;
}

/** Parse a `-H` value into a unix path or a tcp host/port. */
export function parseHost(host: string): { kind: "unix"; path: string } | { kind: "tcp"; host: string; port: number } {
  if (host.startsWith("unix://")) {
    const path = host.slice("unix://".length);
    if (!path.startsWith("/")) throw invalidArgument(`invalid host "${host}": unix socket path must be absolute`);
    return { kind: "unix", path };
  }
  const m = /^tcp:\/\/([^:/]*|\[[^\]]+\]):(\d+)\/?$/.exec(host);
  if (m !== null) return { kind: "tcp", host: (m[1] ?? "").replace(/^\[|\]$/g, "") || "127.0.0.1", port: Number(m[2]) };
  throw invalidArgument(`invalid host "${host}": expected unix:///path or tcp://host:port`);
}

/** Bind `host` ("unix:///path" or "tcp://host:port") to `h`. */
export async function bindHost(host: string, h: HttpHandlers): Promise<BoundHost> {
  const p = parseHost(host);
  const server = createHttpServer({ keepAlive: true }, h.request);
  // Event streams and slow clients must not be cut by node's defaults.
  server.requestTimeout = 0;
  server.headersTimeout = 60_000;
  server.on("upgrade", h.upgrade);
  if (p.kind === "unix") {
    await mkdir(dirname(p.path), { recursive: true, mode: 0o755 });
    await rm(p.path, { force: true });
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(p.path, () => resolve());
    });
    await chmod(p.path, 0o660);
    return { server, address: `unix://${p.path}`, socketPath: p.path };
  }
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(p.port, p.host, () => resolve());
  });
  const addr = server.address();
  return { server, address: typeof addr === "object" && addr !== null ? `tcp://${p.host}:${addr.port}` : host };
}

/** Stop listening on `bound`, end its connections and remove its socket files. */
export async function closeBound(bound: readonly BoundHost[]): Promise<void> {
  await Promise.all(bound.map((b) => new Promise<void>((resolve) => {
    b.server.close(() => resolve());
    b.server.closeAllConnections();
  })));
  for (const b of bound) if (b.socketPath !== undefined) await rm(b.socketPath, { force: true });
}
