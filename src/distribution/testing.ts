/**
 * A small in-memory registry for the client's tests, on 127.0.0.1 port 0, with knobs
 * for misbehaviour (corrupted blobs, wrong lengths, stalls) and auth (Basic, Bearer with
 * a token endpoint). Only pulls: pushes are tested against berth's own registry.
 */
import { createHash } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/** sha256 digest of data. */
export function sha(data: Buffer | string): string {
  return `sha256:${createHash("sha256").update(data).digest("hex")}`;
}

/** Misbehaviour and auth settings; mutable while the server runs. */
export interface FakeRegistryOptions {
  /** Blobs served with their bytes flipped. */
  corrupt?: Set<string>;
  /** Blobs served with Content-Length off by one (and that many bytes). */
  wrongLength?: Set<string>;
  /** Blobs that send half their bytes and then hang. */
  stall?: Set<string>;
  /** Blob GETs answer 307 to `/storage/<digest>`, served without auth. */
  redirectBlobs?: boolean;
  /** "basic" or "bearer" requires credentials user:pass. */
  auth?: "basic" | "bearer";
  /** Ignore Range headers on blob GETs (send the whole blob with 200). */
  noRange?: boolean;
}

/** A running fake registry. */
export interface FakeRegistry {
  base: string;
  domain: string;
  opts: FakeRegistryOptions;
  /** Every request as "METHOD path". */
  log: string[];
  /** The Range header of each blob GET that had one, as "path range". */
  ranges: string[];
  /** Store a blob; returns its digest. */
  blob(data: Buffer | string): string;
  /** Store a manifest under its digest and `tag`; returns its digest. */
  manifest(repo: string, body: Buffer | string, mediaType: string, tag?: string): string;
  close(): Promise<void>;
}

/** Start a fake registry. */
export async function startFakeRegistry(opts: FakeRegistryOptions = {}): Promise<FakeRegistry> {
  const blobs = new Map<string, Buffer>();
  const manifests = new Map<string, { body: Buffer; mediaType: string }>();
  const log: string[] = [];
  const ranges: string[] = [];
  const stalled = new Set<ServerResponse>();
  const tokens = new Map<string, string>();
  let tokenCount = 0;
  const authorized = (req: IncomingMessage): boolean => {
    const h = req.headers.authorization ?? "";
    if (opts.auth === undefined) return true;
    if (opts.auth === "basic") return h === `Basic ${Buffer.from("user:pass").toString("base64")}`;
    const scope = tokens.get(h.replace(/^Bearer /, ""));
    return scope !== undefined;
  };
  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    const url = new URL(req.url ?? "/", "http://x");
    log.push(`${req.method} ${url.pathname}${url.search}`);
    if (url.pathname === "/token" && req.method === "POST") {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        const form = new URLSearchParams(Buffer.concat(chunks).toString());
        if (form.get("grant_type") !== "refresh_token" || form.get("refresh_token") !== "refresh-me") {
          res.writeHead(401, { "Content-Type": "application/json" }).end('{"errors":[{"code":"UNAUTHORIZED","message":"bad refresh token"}]}');
          return;
        }
        const token = `t${++tokenCount}`;
        tokens.set(token, form.get("scope") ?? "");
        res.writeHead(200, { "Content-Type": "application/json" }).end(JSON.stringify({ access_token: token, expires_in: 300 }));
      });
      return;
    }
    if (url.pathname === "/token") {
      if (req.headers.authorization !== `Basic ${Buffer.from("user:pass").toString("base64")}`) {
        res.writeHead(401, { "Content-Type": "application/json" }).end('{"errors":[{"code":"UNAUTHORIZED","message":"bad credentials"}]}');
        return;
      }
      const token = `t${++tokenCount}`;
      tokens.set(token, url.searchParams.getAll("scope").join(" "));
      res.writeHead(200, { "Content-Type": "application/json" }).end(JSON.stringify({ token, expires_in: 300 }));
      return;
    }
    const sm = /^\/storage\/(sha256:[a-f0-9]{64})$/.exec(url.pathname);
    if (sm !== null) {
      const data = blobs.get(sm[1] as string);
      if (data === undefined || req.headers.authorization !== undefined) {
        res.writeHead(403).end();
        return;
      }
      res.writeHead(200, { "Content-Length": data.length }).end(data);
      return;
    }
    if (!authorized(req)) {
      const addr = server.address() as AddressInfo;
      const m = /^\/v2\/(.+)\/(?:manifests|blobs)\//.exec(url.pathname);
      const challenge = opts.auth === "basic"
        ? 'Basic realm="fake"'
        : `Bearer realm="http://127.0.0.1:${addr.port}/token",service="fake"${m !== null ? `,scope="repository:${m[1]}:pull"` : ""}`;
      res.writeHead(401, { "WWW-Authenticate": challenge, "Content-Type": "application/json" })
        .end('{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}');
      return;
    }
    if (url.pathname === "/v2/") {
      res.writeHead(200, { "Content-Type": "application/json" }).end("{}");
      return;
    }
    const mm = /^\/v2\/(.+)\/manifests\/([^/]+)$/.exec(url.pathname);
    if (mm !== null) {
      const m = manifests.get(`${mm[1]}:${mm[2]}`);
      if (m === undefined) {
        res.writeHead(404, { "Content-Type": "application/json" }).end('{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]}');
        return;
      }
      res.writeHead(200, { "Content-Type": m.mediaType, "Content-Length": m.body.length, "Docker-Content-Digest": sha(m.body) });
      res.end(req.method === "HEAD" ? undefined : m.body);
      return;
    }
    const bm = /^\/v2\/(.+)\/blobs\/(sha256:[a-f0-9]{64})$/.exec(url.pathname);
    if (bm !== null) {
      const d = bm[2] as string;
      let data = blobs.get(d);
      if (data === undefined) {
        res.writeHead(404, { "Content-Type": "application/json" }).end('{"errors":[{"code":"BLOB_UNKNOWN","message":"blob unknown to registry"}]}');
        return;
      }
      if (opts.redirectBlobs === true && req.method === "GET") {
        res.writeHead(307, { Location: `/storage/${d}` }).end();
        return;
      }
      if (opts.corrupt?.has(d) === true) data = Buffer.from(data.map((b) => b ^ 0xff));
      if (opts.wrongLength?.has(d) === true) data = Buffer.concat([data, Buffer.from("x")]);
      const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? "");
      if (req.headers.range !== undefined) ranges.push(`${url.pathname} ${req.headers.range}`);
      if (range !== null && opts.noRange !== true && req.method === "GET" && Number(range[1]) < data.length) {
        const from = Number(range[1]);
        res.writeHead(206, { "Content-Type": "application/octet-stream", "Content-Length": data.length - from, "Content-Range": `bytes ${from}-${data.length - 1}/${data.length}` });
        data = data.subarray(from);
      } else {
        res.writeHead(200, { "Content-Type": "application/octet-stream", "Content-Length": data.length });
      }
      if (req.method === "HEAD") {
        res.end();
        return;
      }
      if (opts.stall?.has(d) === true) {
        res.write(data.subarray(0, Math.floor(data.length / 2)));
        stalled.add(res);
        return;
      }
      res.end(data);
      return;
    }
    res.writeHead(404).end();
  };
  const server: Server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    base: `http://127.0.0.1:${port}`,
    domain: `127.0.0.1:${port}`,
    opts,
    log,
    ranges,
    blob(data) {
      const buf = Buffer.from(data);
      const d = sha(buf);
      blobs.set(d, buf);
      return d;
    },
    manifest(repo, body, mediaType, tag) {
      const buf = Buffer.from(body);
      const d = sha(buf);
      manifests.set(`${repo}:${d}`, { body: buf, mediaType });
      if (tag !== undefined) manifests.set(`${repo}:${tag}`, { body: buf, mediaType });
      return d;
    },
    async close() {
      for (const r of stalled) r.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Put a one-platform image (config + uncompressed layers) in `reg`; returns its parts. */
export function addImage(reg: FakeRegistry, repo: string, tag: string | undefined, layers: string[], arch = "amd64"): { manifest: string; config: string; layers: string[]; body: Buffer } {
  const layerDigests = layers.map((l) => reg.blob(l));
  const config = JSON.stringify({ architecture: arch, os: "linux", rootfs: { type: "layers", diff_ids: layerDigests } });
  const configDigest = reg.blob(config);
  const body = Buffer.from(JSON.stringify({
    schemaVersion: 2,
    mediaType: "application/vnd.oci.image.manifest.v1+json",
    config: { mediaType: "application/vnd.oci.image.config.v1+json", digest: configDigest, size: Buffer.byteLength(config) },
    layers: layers.map((l, i) => ({ mediaType: "application/vnd.oci.image.layer.v1.tar", digest: layerDigests[i], size: Buffer.byteLength(l) })),
  }));
  const manifest = reg.manifest(repo, body, "application/vnd.oci.image.manifest.v1+json", tag);
  return { manifest, config: configDigest, layers: layerDigests, body };
}
