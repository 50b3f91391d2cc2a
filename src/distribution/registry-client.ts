/**
 * A client for one registry (distribution spec 1.1): ping, manifests, blobs in and out.
 * Blobs go straight into the content store, which verifies digest and size before a
 * blob becomes visible, so a corrupted or truncated download leaves nothing behind.
 */
import type { IncomingMessage } from "node:http";
import { PassThrough, Readable, Transform } from "node:stream";
import type { ContentStore, Descriptor, ResumableIngest } from "../store/content/content-store.js";
import { digestOf } from "../store/content/content-store.js";
import { endpointsFor, type RegistryConfig } from "./endpoints.js";
import type { AuthConfig } from "./credentials.js";
import { invalidArgument, unauthenticated, unavailable, BerthError } from "./errors.js";
import { watchBodyIdle } from "./body-idle.js";
import { discard, readBody, send } from "./http.js";
import { MANIFEST_ACCEPT, MAX_MANIFEST_BYTES } from "./media-types.js";
import { RegistrySession, responseError, type RegistryRequest } from "./session.js";

/** Options of a client. */
export interface RegistryClientOptions {
  /** Registry domain of the references ("docker.io", "127.0.0.1:5000"). */
  domain: string;
  config?: RegistryConfig;
  auth?: AuthConfig;
  userAgent?: string;
  /** Upload chunk size; 0 (the default) uploads monolithically. */
  chunkSize?: number;
  /** A blob download that receives nothing for this long fails. @default 60000 */
  bodyIdleTimeoutMs?: number;
}

/** A fetched manifest or index. */
export interface FetchedManifest {
  mediaType: string;
  digest: string;
  body: Buffer;
}

/** What happened to a pushed blob. */
export type BlobPushResult = "exists" | "mounted" | "pushed";

function pullScope(repo: string): string {
  return `repository:${repo}:pull`;
}

function pushScope(repo: string): string {
  return `repository:${repo}:pull,push`;
}

function contentType(res: IncomingMessage): string {
  return (res.headers["content-type"] ?? "").split(";")[0]?.trim() ?? "";
}

/** Registry operations for one domain, with its endpoints and credentials. */
export class RegistryClient {
  readonly domain: string;
  private readonly sessions: RegistrySession[];
  private readonly mirrorFlags: boolean[];
  /** Index of the endpoint pulls use; moves past mirrors that fail. */
  private current = 0;
  private readonly chunkSize: number;
  private readonly bodyIdleTimeoutMs: number;

  constructor(opts: RegistryClientOptions) {
    this.domain = opts.domain;
    const eps = endpointsFor(opts.domain, opts.config ?? {});
    this.sessions = eps.map((e) => new RegistrySession(e.base, e.mirror ? {} : opts.auth ?? {}, opts.userAgent ?? "berth"));
    this.mirrorFlags = eps.map((e) => e.mirror);
    this.chunkSize = opts.chunkSize ?? 0;
    this.bodyIdleTimeoutMs = opts.bodyIdleTimeoutMs ?? 60_000;
  }

  /** The session of the registry itself (push, login), never a mirror. */
  private get origin(): RegistrySession {
    return this.sessions[this.sessions.length - 1] as RegistrySession;
  }

  /** Token requests made so far by every session (tests check reuse with it). */
  get tokenRequests(): number {
    return this.sessions.reduce((n, s) => n + s.tokenRequests, 0);
  }

  /** Run a pull-side request, falling through failing mirrors to the registry. */
  private async pullRequest(req: RegistryRequest, ok: (status: number) => boolean): Promise<IncomingMessage> {
    for (;;) {
      const s = this.sessions[this.current] as RegistrySession;
      const isMirror = this.mirrorFlags[this.current] === true;
      try {
        const res = await s.request(req);
        if (!isMirror || ok(res.statusCode ?? 0)) return res;
        await discard(res);
      } catch (err) {
        if (!isMirror) throw err;
      }
      this.current++;
    }
  }

  /** GET /v2/: check the registry speaks the API (and that credentials work). */
  async ping(signal?: AbortSignal): Promise<void> {
    const res = await this.origin.request({ method: "GET", path: "/v2/", signal });
    if (res.statusCode === 200) {
      await discard(res);
      return;
    }
    if (res.statusCode === 401) {
      await discard(res);
      throw unauthenticated(`login ${this.domain}: unauthorized: incorrect username or password`);
    }
    throw await responseError(`ping ${this.domain}`, res);
  }

  /**
   * Log in: succeed when the registry accepts the credentials for `/v2/` (Basic), or
   * issues a token with them (Bearer), as `docker login` checks.
   */
  async login(signal?: AbortSignal): Promise<void> {
    await this.ping(signal);
  }

  /** GET a manifest or index by tag or digest; verified against the digest when by digest. */
  async getManifest(repo: string, reference: string, signal?: AbortSignal): Promise<FetchedManifest> {
    const path = `/v2/${repo}/manifests/${reference}`;
    const res = await this.pullRequest({ method: "GET", path, headers: { Accept: MANIFEST_ACCEPT.join(", ") }, scopes: [pullScope(repo)], signal }, (s) => s === 200);
    if (res.statusCode !== 200) throw await responseError(`fetch manifest ${repo}:${reference}`, res);
    let body: Buffer;
    try {
      body = await readBody(res, MAX_MANIFEST_BYTES);
    } catch (err) {
      if (err instanceof RangeError) throw invalidArgument(`fetch manifest ${repo}:${reference}: manifest exceeds the ${MAX_MANIFEST_BYTES} byte limit`);
      throw err;
    }
    const digest = digestOf(body);
    if (reference.startsWith("sha256:") && digest !== reference) {
      throw invalidArgument(`fetch manifest ${repo}@${reference}: content has digest ${digest}`);
    }
    let mediaType = contentType(res);
    try {
      const j = JSON.parse(body.toString("utf8")) as { mediaType?: unknown; manifests?: unknown; config?: unknown };
      if (typeof j.mediaType === "string" && j.mediaType !== "") mediaType = j.mediaType;
      else if (Array.isArray(j.manifests)) mediaType = "application/vnd.oci.image.index.v1+json";
      else if (j.config !== undefined && (mediaType === "" || mediaType === "application/json")) mediaType = "application/vnd.oci.image.manifest.v1+json";
    } catch {
      throw invalidArgument(`fetch manifest ${repo}:${reference}: manifest is not JSON`);
    }
    return { mediaType, digest, body };
  }

  /** HEAD a blob: its size when the registry has it, else undefined. */
  async blobSize(repo: string, digest: string, signal?: AbortSignal, scopes = [pullScope(repo)]): Promise<number | undefined> {
    const res = await this.origin.request({ method: "HEAD", path: `/v2/${repo}/blobs/${digest}`, scopes, signal });
    if (res.statusCode === 200 || res.statusCode === 404) await discard(res);
    if (res.statusCode === 200) return Number(res.headers["content-length"] ?? -1);
    if (res.statusCode === 404) return undefined;
    throw await responseError(`check blob ${digest}`, res);
  }

  /**
   * Stream a blob into `content`, verified against `desc`. `onBytes` sees the running
   * byte count. A wrong Content-Length, size or digest fails and stores nothing. Bytes
   * of an earlier, interrupted download are kept by the content store and continued with
   * a Range request (as containerd resumes); a registry that ignores Range sends it all.
   * `tee`, when given, is called (at most once, and only when the blob is fetched from
   * its first byte) with a second copy of the bytes as they arrive, so the caller can
   * extract a layer while it downloads; the stored blob is still verified as a whole.
   */
  async fetchBlob(repo: string, desc: Descriptor, content: ContentStore, onBytes?: (n: number) => void, signal?: AbortSignal, tee?: (copy: Readable) => void): Promise<Descriptor> {
    const ingest = await content.resumable(desc);
    try {
      if (await content.has(desc.digest)) return desc;
      const from = ingest.offset > 0 && ingest.offset < desc.size ? ingest.offset : 0;
      try {
        return await this.download(repo, desc, ingest, from, onBytes, signal, from === 0 ? tee : undefined);
      } catch (err) {
        // Kept bytes that fail verification (a crash cut them, or the blob changed):
        // the store dropped them, so start over once.
        if (from === 0 || !(err instanceof BerthError) || err.kind !== "invalid-argument") throw err;
        return await this.download(repo, desc, ingest, 0, onBytes, signal);
      }
    } finally {
      ingest.close();
    }
  }

  private async download(repo: string, desc: Descriptor, ingest: ResumableIngest, from: number, onBytes: ((n: number) => void) | undefined, signal: AbortSignal | undefined, tee?: (copy: Readable) => void): Promise<Descriptor> {
    const headers: Record<string, string> = from > 0 ? { Range: `bytes=${from}-` } : {};
    let res = await this.pullRequest({ method: "GET", path: `/v2/${repo}/blobs/${desc.digest}`, headers, scopes: [pullScope(repo)], signal }, (s) => s === 200 || s === 206 || isRedirect(s));
    // Registries often redirect blob GETs to storage (S3, a CDN); that request carries no
    // registry credentials, as distribution's client drops them on redirect.
    for (let hops = 0; isRedirect(res.statusCode ?? 0); hops++) {
      const loc = res.headers.location;
      await discard(res);
      if (loc === undefined || hops >= 5) throw unavailable(`fetch blob ${desc.digest}: too many or empty redirects`);
      const url = new URL(loc, this.sessions[this.current]?.base);
      if (url.protocol !== "http:" && url.protocol !== "https:") throw unavailable(`fetch blob ${desc.digest}: redirect to "${loc}"`);
      res = await send({ method: "GET", url, headers: { "User-Agent": "berth", ...headers }, signal });
    }
    let start = 0;
    if (res.statusCode === 206 && from > 0) {
      const cr = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(String(res.headers["content-range"] ?? ""));
      if (cr === null || Number(cr[1]) !== from || Number(cr[2]) !== desc.size - 1 || (cr[3] !== "*" && Number(cr[3]) !== desc.size)) {
        res.destroy();
        throw unavailable(`fetch blob ${desc.digest}: unexpected Content-Range "${String(res.headers["content-range"] ?? "")}" for bytes ${from}-`);
      }
      start = from;
    } else if (res.statusCode !== 200) {
      throw await responseError(`fetch blob ${desc.digest}`, res);
    }
    const declared = res.headers["content-length"];
    if (declared !== undefined && Number(declared) !== desc.size - start) {
      res.destroy();
      throw invalidArgument(`fetch blob ${desc.digest}: content length ${declared} does not match the descriptor size ${desc.size}${start > 0 ? ` from byte ${start}` : ""}`);
    }
    let n = start;
    const meter = new Transform({
      transform(chunk: Buffer, _enc, cb) {
        n += chunk.length;
        onBytes?.(n);
        cb(null, chunk);
      },
    });
    res.on("aborted", () => meter.destroy(unavailable(`fetch blob ${desc.digest}: connection closed after ${n} bytes`)));
    watchBodyIdle(res, this.bodyIdleTimeoutMs, () => {
      // the partial bytes stay in the ingest for a later resume; nothing becomes visible
      meter.destroy(unavailable(`fetch blob ${desc.digest}: no data from the registry for ${this.bodyIdleTimeoutMs / 1000} s after ${n} of ${desc.size} bytes`));
      res.destroy();
    });
    const body = res.pipe(meter);
    let stored: Readable = body;
    if (tee !== undefined && start === 0) {
      // pipe() to two streams pauses the source while either is full. The copy fails
      // with the download; a consumer that stops early is drained by the caller.
      const kept = new PassThrough({ highWaterMark: 1 << 20 });
      const copy = new PassThrough({ highWaterMark: 1 << 20 });
      body.on("error", (e) => {
        kept.destroy(e);
        copy.destroy(e);
      });
      body.pipe(kept);
      body.pipe(copy);
      stored = kept;
      tee(copy);
    }
    try {
      return await ingest.write(stored, start);
    } catch (err) {
      res.destroy();
      if (err instanceof BerthError) throw err;
      throw unavailable(`fetch blob ${desc.digest}: ${(err as Error).message}`, err);
    }
  }

  /**
   * Push one blob: nothing when the registry has it, a cross-repository mount when
   * `mountFrom` names a repository of this registry that has it, else an upload
   * (monolithic PUT, or PATCH chunks then PUT when a chunk size is set).
   */
  async pushBlob(repo: string, desc: Descriptor, open: () => Readable, opts: { mountFrom?: string; onBytes?: (n: number) => void; signal?: AbortSignal } = {}): Promise<BlobPushResult> {
    const scopes = [pushScope(repo)];
    if (opts.mountFrom !== undefined && opts.mountFrom !== repo) scopes.push(pullScope(opts.mountFrom));
    const have = await this.blobSize(repo, desc.digest, opts.signal, scopes);
    if (have !== undefined) return "exists";
    const s = this.origin;
    let startPath = `/v2/${repo}/blobs/uploads/`;
    if (opts.mountFrom !== undefined && opts.mountFrom !== repo) {
      startPath += `?mount=${encodeURIComponent(desc.digest)}&from=${encodeURIComponent(opts.mountFrom)}`;
    }
    const start = await s.request({ method: "POST", path: startPath, headers: { "Content-Length": 0 }, scopes, signal: opts.signal });
    if (start.statusCode === 201) {
      await discard(start);
      return "mounted";
    }
    if (start.statusCode !== 202) throw await responseError(`push blob ${desc.digest}`, start);
    await discard(start);
    let location = this.locationOf(start, s.base);
    if (this.chunkSize > 0 && desc.size > this.chunkSize) {
      const buf = await readAll(open());
      if (buf.length !== desc.size || digestOf(buf) !== desc.digest) {
        throw invalidArgument(`push blob ${desc.digest}: local content does not match its descriptor`);
      }
      for (let off = 0; off < buf.length; off += this.chunkSize) {
        const chunk = buf.subarray(off, Math.min(buf.length, off + this.chunkSize));
        const res = await s.request({
          method: "PATCH", path: location, scopes, signal: opts.signal, body: chunk,
          headers: { "Content-Type": "application/octet-stream", "Content-Length": chunk.length, "Content-Range": `${off}-${off + chunk.length - 1}` },
        });
        if (res.statusCode !== 202) throw await responseError(`push blob ${desc.digest}`, res);
        await discard(res);
        location = this.locationOf(res, s.base);
        opts.onBytes?.(off + chunk.length);
      }
      const done = await s.request({ method: "PUT", path: withDigest(location, desc.digest), scopes, signal: opts.signal, body: Buffer.alloc(0), headers: { "Content-Length": 0 } });
      if (done.statusCode !== 201) throw await responseError(`push blob ${desc.digest}`, done);
      await discard(done);
      return "pushed";
    }
    // Streamed: the registry checks the digest; the content store's blobs are verified at ingest.
    const body = (): Readable => {
      let n = 0;
      const meter = new Transform({
        transform(chunk: Buffer, _enc, cb) {
          n += chunk.length;
          opts.onBytes?.(n);
          cb(null, chunk);
        },
      });
      const src = open();
      src.on("error", (e) => meter.destroy(e));
      return src.pipe(meter);
    };
    const res = await s.request({
      method: "PUT", path: withDigest(location, desc.digest), scopes, signal: opts.signal, body,
      headers: { "Content-Type": "application/octet-stream", "Content-Length": desc.size },
    });
    if (res.statusCode !== 201) throw await responseError(`push blob ${desc.digest}`, res);
    await discard(res);
    return "pushed";
  }

  private locationOf(res: IncomingMessage, base: string): string {
    const loc = res.headers.location;
    if (loc === undefined || loc === "") throw unavailable("push blob: upload response has no Location");
    const url = new URL(loc, base);
    if (url.origin !== new URL(base).origin) throw unavailable(`push blob: upload location "${loc}" is on another host`);
    return `${url.pathname}${url.search}`;
  }

  /** PUT a manifest under a tag or digest; returns its digest. */
  async putManifest(repo: string, reference: string, mediaType: string, body: Buffer, signal?: AbortSignal): Promise<string> {
    const res = await this.origin.request({
      method: "PUT", path: `/v2/${repo}/manifests/${reference}`, scopes: [pushScope(repo)], signal, body,
      headers: { "Content-Type": mediaType, "Content-Length": body.length },
    });
    if (res.statusCode !== 201) throw await responseError(`push manifest ${repo}:${reference}`, res);
    await discard(res);
    const digest = digestOf(body);
    const said = res.headers["docker-content-digest"];
    if (typeof said === "string" && said !== "" && said !== digest) {
      throw unavailable(`push manifest ${repo}:${reference}: registry computed digest ${said}, expected ${digest}`);
    }
    return digest;
  }
}

function isRedirect(status: number): boolean {
  return status === 301 || status === 302 || status === 303 || status === 307 || status === 308;
}

function withDigest(location: string, digest: string): string {
  return `${location}${location.includes("?") ? "&" : "?"}digest=${encodeURIComponent(digest)}`;
}

async function readAll(r: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of r as AsyncIterable<Buffer>) chunks.push(c);
  return Buffer.concat(chunks);
}
