/**
 * Engine API client over a unix socket (or tcp) with node:http. HTTP errors become
 * `DaemonError`s whose kind reverses the server's mapping, so callers branch on kinds.
 */
import { request, type IncomingMessage, type RequestOptions } from "node:http";
import type { Readable } from "node:stream";
import { API_VERSION } from "../api/version.js";
import type { ImageDeleteItem, ImageHistoryItem, ImageInspect, ImageSummary, JsonMessage } from "../api/images.js";
import type { EventMessage, InfoResponse, VersionResponse } from "../api/system.js";
import { BerthError, type ErrorKind } from "../shared/errors.js";
import type { ClientEvent, EngineApi, EventsOptions, ImageImportOptions, ImageListOptions, RegistryAuth, RegistryTransferOptions, TransferMessage } from "./engine-api.js";

/** The default daemon address. */
export const DEFAULT_HOST = "unix:///run/berth/berth.sock";

/** An error response from the daemon. */
export class DaemonError extends BerthError {
  readonly status: number;
  constructor(status: number, message: string) {
    super(kindOfStatus(status), message);
    this.name = "DaemonError";
    this.status = status;
  }
}

/** The error kind for an HTTP status (the server mapping reversed). */
export function kindOfStatus(status: number): ErrorKind {
  switch (status) {
    case 400: return "invalid-argument";
    case 401: return "unauthenticated";
    case 403: return "permission-denied";
    case 404: return "not-found";
    case 409: return "conflict";
    case 304: return "not-modified";
    case 429: return "resource-exhausted";
    case 501: return "not-implemented";
    case 503: return "unavailable";
    default: return "internal";
  }
}

async function readAll(res: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of res) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

function filtersQuery(f: Record<string, string[]> | undefined): string | undefined {
  if (f === undefined || Object.keys(f).length === 0) return undefined;
  const o: Record<string, Record<string, boolean>> = {};
  for (const [k, vs] of Object.entries(f)) {
    o[k] = {};
    for (const v of vs) (o[k] as Record<string, boolean>)[v] = true;
  }
  return JSON.stringify(o);
}

/** Engine API client. */
export class EngineClient implements EngineApi {
  readonly host: string;
  private readonly base: RequestOptions;

  constructor(host: string = DEFAULT_HOST) {
    this.host = host;
    if (host.startsWith("unix://")) {
      this.base = { socketPath: host.slice("unix://".length) };
    } else {
      const m = /^tcp:\/\/([^:/]+|\[[^\]]+\]):(\d+)\/?$/.exec(host);
      if (m === null) throw new BerthError("invalid-argument", `invalid host "${host}": expected unix:///path or tcp://host:port`);
      this.base = { host: (m[1] as string).replace(/^\[|\]$/g, ""), port: Number(m[2]) };
    }
  }

  private path(p: string, q: Record<string, string | string[] | undefined> = {}): string {
    const sp = new URLSearchParams();
    for (const [k, v] of Object.entries(q)) {
      if (v === undefined) continue;
      for (const x of Array.isArray(v) ? v : [v]) sp.append(k, x);
    }
    const qs = sp.toString();
    return `/v${API_VERSION}${p}${qs === "" ? "" : `?${qs}`}`;
  }

  /** Send a request; resolves with the response once headers arrive; rejects on error statuses. */
  private send(method: string, path: string, body?: Readable | string, headers: Record<string, string> = {}, signal?: AbortSignal): Promise<IncomingMessage> {
    return new Promise((resolve, reject) => {
      const opts: RequestOptions = { ...this.base, method, path, headers: { ...headers } };
      if (signal !== undefined) opts.signal = signal;
      const req = request(opts, (res) => {
        const status = res.statusCode ?? 0;
        if (status < 400) {
          resolve(res);
          return;
        }
        readAll(res).then((buf) => {
          let msg = buf.toString("utf8").trim();
          try {
            const j = JSON.parse(msg) as { message?: unknown };
            if (typeof j.message === "string") msg = j.message;
          } catch {
            // not JSON: keep the raw text
          }
          reject(new DaemonError(status, msg === "" ? `${status} ${res.statusMessage ?? ""}`.trim() : msg));
        }, reject);
      });
      req.on("error", (err: NodeJS.ErrnoException) => {
        if (err.name === "AbortError") {
          reject(err);
          return;
        }
        if (err.code === "ENOENT" || err.code === "ECONNREFUSED" || err.code === "EACCES") {
          reject(new BerthError("unavailable", `Cannot connect to the berth daemon at ${this.host}. Is the berth daemon running?`, { cause: err }));
          return;
        }
        reject(err);
      });
      if (body === undefined) req.end();
      else if (typeof body === "string") req.end(body);
      else {
        body.on("error", (e) => req.destroy(e));
        body.pipe(req);
      }
    });
  }

  private async json<T>(method: string, path: string): Promise<T> {
    const res = await this.send(method, path);
    const buf = await readAll(res);
    return (buf.length === 0 ? undefined : JSON.parse(buf.toString("utf8"))) as T;
  }

  /** Read a JSON-lines progress stream; an `error` message becomes a DaemonError. */
  private async progress(res: IncomingMessage): Promise<JsonMessage[]> {
    const text = (await readAll(res)).toString("utf8");
    const out: JsonMessage[] = [];
    for (const line of text.split("\n")) {
      if (line.trim() === "") continue;
      const m = JSON.parse(line) as JsonMessage;
      if (m.error !== undefined) throw new DaemonError(500, m.errorDetail?.message ?? m.error);
      out.push(m);
    }
    return out;
  }

  async ping(): Promise<{ apiVersion: string }> {
    const res = await this.send("GET", "/_ping");
    res.resume();
    return { apiVersion: String(res.headers["api-version"] ?? "") };
  }

  version(): Promise<VersionResponse> {
    return this.json("GET", this.path("/version"));
  }

  info(): Promise<InfoResponse> {
    return this.json("GET", this.path("/info"));
  }

  listImages(o: ImageListOptions = {}): Promise<ImageSummary[]> {
    return this.json("GET", this.path("/images/json", {
      all: o.all === true ? "1" : undefined,
      digests: o.digests === true ? "1" : undefined,
      filters: filtersQuery(o.filters),
    }));
  }

  inspectImage(name: string): Promise<ImageInspect> {
    return this.json("GET", this.path(`/images/${encodeURIComponent(name)}/json`));
  }

  imageHistory(name: string): Promise<ImageHistoryItem[]> {
    return this.json("GET", this.path(`/images/${encodeURIComponent(name)}/history`));
  }

  async tagImage(source: string, repo: string, tag: string | undefined): Promise<void> {
    const res = await this.send("POST", this.path(`/images/${encodeURIComponent(source)}/tag`, { repo, tag }));
    res.resume();
  }

  removeImage(name: string, o: { force?: boolean; noprune?: boolean } = {}): Promise<ImageDeleteItem[]> {
    return this.json("DELETE", this.path(`/images/${encodeURIComponent(name)}`, {
      force: o.force === true ? "1" : undefined,
      noprune: o.noprune === true ? "1" : undefined,
    }));
  }

  async importImage(body: Readable, o: ImageImportOptions = {}): Promise<string> {
    const res = await this.send("POST", this.path("/images/create", {
      fromSrc: "-", repo: o.repo, tag: o.tag, message: o.message, changes: o.changes,
    }), body, { "Content-Type": "application/x-tar" });
    const msgs = await this.progress(res);
    return msgs.map((m) => m.status ?? "").filter(Boolean).at(-1) ?? "";
  }

  /** Follow a JSON progress stream message by message; an `error` message becomes a DaemonError. */
  private async followProgress(res: IncomingMessage, onMessage: ((m: TransferMessage) => void) | undefined): Promise<void> {
    let rest = "";
    const handle = (line: string): void => {
      if (line.trim() === "") return;
      const m = JSON.parse(line) as TransferMessage;
      if (m.error !== undefined) throw new DaemonError(500, m.errorDetail?.message ?? m.error);
      onMessage?.(m);
    };
    for await (const c of res as AsyncIterable<Buffer>) {
      rest += c.toString("utf8");
      const lines = rest.split("\n");
      rest = lines.pop() ?? "";
      for (const l of lines) handle(l);
    }
    handle(rest);
  }

  private static authHeader(auth: RegistryAuth | undefined): Record<string, string> {
    return { "X-Registry-Auth": Buffer.from(JSON.stringify(auth ?? {})).toString("base64url") };
  }

  async pullImage(image: string, o: RegistryTransferOptions = {}): Promise<void> {
    const res = await this.send("POST", this.path("/images/create", { fromImage: image, tag: o.tag, platform: o.platform }), undefined, EngineClient.authHeader(o.auth));
    await this.followProgress(res, o.onMessage);
  }

  async pushImage(name: string, o: RegistryTransferOptions = {}): Promise<void> {
    const res = await this.send("POST", this.path(`/images/${name}/push`, { tag: o.tag }), undefined, EngineClient.authHeader(o.auth));
    await this.followProgress(res, o.onMessage);
  }

  async login(auth: RegistryAuth): Promise<string> {
    const res = await this.send("POST", this.path("/auth"), JSON.stringify(auth), { "Content-Type": "application/json" });
    const j = JSON.parse((await readAll(res)).toString("utf8")) as { Status?: string };
    return j.Status ?? "";
  }

  async loadImages(body: Readable, quiet = true): Promise<string[]> {
    const res = await this.send("POST", this.path("/images/load", { quiet: quiet ? "1" : "0" }), body, { "Content-Type": "application/x-tar" });
    const msgs = await this.progress(res);
    return msgs.map((m) => (m.stream ?? m.status ?? "").replace(/\n$/, "")).filter((l) => l !== "");
  }

  async saveImages(names: readonly string[]): Promise<Readable> {
    return this.send("GET", this.path("/images/get", { names: [...names] }));
  }

  async *events(o: EventsOptions = {}, signal?: AbortSignal): AsyncIterable<ClientEvent> {
    const res = await this.send("GET", this.path("/events", { since: o.since, until: o.until, filters: filtersQuery(o.filters) }), undefined, {}, signal);
    let buf = "";
    try {
      for await (const chunk of res) {
        buf += (chunk as Buffer).toString("utf8");
        let i: number;
        while ((i = buf.indexOf("\n")) !== -1) {
          const line = buf.slice(0, i);
          buf = buf.slice(i + 1);
          if (line.trim() === "") continue;
          const m = JSON.parse(line) as EventMessage;
          const exact = /"timeNano":(\d+)/.exec(line)?.[1];
          yield { ...m, nano: exact !== undefined ? BigInt(exact) : BigInt(m.time) * 1_000_000_000n };
        }
      }
    } catch (err) {
      if ((err as Error).name === "AbortError" || signal?.aborted === true) return;
      throw err;
    }
  }
}
