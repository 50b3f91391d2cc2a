/** Minimal HTTP(S) requests over node:http/https with streamed responses. */
import { request as httpRequest, type IncomingMessage } from "node:http";
import { request as httpsRequest } from "node:https";
import type { Readable } from "node:stream";
import { unavailable } from "../shared/errors.js";

/** A request body: bytes, or a factory for a fresh stream (bodies may be re-sent after a 401). */
export type Body = Buffer | (() => Readable);

/** What `send` needs. */
export interface SendOptions {
  method: string;
  url: URL;
  headers?: Record<string, string | number>;
  body?: Body;
  signal?: AbortSignal | undefined;
  /** Milliseconds without response headers before failing. @default 30000 */
  timeoutMs?: number;
}

/** Send one request; resolves with the response once headers arrive (body unread). */
export function send(opts: SendOptions): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const fn = opts.url.protocol === "https:" ? httpsRequest : httpRequest;
    const req = fn(opts.url, { method: opts.method, headers: opts.headers ?? {}, signal: opts.signal });
    const timer = setTimeout(() => req.destroy(unavailable(`${opts.method} ${opts.url.origin}${opts.url.pathname}: timeout`)), opts.timeoutMs ?? 30000);
    req.on("response", (res) => {
      clearTimeout(timer);
      resolve(res);
    });
    req.on("error", (err) => {
      clearTimeout(timer);
      reject(err instanceof Error && "kind" in err ? err : unavailable(`${opts.method} ${opts.url.origin}${opts.url.pathname}: ${(err as Error).message}`, err));
    });
    const body = opts.body;
    if (body === undefined) req.end();
    else if (Buffer.isBuffer(body)) req.end(body);
    else {
      const src = body();
      src.on("error", (e) => req.destroy(e));
      src.pipe(req);
    }
  });
}

/** Read a response body whole, failing when it exceeds `limit` bytes. */
export async function readBody(res: IncomingMessage, limit = 16 * 1024 * 1024): Promise<Buffer> {
  const declared = Number(res.headers["content-length"]);
  if (Number.isFinite(declared) && declared > limit) {
    res.destroy();
    throw new RangeError(`response of ${declared} bytes exceeds the limit of ${limit}`);
  }
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const c of res as AsyncIterable<Buffer>) {
    n += c.length;
    if (n > limit) {
      res.destroy();
      throw new RangeError(`response exceeds the limit of ${limit} bytes`);
    }
    chunks.push(c);
  }
  return Buffer.concat(chunks);
}

/** Drain and discard a response body. */
export async function discard(res: IncomingMessage): Promise<void> {
  res.resume();
  await new Promise<void>((resolve) => {
    if (res.complete) resolve();
    res.on("end", resolve);
    res.on("error", () => resolve());
    res.on("close", resolve);
  });
}
