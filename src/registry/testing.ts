/**
 * Helpers for the registry's tests: a server on 127.0.0.1 port 0 over a temp root, raw
 * requests (fetch normalises `..` in paths, these do not) and push shortcuts.
 */
import { createHash } from "node:crypto";
import { request as httpRequest, type IncomingHttpHeaders } from "node:http";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { AddressInfo } from "node:net";
import { createRegistryServer, type RegistryServerOptions } from "./server.js";

/** A registry listening on loopback for one test. */
export interface TestRegistry {
  base: string;
  port: number;
  root: string;
  /** Stop the server (the root stays until `cleanup`). */
  stop(): Promise<void>;
  /** Stop the server and remove the root. */
  cleanup(): Promise<void>;
}

/** Start a registry on 127.0.0.1:0 over `root` (a new temp dir when absent). */
export async function startTestRegistry(opts: Partial<RegistryServerOptions> = {}): Promise<TestRegistry> {
  const root = opts.root ?? (await mkdtemp(join(tmpdir(), "berth-registry-test-")));
  const server = createRegistryServer({ ...opts, root });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return {
    base: `${opts.tls ? "https" : "http"}://127.0.0.1:${port}`,
    port,
    root,
    stop,
    cleanup: async () => {
      await stop();
      await rm(root, { recursive: true, force: true });
    },
  };
}

/** A response read whole. */
export interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** Send a request with the path exactly as given. */
export function rawRequest(
  port: number, method: string, path: string, body?: Buffer | string, headers: Record<string, string | number> = {},
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: "127.0.0.1", port, method, path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end(body);
  });
}

/** "sha256:<hex>" (or sha512) of data. */
export function digest(data: Buffer | string, algorithm: "sha256" | "sha512" = "sha256"): string {
  return `${algorithm}:${createHash(algorithm).update(data).digest("hex")}`;
}

/** Push a blob monolithically; returns its digest. Throws unless 201. */
export async function pushBlob(base: string, repo: string, data: Buffer | string, headers: Record<string, string> = {}): Promise<string> {
  const d = digest(data);
  const res = await fetch(`${base}/v2/${repo}/blobs/uploads/?digest=${d}`, {
    method: "POST", body: Buffer.from(data), headers: { "Content-Type": "application/octet-stream", ...headers },
  });
  if (res.status !== 201) throw new Error(`push blob: status ${res.status}: ${await res.text()}`);
  return d;
}

/** An OCI image manifest for a config and layers already pushed. */
export function imageManifest(config: string, layers: string[], extra: Record<string, unknown> = {}): Buffer {
  return Buffer.from(JSON.stringify({
    schemaVersion: 2,
    mediaType: "application/vnd.oci.image.manifest.v1+json",
    config: { mediaType: "application/vnd.oci.image.config.v1+json", digest: digest(config), size: Buffer.byteLength(config) },
    layers: layers.map((l) => ({ mediaType: "application/vnd.oci.image.layer.v1.tar", digest: digest(l), size: Buffer.byteLength(l) })),
    ...extra,
  }));
}

/** Push a small image (config + layers + manifest) under `ref`; returns the manifest digest and body. */
export async function pushImage(
  base: string, repo: string, ref: string, seed: string, headers: Record<string, string> = {}, extra: Record<string, unknown> = {},
): Promise<{ digest: string; body: Buffer; config: string; layer: string }> {
  const config = JSON.stringify({ architecture: "amd64", os: "linux", seed });
  const layer = `layer of ${seed}`;
  await pushBlob(base, repo, config, headers);
  await pushBlob(base, repo, layer, headers);
  const body = imageManifest(config, [layer], extra);
  const res = await fetch(`${base}/v2/${repo}/manifests/${ref}`, {
    method: "PUT", body, headers: { "Content-Type": "application/vnd.oci.image.manifest.v1+json", ...headers },
  });
  if (res.status !== 201) throw new Error(`push manifest: status ${res.status}: ${await res.text()}`);
  return { digest: digest(body), body, config, layer };
}

/** The first error code of a spec error body. */
export async function errorCode(res: Response): Promise<string | undefined> {
  const j = (await res.json()) as { errors?: Array<{ code?: string }> };
  return j.errors?.[0]?.code;
}
