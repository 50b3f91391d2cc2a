/**
 * Hijacked connections for attach and exec start. A request with `Upgrade: tcp` reaches
 * the server's 'upgrade' event; `registerUpgrade` remembers its raw socket (and the bytes
 * read past the headers) so the route can answer `101 UPGRADED` and use the socket as a
 * raw duplex stream. Without the upgrade header the response body is the stream (200),
 * as dockerd also allows.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { PassThrough, type Duplex, type Readable } from "node:stream";
import { invalidArgument } from "../../../shared/errors.js";

interface Upgraded {
  socket: Duplex;
  head: Buffer;
}

const upgraded = new WeakMap<IncomingMessage, Upgraded>();

/** Called by the server for an 'upgrade' request before routing it. */
export function registerUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
  upgraded.set(req, { socket, head });
}

/** Whether the request came through the upgrade path. */
export function isUpgraded(req: IncomingMessage): boolean {
  return upgraded.has(req);
}

/** Content types of the raw and multiplexed streams. */
export const RAW_STREAM = "application/vnd.docker.raw-stream";
export const MULTIPLEXED_STREAM = "application/vnd.docker.multiplexed-stream";

/**
 * Read a JSON body of a request that may be upgraded (its body then sits in the bytes
 * after the headers, length from Content-Length). undefined for an empty body.
 */
export async function readHijackJson(req: IncomingMessage): Promise<unknown> {
  const up = upgraded.get(req);
  let text: string;
  if (up === undefined) {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    text = Buffer.concat(chunks).toString("utf8");
  } else {
    const len = Number(req.headers["content-length"] ?? 0);
    let buf = up.head;
    while (buf.length < len) {
      const more = await new Promise<Buffer | null>((resolve) => {
        const onData = (c: Buffer) => { cleanup(); resolve(c); };
        const onEnd = () => { cleanup(); resolve(null); };
        const cleanup = () => {
          up.socket.off("data", onData);
          up.socket.off("end", onEnd);
          up.socket.pause();
        };
        up.socket.on("data", onData);
        up.socket.once("end", onEnd);
        up.socket.resume();
      });
      if (more === null) break;
      buf = Buffer.concat([buf, more]);
    }
    up.head = buf.subarray(Math.min(len, buf.length));
    text = buf.subarray(0, len).toString("utf8");
  }
  if (text.trim() === "") return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw invalidArgument(`invalid JSON: ${(err as Error).message}`);
  }
}

/** A hijacked stream: write output, read input, end. */
export interface HijackedStream {
  /** Client → daemon bytes (stdin). Ends when the client half-closes. */
  readonly input: Readable;
  /** Write output; resolves when the transport wants more. */
  write(chunk: Buffer): void;
  /** Finish the stream and close the connection. */
  end(): void;
  /** Called once when the client goes away. */
  onClose(cb: () => void): void;
}

/**
 * Take over the connection: `101 UPGRADED` on an upgraded socket, else a 200 response
 * whose body is the stream.
 */
export function hijack(req: IncomingMessage, res: ServerResponse, contentType: string): HijackedStream {
  const up = upgraded.get(req);
  if (up === undefined) {
    res.writeHead(200, { "Content-Type": contentType });
    res.flushHeaders();
    const input = new PassThrough();
    req.pipe(input);
    return {
      input,
      write: (c) => { res.write(c); },
      end: () => { res.end(); },
      onClose: (cb) => { res.once("close", cb); },
    };
  }
  const { socket, head } = up;
  // The response object must not write to the socket any more: it is ours now.
  if (res.socket !== null) res.detachSocket(res.socket);
  socket.write(`HTTP/1.1 101 UPGRADED\r\nContent-Type: ${contentType}\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n`);
  const input = new PassThrough();
  if (head.length > 0) input.write(head);
  socket.on("data", (c: Buffer) => input.write(c));
  socket.on("end", () => input.end());
  socket.on("error", () => input.end());
  socket.resume();
  let ended = false;
  return {
    input,
    write: (c) => { if (!ended) socket.write(c); },
    end: () => {
      if (ended) return;
      ended = true;
      socket.end();
      // A client that never half-closes must not keep the socket forever.
      setTimeout(() => socket.destroy(), 2000).unref();
    },
    onClose: (cb) => { socket.once("close", cb); },
  };
}
