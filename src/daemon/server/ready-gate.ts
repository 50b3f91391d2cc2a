/**
 * The daemon listens before its services are loaded: `GET`/`HEAD /_ping` is answered at
 * once (it depends on nothing), every other request — including upgrades — is held,
 * unread, until the API server is ready and then handed to it, so no request is ever
 * answered from half-loaded state. If the start fails, held and later requests get a 500
 * with the reason. Light on purpose: imported before the rest of the daemon.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Socket } from "node:net";
import { splitVersion, commonHeaders } from "./version.js";
import { answerPing } from "./ping.js";
import { bindHost, closeBound, type BoundHost, type HttpHandlers } from "./listen.js";

/** Sockets bound ahead of the API server. */
export interface ReadyGate {
  /** The bound addresses, in `hosts` order. */
  readonly addresses: readonly string[];
  /** Hand held and later requests to `api`. */
  open(api: HttpHandlers): void;
  /**
   * Answer held and later requests (but `/_ping`) with a 500 carrying `err`'s message;
   * resolves when the held ones are written.
   */
  fail(err: unknown): Promise<void>;
  /** Stop listening, end connections, remove the socket files. */
  close(): Promise<void>;
}

function isPing(req: IncomingMessage): boolean {
  if (req.method !== "GET" && req.method !== "HEAD") return false;
  const q = (req.url ?? "/").indexOf("?");
  try {
    return splitVersion(q < 0 ? (req.url ?? "/") : (req.url ?? "/").slice(0, q)).path === "/_ping";
  } catch {
    // An unsupported version: the API server words that error.
    return false;
  }
}

function failureBody(err: unknown): string {
  const detail = err instanceof Error ? err.message : String(err);
  return `${JSON.stringify({ message: `start daemon: ${detail}` })}\n`;
}

/** Bind every host now; requests wait for `open` (see the module comment). */
export async function listenGated(hosts: readonly string[]): Promise<ReadyGate> {
  let api: HttpHandlers | undefined;
  let failure: { err: unknown } | undefined;
  const held: Array<() => Promise<void>> = [];
  const answerFailed = (res: ServerResponse): Promise<void> => new Promise((resolve) => {
    const body = failureBody(failure?.err);
    for (const [k, v] of Object.entries(commonHeaders())) res.setHeader(k, v);
    res.writeHead(500, { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(body), Connection: "close" });
    res.once("close", () => resolve());
    res.end(body, () => resolve());
  });
  const handlers: HttpHandlers = {
    request(req, res) {
      if (api !== undefined) {
        api.request(req, res);
        return;
      }
      if (isPing(req)) {
        for (const [k, v] of Object.entries(commonHeaders())) res.setHeader(k, v);
        answerPing(req, res);
        return;
      }
      if (failure !== undefined) {
        req.resume();
        void answerFailed(res);
        return;
      }
      held.push(async () => {
        if (api !== undefined) api.request(req, res);
        else {
          req.resume();
          await answerFailed(res);
        }
      });
    },
    upgrade(req: IncomingMessage, socket: Socket, head: Buffer) {
      if (api !== undefined) {
        api.upgrade(req, socket, head);
        return;
      }
      const refuse = () => new Promise<void>((resolve) => {
        const body = failureBody(failure?.err);
        socket.end(`HTTP/1.1 500 Internal Server Error\r\nContent-Type: application/json\r\nConnection: close\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`, () => resolve());
        socket.once("close", () => resolve());
      });
      if (failure !== undefined) {
        void refuse();
        return;
      }
      held.push(async () => {
        if (api !== undefined) api.upgrade(req, socket, head);
        else await refuse();
      });
    },
  };
  const bound: BoundHost[] = [];
  try {
    for (const h of hosts) bound.push(await bindHost(h, handlers));
  } catch (err) {
    await closeBound(bound);
    throw err;
  }
  const release = () => Promise.all(held.splice(0).map((f) => f())).then(() => undefined);
  return {
    addresses: bound.map((b) => b.address),
    open(a) {
      api = a;
      void release();
    },
    fail(err) {
      failure = { err };
      return release();
    },
    close: () => closeBound(bound),
  };
}
