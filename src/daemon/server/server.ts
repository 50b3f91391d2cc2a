/**
 * The Engine API server on node:http: version negotiation, the route tables, Docker's
 * error bodies. `createServer` builds the request handler without listening (fastify's
 * build/listen split); `listen` binds unix sockets or tcp. The raw `http.Server` objects
 * stay reachable for hijacked streams (attach/exec) later.
 */
import { ServerResponse, type IncomingMessage, type Server } from "node:http";
import type { Socket } from "node:net";
import { randomBytes } from "node:crypto";
import { bindHost, closeBound, type BoundHost } from "./listen.js";
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
  /** The handler of `Upgrade: tcp` requests (attach, exec start): routed with their raw socket. */
  upgrade(req: IncomingMessage, socket: Socket, head: Buffer): void;
  /** Listen on "unix:///path" or "tcp://host:port"; resolves to the bound address. */
  listen(host: string): Promise<string>;
  /** The listening servers. */
  readonly servers: readonly Server[];
  /** Stop listening and end open connections. */
  close(): Promise<void>;
}

export { parseHost } from "./listen.js";

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
  const bound: BoundHost[] = [];
  const servers: Server[] = [];

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

  const upgrade = (req: IncomingMessage, socket: Socket, head: Buffer): void => {
    registerUpgrade(req, socket, head);
    const res = new ServerResponse(req);
    res.assignSocket(socket);
    res.on("finish", () => socket.end());
    handle(req, res);
  };

  return {
    handle,
    upgrade,
    servers,
    async listen(host: string): Promise<string> {
      const b = await bindHost(host, { request: handle, upgrade });
      bound.push(b);
      servers.push(b.server);
      return b.address;
    },
    async close(): Promise<void> {
      await closeBound(bound);
      bound.length = 0;
      servers.length = 0;
    },
  };
}
