/**
 * The HTTP side of `berth registry`: an OCI distribution-spec 1.1 server over node:http
 * or node:https. Routing, auth checks and the spec's headers live here; storage is in
 * storage.ts and its parts. `createRegistryServer` does not listen (serve.ts does).
 */
import { createHash } from "node:crypto";
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import { pipeline } from "node:stream/promises";
import { kindOf } from "../shared/errors.js";
import { nullLogger, type Logger } from "../shared/logger.js";
import { Authorizer, type RegistryAuthOptions } from "./auth/authorizer.js";
import type { Access } from "./auth/token.js";
import { registryError, RegistryError, type ErrorEntry } from "./errors.js";
import { MAX_MANIFEST_BYTES, MEDIA_TYPES, parseManifest } from "./manifest.js";
import { assertName, isValidName, isValidTag, looksLikeDigest, parseDigest, type ParsedDigest } from "./names.js";
import { parseContentRange, parseRangeHeader } from "./ranges.js";
import { openRegistryStorage, type RegistryStorage } from "./storage.js";
import { uploadRange } from "./uploads.js";

/** Options of `createRegistryServer`. */
export interface RegistryServerOptions {
  /** Directory holding the registry's data (created when missing). */
  root: string;
  /** Authentication; none means anyone may do anything. */
  auth?: RegistryAuthOptions;
  /** Serve HTTPS with this certificate and key (PEM). */
  tls?: { cert: string | Buffer; key: string | Buffer };
  /** @default nullLogger */
  logger?: Logger;
  /** Largest manifest accepted. @default 4 MiB */
  maxManifestBytes?: number;
}

type Route =
  | { kind: "base" }
  | { kind: "catalog" }
  | { kind: "manifest"; name: string; ref: string }
  | { kind: "blob"; name: string; ref: string }
  | { kind: "uploads"; name: string }
  | { kind: "upload"; name: string; id: string }
  | { kind: "tags"; name: string }
  | { kind: "referrers"; name: string; ref: string };

const ROUTES: ReadonlyArray<[RegExp, (m: RegExpExecArray) => Route]> = [
  [/^\/v2\/?$/, () => ({ kind: "base" })],
  [/^\/v2\/_catalog$/, () => ({ kind: "catalog" })],
  [/^\/v2\/(.+)\/blobs\/uploads\/?$/, (m) => ({ kind: "uploads", name: m[1] ?? "" })],
  [/^\/v2\/(.+)\/blobs\/uploads\/([^/]+)$/, (m) => ({ kind: "upload", name: m[1] ?? "", id: m[2] ?? "" })],
  [/^\/v2\/(.+)\/blobs\/([^/]+)$/, (m) => ({ kind: "blob", name: m[1] ?? "", ref: m[2] ?? "" })],
  [/^\/v2\/(.+)\/manifests\/([^/]+)$/, (m) => ({ kind: "manifest", name: m[1] ?? "", ref: m[2] ?? "" })],
  [/^\/v2\/(.+)\/tags\/list$/, (m) => ({ kind: "tags", name: m[1] ?? "" })],
  [/^\/v2\/(.+)\/referrers\/([^/]+)$/, (m) => ({ kind: "referrers", name: m[1] ?? "", ref: m[2] ?? "" })],
];

const METHODS: Readonly<Record<Route["kind"], readonly string[]>> = {
  base: ["GET", "HEAD"],
  catalog: ["GET"],
  manifest: ["GET", "HEAD", "PUT", "DELETE"],
  blob: ["GET", "HEAD", "DELETE"],
  uploads: ["POST"],
  upload: ["GET", "PATCH", "PUT", "DELETE"],
  tags: ["GET"],
  referrers: ["GET"],
};

function matchRoute(path: string): Route | undefined {
  for (const [re, make] of ROUTES) {
    const m = re.exec(path);
    if (m) return make(m);
  }
  return undefined;
}

/** The access a request needs, in distribution's scope terms. */
function neededAccess(route: Route, method: string): Access[] {
  if (route.kind === "base") return [];
  if (route.kind === "catalog") return [{ type: "registry", name: "catalog", actions: ["*"] }];
  // everything on upload sessions, including their status, is part of pushing; pushing
  // needs pull as well, as distribution's token server grants it ("pull,push")
  const reads = (method === "GET" || method === "HEAD") && route.kind !== "upload";
  const actions = method === "DELETE" && route.kind !== "upload" ? ["delete"] : reads ? ["pull"] : ["pull", "push"];
  return [{ type: "repository", name: route.name, actions }];
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string | number> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(text), ...headers });
  res.end(res.req.method === "HEAD" ? undefined : text);
}

function sendEmpty(res: ServerResponse, status: number, headers: Record<string, string | number> = {}): void {
  res.writeHead(status, { "Content-Length": 0, ...headers });
  res.end();
}

async function readBody(req: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const chunk of req) {
    n += (chunk as Buffer).length;
    if (n > limit) return undefined;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

function hasBody(req: IncomingMessage): boolean {
  const len = req.headers["content-length"];
  if (len !== undefined) return Number(len) > 0;
  return req.headers["transfer-encoding"] !== undefined;
}

function pageSize(query: URLSearchParams): number | undefined {
  const n = query.get("n");
  if (n === null || n === "") return undefined;
  if (!/^\d+$/.test(n)) throw registryError("UNSUPPORTED", `invalid number of results "${n}"`, { status: 400 });
  return Number(n);
}

/** Apply `n`/`last` to a sorted list; returns the page and the Link header when more remain. */
function paginate(all: string[], query: URLSearchParams, base: string): { page: string[]; link?: string } {
  const n = pageSize(query);
  const last = query.get("last");
  let rest = last !== null && last !== "" ? all.filter((x) => x > last) : all;
  if (n === undefined || rest.length <= n) return { page: rest };
  rest = rest.slice(0, n);
  const next = rest[rest.length - 1];
  if (next === undefined) return { page: rest };
  return { page: rest, link: `<${base}?n=${n}&last=${encodeURIComponent(next)}>; rel="next"` };
}

/** Handles requests against one registry storage. */
class RegistryHandler {
  private readonly storage: RegistryStorage;
  private readonly auth: Authorizer | undefined;
  private readonly log: Logger;
  private readonly maxManifest: number;

  constructor(opts: RegistryServerOptions) {
    this.storage = openRegistryStorage(opts.root);
    this.auth = opts.auth ? new Authorizer(opts.auth) : undefined;
    this.log = opts.logger ?? nullLogger;
    this.maxManifest = opts.maxManifestBytes ?? MAX_MANIFEST_BYTES;
  }

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = Date.now();
    const url = req.url ?? "/";
    const q = url.indexOf("?");
    // the raw path, never percent-decoded or dot-normalised: names are validated as sent
    const path = q < 0 ? url : url.slice(0, q);
    const query = new URLSearchParams(q < 0 ? "" : url.slice(q + 1));
    const method = req.method ?? "GET";
    res.setHeader("Docker-Distribution-API-Version", "registry/2.0");
    try {
      if (this.auth?.tokenPath !== undefined && path === this.auth.tokenPath && (method === "GET" || method === "POST")) {
        const body = method === "POST" ? ((await readBody(req, 64 * 1024)) ?? Buffer.alloc(0)).toString("utf8") : "";
        await this.auth.serveToken(req, res, query, body);
        return;
      }
      const route = matchRoute(path);
      if (!route) throw registryError("UNSUPPORTED", `unknown endpoint "${path}"`, { status: 404 });
      if (!METHODS[route.kind].includes(method)) {
        throw registryError("UNSUPPORTED", `method ${method} not allowed on "${path}"`, {
          headers: { Allow: METHODS[route.kind].join(", ") },
        });
      }
      if ("name" in route) assertName(route.name);
      const account = this.auth ? await this.auth.authorize(req, neededAccess(route, method)) : undefined;
      await this.dispatch(this.storage, route, method, req, res, query, account);
    } catch (err) {
      this.fail(req, res, err);
    } finally {
      this.log.debug({ method, url, status: res.statusCode, ms: Date.now() - started }, "registry request");
    }
  }

  private fail(req: IncomingMessage, res: ServerResponse, err: unknown): void {
    if (res.headersSent) {
      // usually a client that stopped reading a blob; nothing to answer any more
      this.log.debug({ err, url: req.url }, "registry response ended early");
      res.destroy();
      return;
    }
    let e: RegistryError;
    if (err instanceof RegistryError) e = err;
    else if (kindOf(err) === "invalid-argument") e = registryError("UNSUPPORTED", (err as Error).message, { status: 400 });
    else {
      this.log.error({ err, method: req.method, url: req.url }, "registry internal error");
      e = registryError("UNKNOWN", "internal server error");
    }
    // a body we did not read must not be taken for the next request
    if (!req.complete) res.setHeader("Connection", "close");
    sendJson(res, e.status, e.body(), e.headers);
  }

  private async dispatch(
    st: RegistryStorage, route: Route, method: string, req: IncomingMessage, res: ServerResponse,
    query: URLSearchParams, account: string | undefined,
  ): Promise<void> {
    switch (route.kind) {
      case "base":
        return sendJson(res, 200, {});
      case "catalog": {
        const { page, link } = paginate(await st.repos.list(), query, "/v2/_catalog");
        return sendJson(res, 200, { repositories: page }, link ? { Link: link } : {});
      }
      case "tags": {
        if (!(await st.repos.exists(route.name))) {
          throw registryError("NAME_UNKNOWN", "repository name not known to registry", { detail: { name: route.name } });
        }
        const { page, link } = paginate(await st.repos.tags(route.name), query, `/v2/${route.name}/tags/list`);
        return sendJson(res, 200, { name: route.name, tags: page }, link ? { Link: link } : {});
      }
      case "referrers":
        return this.referrers(st, route.name, parseDigest(route.ref), query, res);
      case "manifest":
        if (method === "PUT") return this.putManifest(st, route.name, route.ref, query, req, res);
        if (method === "DELETE") return this.deleteManifest(st, route.name, route.ref, res);
        return this.getManifest(st, route.name, route.ref, req, res);
      case "blob": {
        const d = parseDigest(route.ref);
        if (method === "DELETE") {
          if (!(await st.repos.unlinkBlob(route.name, d))) throw blobUnknown(d);
          return sendEmpty(res, 202, { "Docker-Content-Digest": d.digest });
        }
        return this.getBlob(st, route.name, d, req, res);
      }
      case "uploads":
        return this.startUpload(st, route.name, query, req, res, account);
      case "upload":
        return this.upload(st, route.name, route.id, method, query, req, res);
    }
  }

  // ---- manifests

  private async resolveManifest(st: RegistryStorage, name: string, ref: string): Promise<ParsedDigest> {
    if (looksLikeDigest(ref)) return parseDigest(ref);
    // no such tag can exist (distribution's router answers 404 as well)
    if (!isValidTag(ref)) throw manifestUnknown(ref);
    const target = await st.repos.getTag(name, ref);
    if (target === undefined) throw manifestUnknown(ref);
    return parseDigest(target);
  }

  private async getManifest(st: RegistryStorage, name: string, ref: string, _req: IncomingMessage, res: ServerResponse): Promise<void> {
    const d = await this.resolveManifest(st, name, ref);
    const link = await st.repos.getManifest(name, d);
    const body = link ? await st.blobs.readBuffer(d) : undefined;
    if (!link || !body) throw manifestUnknown(ref);
    res.writeHead(200, {
      "Content-Type": link.mediaType,
      "Content-Length": body.length,
      "Docker-Content-Digest": d.digest,
      ETag: `"${d.digest}"`,
    });
    res.end(res.req.method === "HEAD" ? undefined : body);
  }

  private async putManifest(
    st: RegistryStorage, name: string, ref: string, query: URLSearchParams, req: IncomingMessage, res: ServerResponse,
  ): Promise<void> {
    const byDigest = looksLikeDigest(ref) ? parseDigest(ref) : undefined;
    const tags = byDigest ? query.getAll("tag") : [ref];
    for (const t of tags) if (!isValidTag(t)) throw registryError("MANIFEST_INVALID", "invalid tag", { detail: { tag: t } });
    const tooLarge = () =>
      registryError("MANIFEST_INVALID", `manifest exceeds ${this.maxManifest} bytes`, {
        status: 413, detail: { limit: this.maxManifest },
      });
    if (Number(req.headers["content-length"] ?? 0) > this.maxManifest) throw tooLarge();
    const body = await readBody(req, this.maxManifest);
    if (body === undefined) throw tooLarge();
    const m = parseManifest(body, req.headers["content-type"]);
    const algorithm = byDigest?.algorithm ?? "sha256";
    const d = parseDigest(`${algorithm}:${createHash(algorithm).update(body).digest("hex")}`);
    if (byDigest && d.digest !== byDigest.digest) {
      throw registryError("DIGEST_INVALID", "manifest digest did not match the reference", {
        detail: { expected: byDigest.digest, actual: d.digest },
      });
    }
    const unknown: ErrorEntry[] = [];
    for (const b of m.blobs) {
      if (b.urls !== undefined) continue; // foreign layer: not held by registries
      if (!(await st.repos.hasBlobLink(name, b.digest)) || (await st.blobs.size(b.digest)) === undefined) {
        unknown.push({ code: "MANIFEST_BLOB_UNKNOWN", message: "blob unknown to registry", detail: { digest: b.digest.digest } });
      }
    }
    for (const c of m.children) {
      if ((await st.repos.getManifest(name, c.digest)) === undefined) {
        unknown.push({ code: "MANIFEST_BLOB_UNKNOWN", message: "manifest unknown to registry", detail: { digest: c.digest.digest } });
      }
    }
    const [first, ...rest] = unknown;
    if (first) throw registryError(first.code, first.message, { detail: first.detail, more: rest });
    await st.blobs.putBuffer(body, algorithm);
    await st.repos.putManifest(name, d, {
      mediaType: m.mediaType,
      size: body.length,
      ...(m.subject ? { subject: m.subject.digest.digest } : {}),
      ...(m.artifactType !== undefined ? { artifactType: m.artifactType } : {}),
      ...(m.annotations !== undefined ? { annotations: m.annotations } : {}),
    });
    for (const t of tags) await st.repos.setTag(name, t, d);
    const headers: Record<string, string> = {
      Location: `/v2/${name}/manifests/${d.digest}`,
      "Docker-Content-Digest": d.digest,
    };
    if (m.subject) headers["OCI-Subject"] = m.subject.digest.digest;
    sendEmpty(res, 201, headers);
  }

  private async deleteManifest(st: RegistryStorage, name: string, ref: string, res: ServerResponse): Promise<void> {
    if (looksLikeDigest(ref)) {
      const d = parseDigest(ref);
      if (!(await st.repos.deleteManifest(name, d))) throw manifestUnknown(ref);
    } else {
      if (!isValidTag(ref) || !(await st.repos.deleteTag(name, ref))) throw manifestUnknown(ref);
    }
    sendEmpty(res, 202);
  }

  private async referrers(
    st: RegistryStorage, name: string, subject: ParsedDigest, query: URLSearchParams, res: ServerResponse,
  ): Promise<void> {
    const filter = query.get("artifactType");
    const manifests = [];
    for (const { digest, link } of await st.repos.manifests(name)) {
      if (link.subject !== subject.digest) continue;
      if (filter !== null && link.artifactType !== filter) continue;
      manifests.push({
        mediaType: link.mediaType,
        digest: digest.digest,
        size: link.size,
        ...(link.artifactType !== undefined ? { artifactType: link.artifactType } : {}),
        ...(link.annotations !== undefined ? { annotations: link.annotations } : {}),
      });
    }
    const headers: Record<string, string> = { "Content-Type": MEDIA_TYPES.ociIndex };
    if (filter !== null) headers["OCI-Filters-Applied"] = "artifactType";
    sendJson(res, 200, { schemaVersion: 2, mediaType: MEDIA_TYPES.ociIndex, manifests }, headers);
  }

  // ---- blobs

  private async getBlob(st: RegistryStorage, name: string, d: ParsedDigest, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const visible = (await st.repos.hasBlobLink(name, d)) || (await st.repos.getManifest(name, d)) !== undefined;
    const size = visible ? await st.blobs.size(d) : undefined;
    if (size === undefined) throw blobUnknown(d);
    const headers: Record<string, string | number> = {
      "Docker-Content-Digest": d.digest,
      "Content-Type": "application/octet-stream",
      "Accept-Ranges": "bytes",
      ETag: `"${d.digest}"`,
    };
    const range = req.method === "GET" ? parseRangeHeader(req.headers.range, size) : undefined;
    if (range === "unsatisfiable") {
      throw registryError("SIZE_INVALID", `requested range not satisfiable for a blob of ${size} bytes`, {
        status: 416,
        headers: { "Content-Range": `bytes */${size}` },
      });
    }
    if (req.method === "HEAD") return sendEmpty(res, 200, { ...headers, "Content-Length": size });
    if (range !== undefined) {
      res.writeHead(206, {
        ...headers,
        "Content-Length": range.end - range.start + 1,
        "Content-Range": `bytes ${range.start}-${range.end}/${size}`,
      });
      await pipeline(st.blobs.read(d, range), res);
      return;
    }
    res.writeHead(200, { ...headers, "Content-Length": size });
    if (size === 0) {
      res.end();
      return;
    }
    await pipeline(st.blobs.read(d), res);
  }

  // ---- uploads

  private async startUpload(
    st: RegistryStorage, name: string, query: URLSearchParams, req: IncomingMessage, res: ServerResponse,
    account: string | undefined,
  ): Promise<void> {
    const mount = query.get("mount");
    const from = query.get("from");
    if (mount !== null && from !== null) {
      const d = parseDigest(mount);
      const permitted = !this.auth || this.auth.allowed(account, { type: "repository", name: from, actions: ["pull"] });
      if (
        isValidName(from) && permitted && (await st.repos.hasBlobLink(from, d)) && (await st.blobs.size(d)) !== undefined
      ) {
        await st.repos.linkBlob(name, d);
        return sendEmpty(res, 201, { Location: `/v2/${name}/blobs/${d.digest}`, "Docker-Content-Digest": d.digest });
      }
      // the spec's fallback: an ordinary upload session
    }
    const digest = query.get("digest");
    if (digest !== null) {
      const d = parseDigest(digest);
      await st.blobs.ingest(req, d, undefined, () => st.repos.linkBlob(name, d));
      return sendEmpty(res, 201, { Location: `/v2/${name}/blobs/${d.digest}`, "Docker-Content-Digest": d.digest });
    }
    if (hasBody(req)) req.resume();
    const s = await st.uploads.create(name);
    sendEmpty(res, 202, {
      Location: `/v2/${name}/blobs/uploads/${s.id}`,
      Range: uploadRange(0),
      "Docker-Upload-UUID": s.id,
    });
  }

  private async upload(
    st: RegistryStorage, name: string, id: string, method: string, query: URLSearchParams,
    req: IncomingMessage, res: ServerResponse,
  ): Promise<void> {
    const location = `/v2/${name}/blobs/uploads/${id}`;
    if (method === "GET") {
      const s = await st.uploads.get(name, id);
      return sendEmpty(res, 204, { Location: location, Range: uploadRange(s.size), "Docker-Upload-UUID": id });
    }
    if (method === "DELETE") {
      await st.uploads.cancel(name, id);
      return sendEmpty(res, 204);
    }
    if (method === "PATCH") {
      const range = parseContentRange(req.headers["content-range"]);
      const s = await st.uploads.append(name, id, req, range).catch((err: unknown) => {
        if (err instanceof RegistryError && err.status === 416) {
          throw registryError(err.code, err.message, {
            status: 416, detail: err.detail, headers: { ...err.headers, Location: location, "Docker-Upload-UUID": id },
          });
        }
        throw err;
      });
      return sendEmpty(res, 202, { Location: location, Range: uploadRange(s.size), "Docker-Upload-UUID": id });
    }
    // PUT: an optional last chunk, then verify and commit
    const digest = query.get("digest");
    if (digest === null) throw registryError("DIGEST_INVALID", "digest parameter missing");
    const d = parseDigest(digest);
    if (hasBody(req)) await st.uploads.append(name, id, req, parseContentRange(req.headers["content-range"]));
    else await st.uploads.get(name, id);
    await st.uploads.finish(name, id, d, () => st.repos.linkBlob(name, d));
    sendEmpty(res, 201, { Location: `/v2/${name}/blobs/${d.digest}`, "Docker-Content-Digest": d.digest });
  }
}

function blobUnknown(d: ParsedDigest): RegistryError {
  return registryError("BLOB_UNKNOWN", "blob unknown to registry", { detail: { digest: d.digest } });
}

function manifestUnknown(ref: string): RegistryError {
  return registryError("MANIFEST_UNKNOWN", "manifest unknown", { detail: { reference: ref } });
}

/**
 * A registry server over `opts.root`: node:https when `opts.tls` is given, else
 * node:http. It does not listen; call `listen` (or use `serveRegistry`).
 */
export function createRegistryServer(opts: RegistryServerOptions): Server {
  const handler = new RegistryHandler(opts);
  const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    void handler.handle(req, res);
  };
  if (opts.tls) return createHttpsServer({ cert: opts.tls.cert, key: opts.tls.key }, onRequest);
  return createHttpServer(onRequest);
}
