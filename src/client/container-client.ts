/**
 * Engine API client for containers and exec, including the hijacked attach and exec
 * streams (an HTTP request with `Upgrade: tcp`, then the raw socket). Errors come back as
 * `DaemonError`s like the rest of the client.
 */
import { request, type RequestOptions } from "node:http";
import { connect, type Socket } from "node:net";
import type { Readable } from "node:stream";
import { API_VERSION } from "../api/version.js";
import type {
  ContainerCreateBody, ContainerCreateResponse, ContainerInspect, ContainerSummary, ContainerWaitResponse,
  ExecCreateBody, ExecInspect, ContainerStats, ContainerUpdateBody, ContainerUpdateResponse, ContainerTopResponse,
} from "../api/containers.js";
import { BerthError } from "../shared/errors.js";
import { DaemonError } from "./engine-client.js";

type Query = Record<string, string | undefined>;

/** A hijacked connection: raw bytes both ways. */
export interface HijackedConnection {
  /** The socket, already past the 101 response headers. */
  socket: Socket;
  /** Bytes that arrived with the headers. */
  head: Buffer;
}

/** Containers and exec over the Engine API. */
export class ContainerClient {
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

  private path(p: string, q: Query = {}): string {
    const sp = new URLSearchParams();
    for (const [k, v] of Object.entries(q)) if (v !== undefined) sp.append(k, v);
    const qs = sp.toString();
    return `/v${API_VERSION}${p}${qs === "" ? "" : `?${qs}`}`;
  }

  private unavailable(err: NodeJS.ErrnoException): Error {
    if (err.code === "ENOENT" || err.code === "ECONNREFUSED" || err.code === "EACCES") {
      return new BerthError("unavailable", `Cannot connect to the berth daemon at ${this.host}. Is the berth daemon running?`, { cause: err });
    }
    return err;
  }

  /** One request; resolves with status and body, rejects with DaemonError on >= 400. */
  private call(method: string, p: string, body?: unknown, unref = false): Promise<{ status: number; body: Buffer }> {
    return new Promise((resolve, reject) => {
      const text = body === undefined ? undefined : JSON.stringify(body);
      const req = request({ ...this.base, method, path: p, headers: text !== undefined ? { "Content-Type": "application/json" } : {} }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          const buf = Buffer.concat(chunks);
          const status = res.statusCode ?? 0;
          if (status >= 400) reject(daemonError(status, buf));
          else resolve({ status, body: buf });
        });
        res.on("error", reject);
      });
      req.on("error", (e: NodeJS.ErrnoException) => reject(this.unavailable(e)));
      // A best-effort call (resize) must not keep the CLI alive after its work is done.
      if (unref) req.on("socket", (s) => s.unref());
      req.end(text);
    });
  }

  private async json<T>(method: string, p: string, body?: unknown): Promise<T> {
    const r = await this.call(method, p, body);
    return JSON.parse(r.body.toString("utf8")) as T;
  }

  create(body: ContainerCreateBody, name?: string): Promise<ContainerCreateResponse> {
    return this.json("POST", this.path("/containers/create", { name }), body);
  }

  /** Start; false when it was already running (304). */
  async start(id: string): Promise<boolean> {
    return (await this.call("POST", this.path(`/containers/${encodeURIComponent(id)}/start`))).status !== 304;
  }

  /** GET /containers/{id}/top with `ps_args` (empty: the daemon's default, `-ef`). */
  top(id: string, psArgs = ""): Promise<ContainerTopResponse> {
    return this.json("GET", this.path(`/containers/${encodeURIComponent(id)}/top`, { ps_args: psArgs === "" ? undefined : psArgs }));
  }

  async stop(id: string, o: { t?: number | undefined; signal?: string | undefined } = {}): Promise<void> {
    await this.call("POST", this.path(`/containers/${encodeURIComponent(id)}/stop`, { t: o.t?.toString(), signal: o.signal }));
  }

  async restart(id: string, o: { t?: number | undefined; signal?: string | undefined } = {}): Promise<void> {
    await this.call("POST", this.path(`/containers/${encodeURIComponent(id)}/restart`, { t: o.t?.toString(), signal: o.signal }));
  }

  async kill(id: string, signal?: string): Promise<void> {
    await this.call("POST", this.path(`/containers/${encodeURIComponent(id)}/kill`, { signal }));
  }

  /**
   * Register a wait; resolves once the daemon sent the headers (the wait is in place),
   * with the promise of the result and `cancel()` to stop waiting (the result then rejects).
   */
  waitRegistered(id: string, condition = "not-running"): Promise<{ result: Promise<ContainerWaitResponse>; cancel: () => void }> {
    return new Promise((resolve, reject) => {
      const req = request({ ...this.base, method: "POST", path: this.path(`/containers/${encodeURIComponent(id)}/wait`, { condition }) }, (res) => {
        const chunks: Buffer[] = [];
        const result = new Promise<ContainerWaitResponse>((res2, rej2) => {
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("end", () => {
            const buf = Buffer.concat(chunks);
            if ((res.statusCode ?? 0) >= 400) rej2(daemonError(res.statusCode ?? 0, buf));
            else {
              try {
                res2(JSON.parse(buf.toString("utf8")) as ContainerWaitResponse);
              } catch (err) {
                rej2(err);
              }
            }
          });
          res.on("error", rej2);
        });
        if ((res.statusCode ?? 0) >= 400) {
          result.then(() => undefined, reject);
          return;
        }
        resolve({ result, cancel: () => req.destroy() });
      });
      req.on("error", (e: NodeJS.ErrnoException) => reject(this.unavailable(e)));
      req.end();
    });
  }

  async wait(id: string, condition = "not-running"): Promise<ContainerWaitResponse> {
    return (await this.waitRegistered(id, condition)).result;
  }

  async remove(id: string, o: { force?: boolean; volumes?: boolean } = {}): Promise<void> {
    await this.call("DELETE", this.path(`/containers/${encodeURIComponent(id)}`, { force: o.force === true ? "1" : undefined, v: o.volumes === true ? "1" : undefined }));
  }

  list(o: { all?: boolean; limit?: number; size?: boolean; filters?: Record<string, string[]> } = {}): Promise<ContainerSummary[]> {
    const f = o.filters !== undefined && Object.keys(o.filters).length > 0
      ? JSON.stringify(Object.fromEntries(Object.entries(o.filters).map(([k, vs]) => [k, Object.fromEntries(vs.map((v) => [v, true]))])))
      : undefined;
    return this.json("GET", this.path("/containers/json", {
      all: o.all === true ? "1" : undefined, limit: o.limit?.toString(), size: o.size === true ? "1" : undefined, filters: f,
    }));
  }

  inspect(id: string): Promise<ContainerInspect> {
    return this.json("GET", this.path(`/containers/${encodeURIComponent(id)}/json`));
  }

  async resize(id: string, height: number, width: number): Promise<void> {
    await this.call("POST", this.path(`/containers/${encodeURIComponent(id)}/resize`, { h: String(height), w: String(width) }), undefined, true);
  }

  /** GET logs as a stream (multiplexed unless the container has a TTY). */
  logs(id: string, q: Query): Promise<Readable> {
    return new Promise((resolve, reject) => {
      const req = request({ ...this.base, method: "GET", path: this.path(`/containers/${encodeURIComponent(id)}/logs`, q) }, (res) => {
        if ((res.statusCode ?? 0) >= 400) {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("end", () => reject(daemonError(res.statusCode ?? 0, Buffer.concat(chunks))));
          return;
        }
        resolve(res);
      });
      req.on("error", (e: NodeJS.ErrnoException) => reject(this.unavailable(e)));
      req.end();
    });
  }

  async pause(id: string): Promise<void> {
    await this.call("POST", this.path(`/containers/${encodeURIComponent(id)}/pause`));
  }

  async unpause(id: string): Promise<void> {
    await this.call("POST", this.path(`/containers/${encodeURIComponent(id)}/unpause`));
  }

  async rename(id: string, name: string): Promise<void> {
    await this.call("POST", this.path(`/containers/${encodeURIComponent(id)}/rename`, { name }));
  }

  update(id: string, body: ContainerUpdateBody): Promise<ContainerUpdateResponse> {
    return this.json("POST", this.path(`/containers/${encodeURIComponent(id)}/update`), body);
  }

  /**
   * GET stats: each sample to `onSample` until the daemon ends the response or `signal`
   * aborts (with `stream: false`, the one sample).
   */
  stats(id: string, o: { stream: boolean; oneShot?: boolean }, onSample: (s: ContainerStats) => void, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      const q = { stream: o.stream ? "1" : "0", "one-shot": o.oneShot === true ? "1" : undefined };
      const req = request({ ...this.base, method: "GET", path: this.path(`/containers/${encodeURIComponent(id)}/stats`, q) }, (res) => {
        const chunks: Buffer[] = [];
        if ((res.statusCode ?? 0) >= 400) {
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("end", () => reject(daemonError(res.statusCode ?? 0, Buffer.concat(chunks))));
          return;
        }
        let buf = "";
        res.setEncoding("utf8");
        res.on("data", (c: string) => {
          buf += c;
          for (let i = buf.indexOf("\n"); i !== -1; i = buf.indexOf("\n")) {
            const line = buf.slice(0, i).trim();
            buf = buf.slice(i + 1);
            if (line !== "") onSample(JSON.parse(line) as ContainerStats);
          }
        });
        res.on("end", () => {
          if (buf.trim() !== "") onSample(JSON.parse(buf) as ContainerStats);
          resolve();
        });
        res.on("error", reject);
        res.on("aborted", () => resolve());
      });
      req.on("error", (e: NodeJS.ErrnoException) => (signal?.aborted === true ? resolve() : reject(this.unavailable(e))));
      signal?.addEventListener("abort", () => req.destroy(), { once: true });
      req.end();
    });
  }

  /** POST with `Upgrade: tcp`; resolves with the raw socket after `101`. */
  hijack(p: string, body?: unknown): Promise<HijackedConnection> {
    return new Promise((resolve, reject) => {
      const sock = this.base.socketPath !== undefined && this.base.socketPath !== null
        ? connect(this.base.socketPath)
        : connect(Number(this.base.port), String(this.base.host));
      const text = body === undefined ? "" : JSON.stringify(body);
      let buf = Buffer.alloc(0);
      const onData = (c: Buffer) => {
        buf = Buffer.concat([buf, c]);
        const i = buf.indexOf("\r\n\r\n");
        if (i === -1) return;
        sock.off("data", onData);
        sock.pause();
        const headText = buf.subarray(0, i).toString("latin1");
        const rest = buf.subarray(i + 4);
        const status = Number(/^HTTP\/1\.\d (\d+)/.exec(headText)?.[1] ?? 0);
        if (status === 101 || status === 200) {
          resolve({ socket: sock, head: rest });
          return;
        }
        // An error response: read its body (Content-Length) and fail.
        const len = Number(/content-length:\s*(\d+)/i.exec(headText)?.[1] ?? rest.length);
        let bodyBuf = rest;
        const finish = () => {
          sock.destroy();
          reject(daemonError(status, bodyBuf.subarray(0, len)));
        };
        if (bodyBuf.length >= len) finish();
        else {
          sock.on("data", (c2: Buffer) => {
            bodyBuf = Buffer.concat([bodyBuf, c2]);
            if (bodyBuf.length >= len) finish();
          });
          sock.on("end", finish);
          sock.resume();
        }
      };
      sock.on("data", onData);
      sock.on("error", (e: NodeJS.ErrnoException) => reject(this.unavailable(e)));
      sock.on("connect", () => {
        sock.write(`POST ${p} HTTP/1.1\r\nHost: berth\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n`
          + `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(text)}\r\n\r\n${text}`);
      });
    });
  }

  attach(id: string, o: { stream: boolean; stdin: boolean; stdout: boolean; stderr: boolean; logs?: boolean; detachKeys?: string | undefined }): Promise<HijackedConnection> {
    const b = (x: boolean | undefined) => (x === true ? "1" : "0");
    return this.hijack(this.path(`/containers/${encodeURIComponent(id)}/attach`, {
      stream: b(o.stream), stdin: b(o.stdin), stdout: b(o.stdout), stderr: b(o.stderr), logs: b(o.logs), detachKeys: o.detachKeys,
    }));
  }

  execCreate(id: string, body: ExecCreateBody): Promise<{ Id: string }> {
    return this.json("POST", this.path(`/containers/${encodeURIComponent(id)}/exec`), body);
  }

  execStart(execId: string, o: { tty: boolean }): Promise<HijackedConnection> {
    return this.hijack(this.path(`/exec/${encodeURIComponent(execId)}/start`), { Detach: false, Tty: o.tty });
  }

  async execStartDetached(execId: string): Promise<void> {
    await this.call("POST", this.path(`/exec/${encodeURIComponent(execId)}/start`), { Detach: true, Tty: false });
  }

  execInspect(execId: string): Promise<ExecInspect> {
    return this.json("GET", this.path(`/exec/${encodeURIComponent(execId)}/json`));
  }

  async execResize(execId: string, height: number, width: number): Promise<void> {
    await this.call("POST", this.path(`/exec/${encodeURIComponent(execId)}/resize`, { h: String(height), w: String(width) }), undefined, true);
  }
}

function daemonError(status: number, buf: Buffer): DaemonError {
  let msg = buf.toString("utf8").trim();
  try {
    const j = JSON.parse(msg) as { message?: unknown };
    if (typeof j.message === "string") msg = j.message;
  } catch {
    // not JSON
  }
  return new DaemonError(status, msg === "" ? `${status}` : msg);
}
