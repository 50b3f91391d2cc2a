/**
 * The request plumbing shared by the per-area Engine API clients (volumes, networks): the
 * host (`unix:///path` or `tcp://host:port`), versioned paths with a query, JSON bodies,
 * and daemon errors as `DaemonError`s with the daemon's message.
 */
import { request, type RequestOptions } from "node:http";
import { API_VERSION } from "../api/version.js";
import { BerthError } from "../shared/errors.js";
import { DaemonError } from "./engine-client.js";

/** The `DaemonError` of an error response (`{"message": ...}` or plain text). */
export function daemonError(status: number, buf: Buffer): DaemonError {
  let msg = buf.toString("utf8").trim();
  try {
    const j = JSON.parse(msg) as { message?: unknown };
    if (typeof j.message === "string") msg = j.message;
  } catch {
    // not JSON
  }
  return new DaemonError(status, msg === "" ? `${status}` : msg);
}

/** Docker's `filters` query value (`{"key": {"value": true}}`), undefined when empty. */
export function filtersQuery(f: Record<string, string[]> | undefined): string | undefined {
  if (f === undefined || Object.keys(f).length === 0) return undefined;
  const o: Record<string, Record<string, boolean>> = {};
  for (const [k, vs] of Object.entries(f)) o[k] = Object.fromEntries(vs.map((v) => [v, true]));
  return JSON.stringify(o);
}

/** Base of a client whose calls are plain JSON requests and answers. */
export abstract class JsonApiClient {
  readonly host: string;
  private readonly base: RequestOptions;

  constructor(host: string) {
    this.host = host;
    if (host.startsWith("unix://")) this.base = { socketPath: host.slice("unix://".length) };
    else {
      const m = /^tcp:\/\/([^:/]+|\[[^\]]+\]):(\d+)\/?$/.exec(host);
      if (m === null) throw new BerthError("invalid-argument", `invalid host "${host}": expected unix:///path or tcp://host:port`);
      this.base = { host: (m[1] as string).replace(/^\[|\]$/g, ""), port: Number(m[2]) };
    }
  }

  /** `/v<API>/<p>?<q>`, undefined query values left out. */
  protected path(p: string, q: Record<string, string | undefined> = {}): string {
    const sp = new URLSearchParams();
    for (const [k, v] of Object.entries(q)) if (v !== undefined) sp.append(k, v);
    const qs = sp.toString();
    return `/v${API_VERSION}${p}${qs === "" ? "" : `?${qs}`}`;
  }

  /** One request; resolves with the body of a non-error answer. */
  protected call(method: string, p: string, body?: unknown): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      const text = body === undefined ? undefined : JSON.stringify(body);
      const req = request({ ...this.base, method, path: p, headers: text !== undefined ? { "Content-Type": "application/json" } : {} }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          const buf = Buffer.concat(chunks);
          const status = res.statusCode ?? 0;
          if (status >= 400) reject(daemonError(status, buf));
          else resolve(buf);
        });
        res.on("error", reject);
      });
      req.on("error", (err: NodeJS.ErrnoException) => {
        if (err.code === "ENOENT" || err.code === "ECONNREFUSED" || err.code === "EACCES") {
          reject(new BerthError("unavailable", `Cannot connect to the berth daemon at ${this.host}. Is the berth daemon running?`, { cause: err }));
        } else reject(err);
      });
      req.end(text);
    });
  }

  /** One request whose answer is JSON. */
  protected async json<T>(method: string, p: string, body?: unknown): Promise<T> {
    return JSON.parse((await this.call(method, p, body)).toString("utf8")) as T;
  }
}
