/**
 * Engine API client for container files (archive, changes, export, commit) and for
 * prune / disk use. Bodies and responses that are tar archives are streams.
 */
import { request, type IncomingMessage, type RequestOptions } from "node:http";
import type { Readable } from "node:stream";
import { API_VERSION } from "../api/version.js";
import type { ContainerChange, ContainerPathStat } from "../api/container-files.js";
import type { ContainersPruneResponse, ImagesPruneResponse, SystemDataUsage } from "../api/disk-usage.js";
import type { ImageContainerConfig } from "../api/images.js";
import { BerthError } from "../shared/errors.js";
import { DaemonError } from "./engine-client.js";

type Query = Record<string, string | string[] | undefined>;

/** Options of `commit`. */
export interface CommitRequest {
  repo?: string | undefined;
  tag?: string | undefined;
  comment?: string | undefined;
  author?: string | undefined;
  pause?: boolean | undefined;
  changes?: readonly string[] | undefined;
  config?: ImageContainerConfig | undefined;
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

async function readAll(res: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of res) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/** The `filters` query value Docker expects ({"k":{"v":true}}). */
export function filtersQuery(f: Record<string, string[]> | undefined): string | undefined {
  if (f === undefined || Object.keys(f).length === 0) return undefined;
  const o: Record<string, Record<string, boolean>> = {};
  for (const [k, vs] of Object.entries(f)) o[k] = Object.fromEntries(vs.map((v) => [v, true]));
  return JSON.stringify(o);
}

/** Decode the `X-Docker-Container-Path-Stat` header. */
export function decodePathStat(value: string | string[] | undefined): ContainerPathStat {
  const v = Array.isArray(value) ? value[0] : value;
  if (v === undefined || v === "") throw new BerthError("internal", "stat path: the daemon sent no path stat");
  return JSON.parse(Buffer.from(v, "base64").toString("utf8")) as ContainerPathStat;
}

/** Container files, prune and disk use over the Engine API. */
export class FilesClient {
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
    for (const [k, v] of Object.entries(q)) {
      if (v === undefined) continue;
      for (const x of Array.isArray(v) ? v : [v]) sp.append(k, x);
    }
    const qs = sp.toString();
    return `/v${API_VERSION}${p}${qs === "" ? "" : `?${qs}`}`;
  }

  /** Send a request; resolves with the response once headers arrive (>= 400 rejects). */
  private send(method: string, path: string, body?: Readable | Buffer | string, headers: Record<string, string> = {}): Promise<IncomingMessage> {
    return new Promise((resolve, reject) => {
      const req = request({ ...this.base, method, path, headers }, (res) => {
        const status = res.statusCode ?? 0;
        if (status >= 400) {
          readAll(res).then((buf) => reject(daemonError(status, buf)), reject);
          return;
        }
        resolve(res);
      });
      req.on("error", (e: NodeJS.ErrnoException) => {
        if (e.code === "ENOENT" || e.code === "ECONNREFUSED" || e.code === "EACCES") {
          reject(new BerthError("unavailable", `Cannot connect to the berth daemon at ${this.host}. Is the berth daemon running?`, { cause: e }));
        } else reject(e);
      });
      if (body === undefined || typeof body === "string" || Buffer.isBuffer(body)) req.end(body);
      else {
        body.on("error", (e) => req.destroy(e));
        body.pipe(req);
      }
    });
  }

  private async json<T>(method: string, path: string, body?: unknown): Promise<T> {
    const text = body === undefined ? undefined : JSON.stringify(body);
    const res = await this.send(method, path, text, text !== undefined ? { "Content-Type": "application/json" } : {});
    return JSON.parse((await readAll(res)).toString("utf8")) as T;
  }

  private archivePath(id: string, q: Query): string {
    return this.path(`/containers/${encodeURIComponent(id)}/archive`, q);
  }

  /** HEAD /containers/{id}/archive. */
  async statPath(id: string, path: string): Promise<ContainerPathStat> {
    const res = await this.send("HEAD", this.archivePath(id, { path }));
    res.resume();
    return decodePathStat(res.headers["x-docker-container-path-stat"]);
  }

  /** GET /containers/{id}/archive: the stat and the tar stream. */
  async getArchive(id: string, path: string): Promise<{ stat: ContainerPathStat; stream: Readable }> {
    const res = await this.send("GET", this.archivePath(id, { path }));
    return { stat: decodePathStat(res.headers["x-docker-container-path-stat"]), stream: res };
  }

  /** PUT /containers/{id}/archive: extract `tar` into the directory `path`. */
  async putArchive(id: string, path: string, tar: Readable, o: { noOverwriteDirNonDir?: boolean; copyUIDGID?: boolean } = {}): Promise<void> {
    const res = await this.send("PUT", this.archivePath(id, {
      path, noOverwriteDirNonDir: o.noOverwriteDirNonDir === true ? "true" : undefined, copyUIDGID: o.copyUIDGID === true ? "true" : undefined,
    }), tar, { "Content-Type": "application/x-tar" });
    res.resume();
  }

  /** GET /containers/{id}/changes. */
  async changes(id: string): Promise<ContainerChange[]> {
    return (await this.json<ContainerChange[] | null>("GET", this.path(`/containers/${encodeURIComponent(id)}/changes`))) ?? [];
  }

  /** GET /containers/{id}/export. */
  async export(id: string): Promise<Readable> {
    return this.send("GET", this.path(`/containers/${encodeURIComponent(id)}/export`));
  }

  /** POST /commit: returns the new image id. */
  async commit(container: string, o: CommitRequest = {}): Promise<string> {
    const q: Query = {
      container, repo: o.repo, tag: o.tag, comment: o.comment, author: o.author,
      pause: o.pause === undefined ? undefined : String(o.pause), changes: o.changes !== undefined ? [...o.changes] : undefined,
    };
    return (await this.json<{ Id: string }>("POST", this.path("/commit", q), o.config ?? {})).Id;
  }

  /** POST /containers/prune. */
  pruneContainers(filters?: Record<string, string[]>): Promise<ContainersPruneResponse> {
    return this.json("POST", this.path("/containers/prune", { filters: filtersQuery(filters) }));
  }

  /** POST /images/prune. */
  pruneImages(filters?: Record<string, string[]>): Promise<ImagesPruneResponse> {
    return this.json("POST", this.path("/images/prune", { filters: filtersQuery(filters) }));
  }

  /** POST /{kind}/prune for kinds served by other parts of the daemon (networks, volumes); undefined when absent (404 page not found). */
  async pruneOther(kind: "networks" | "volumes", filters?: Record<string, string[]>): Promise<Record<string, unknown> | undefined> {
    try {
      return await this.json<Record<string, unknown>>("POST", this.path(`/${kind}/prune`, { filters: filtersQuery(filters) }));
    } catch (err) {
      if (err instanceof DaemonError && err.status === 404 && err.message === "page not found") return undefined;
      throw err;
    }
  }

  /** GET /system/df. */
  diskUsage(types: readonly string[] = []): Promise<SystemDataUsage> {
    return this.json("GET", this.path("/system/df", { type: types.length > 0 ? [...types] : undefined }));
  }
}
