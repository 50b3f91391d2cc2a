/**
 * The Engine API server on node:http: version negotiation, the route tables, Docker's
 * error bodies. `createServer` builds the request handler without listening (fastify's
 * build/listen split); `listen` binds unix sockets or tcp. The raw `http.Server` objects
 * stay reachable for hijacked streams (attach/exec) later.
 */
import { createServer as createHttpServer, ServerResponse, type IncomingMessage, type Server } from "node:http";
import type { Socket } from "node:net";
import { chmod, mkdir, rm } from "node:fs/promises";
import { dirname } from "node:path";
import { randomBytes } from "node:crypto";
import { invalidArgument } from "../../shared/errors.js";
import { nullLogger, type Logger } from "../../shared/logger.js";
import { writeError } from "./errors.js";
import { Router } from "./router.js";
import { commonHeaders, splitVersion } from "./version.js";
import { systemRoutes } from "./routes/system/routes.js";
import type { SystemBackend } from "./routes/system/backend.js";
import { imageRoutes } from "./routes/images/routes.js";
import type { ImagesBackend } from "./routes/images/backend.js";
import { eventRoutes } from "./routes/events/routes.js";
import type { EventsBackend } from "./routes/events/backend.js";
import { containerRoutes } from "./routes/containers/routes.js";
import { execRoutes } from "./routes/exec/routes.js";
import type { ContainersBackend } from "./routes/containers/backend.js";
import { registerUpgrade } from "./streams/hijack.js";
import { containerFilesRoutes, diskRoutes, type ContainerFilesBackend, type DiskBackend } from "./routes/containers/files-routes.js";
import { networkRoutes } from "./routes/networks/routes.js";
import type { NetworksBackend } from "./routes/networks/backend.js";
import { volumeRoutes } from "./routes/volumes/routes.js";
import type { VolumesBackend } from "./routes/volumes/backend.js";

/** Every backend the server routes to. */
export interface Backends {
  system: SystemBackend;
  images: ImagesBackend;
  events: EventsBackend;
  /** Containers and exec (absent in tests that do not need them). */
  containers?: ContainersBackend;
  /** cp, diff, export, commit (absent in tests that do not need them). */
  containerFiles?: ContainerFilesBackend;
  /** Prune and disk use (absent in tests that do not need them). */
  disk?: DiskBackend;
  /** Networks (absent in tests that do not need them). */
  networks?: NetworksBackend;
  /** Volumes (absent in tests that do not need them). */
  volumes?: VolumesBackend;
}

/** A built (not yet listening) API server. */
export interface ApiServer {
  /** The node:http request handler. */
  handle(req: IncomingMessage, res: ServerResponse): void;
  /** Listen on "unix:///path" or "tcp://host:port"; resolves to the bound address. */
  listen(host: string): Promise<string>;
  /** The listening servers. */
  readonly servers: readonly Server[];
  /** Stop listening and end open connections. */
  close(): Promise<void>;
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

/** Build the API server over `backends`. */
export function createServer(backends: Backends, log: Logger = nullLogger): ApiServer {
  const router = new Router();
  router.add(systemRoutes(backends.system));
  if (backends.disk !== undefined) router.add(diskRoutes(backends.disk));
  if (backends.containerFiles !== undefined) router.add(containerFilesRoutes(backends.containerFiles));
  router.add(imageRoutes(backends.images));
  router.add(eventRoutes(backends.events));
  if (backends.containers !== undefined) {
    router.add(containerRoutes(backends.containers));
    router.add(execRoutes(backends.containers));
  }
  if (backends.networks !== undefined) router.add(networkRoutes(backends.networks));
  if (backends.volumes !== undefined) router.add(volumeRoutes(backends.volumes));
  const servers: Server[] = [];
  const sockets: string[] = [];

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const reqLog = log.child({ reqId: randomBytes(4).toString("hex") });
    for (const [k, v] of Object.entries(commonHeaders())) res.setHeader(k, v);
    const url = new URL(req.url ?? "/", "http://berth");
    const method = req.method ?? "GET";
    reqLog.debug({ method, url: req.url }, "request");
    void (async () => {
      const { version, path } = splitVersion(url.pathname);
      const route = router.match(method, path);
      if (route === undefined) {
        const body = `${JSON.stringify({ message: "page not found" })}\n`;
        res.writeHead(404, { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(body) });
        res.end(body);
        req.resume();
        return;
      }
      await route.handler({ req, res, params: route.params, query: url.searchParams, version, log: reqLog });
    })().catch((err: unknown) => {
      req.resume();
      writeError(res, err, reqLog);
    });
  };

  return {
    handle,
    servers,
    async listen(host: string): Promise<string> {
      const h = parseHost(host);
      const server = createHttpServer({ keepAlive: true }, handle);
      // Event streams and slow clients must not be cut by node's defaults.
      server.requestTimeout = 0;
      server.headersTimeout = 60_000;
      // attach and exec start arrive with `Upgrade: tcp`: route them with their raw socket.
      server.on("upgrade", (req: IncomingMessage, socket: Socket, head: Buffer) => {
        registerUpgrade(req, socket, head);
        const res = new ServerResponse(req);
        res.assignSocket(socket);
        res.on("finish", () => socket.end());
        handle(req, res);
      });
      if (h.kind === "unix") {
        await mkdir(dirname(h.path), { recursive: true, mode: 0o755 });
        await rm(h.path, { force: true });
        await new Promise<void>((resolve, reject) => {
          server.once("error", reject);
          server.listen(h.path, () => resolve());
        });
        await chmod(h.path, 0o660);
        sockets.push(h.path);
        servers.push(server);
        return `unix://${h.path}`;
      }
      await new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        server.listen(h.port, h.host, () => resolve());
      });
      servers.push(server);
      const addr = server.address();
      return typeof addr === "object" && addr !== null ? `tcp://${h.host}:${addr.port}` : host;
    },
    async close(): Promise<void> {
      await Promise.all(servers.map((s) => new Promise<void>((resolve) => {
        s.close(() => resolve());
        s.closeAllConnections();
      })));
      servers.length = 0;
      for (const p of sockets) await rm(p, { force: true });
      sockets.length = 0;
    },
  };
}
