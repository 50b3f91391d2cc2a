/**
 * Pull: resolve the reference to one image manifest (choosing from an index by
 * platform), fetch the config, download missing layers three at a time into the content
 * store, extract each as soon as it and its parent are ready, then hand the image to
 * the sink. Layers already extracted are not downloaded; blobs already in the content
 * store (a killed pull's finished downloads) are not downloaded again.
 */
import { createHash } from "node:crypto";
import type { Readable } from "node:stream";
import type { ContentStore, Descriptor } from "../store/content/content-store.js";
import { BerthError, invalidArgument } from "./errors.js";
import { limiter } from "./limit.js";
import { configDiffIds, parseImageManifest, parseIndex, type TypedDescriptor } from "./manifest.js";
import { isIndexType, isManifestType } from "./media-types.js";
import { hostPlatform, selectManifest, type Platform } from "./platform.js";
import { byteProgress, noProgress, shortDigest, type ProgressSink } from "./progress.js";
import type { RegistryClient } from "./registry-client.js";
import { displayName, manifestReference, validateRepositoryRef, type RepositoryRef } from "./repository.js";

/** What the pull needs from the image and layer side (implemented where images live). */
export interface PullSink {
  /** Where blobs are downloaded to. */
  content: ContentStore;
  /** True when the layer with this chain id is already extracted. */
  hasLayer(chainId: string): Promise<boolean>;
  /** Extract blob `digest` as the layer on `parent`, verified against `diffId`. */
  applyLayer(digest: string, parent: string | undefined, diffId: string): Promise<void>;
  /**
   * Extract a layer from its bytes as they download (the compressed blob, unverified:
   * the diff id check is what makes the layer trustworthy). Optional: without it every
   * layer is extracted from the content store after its download.
   */
  applyLayerStream?(blob: Readable, parent: string | undefined, diffId: string): Promise<void>;
  /** Record the image; returns its id and whether the reference now names a different image. */
  commitImage(image: PulledImage): Promise<{ id: string; changed: boolean }>;
  /**
   * Keep these blobs (the config and layers) from the store's cleanup of unreferenced
   * blobs until the returned release is called: between download and `commitImage` no
   * image references them.
   */
  hold?(digests: string[]): () => void;
}

/** A pulled image, handed to `PullSink.commitImage`. */
export interface PulledImage {
  ref: RepositoryRef;
  config: Buffer;
  configDigest: string;
  layers: TypedDescriptor[];
  /** Digest of what the reference resolved to (the index, for a multi-platform image). */
  digest: string;
  manifestDigest: string;
  manifest: Buffer;
}

/** Options of `pull`. */
export interface PullOptions {
  client: RegistryClient;
  ref: RepositoryRef;
  sink: PullSink;
  /** @default this machine's platform */
  platform?: Platform | undefined;
  progress?: ProgressSink;
  /** Layers downloaded at once. @default 3 */
  concurrency?: number;
  signal?: AbortSignal | undefined;
}

/** The outcome of a pull. */
export interface PullResult {
  id: string;
  digest: string;
  /** Layers downloaded by this pull (not found locally). */
  downloaded: string[];
}

/** chain ids of diff ids (image-spec: ChainID(L0|…|Ln) = sha256(ChainID(…n-1) + " " + DiffID(Ln))). */
function chainIds(diffIds: string[]): string[] {
  const out: string[] = [];
  let prev: string | undefined;
  for (const d of diffIds) {
    prev = prev === undefined ? d : `sha256:${createHash("sha256").update(`${prev} ${d}`).digest("hex")}`;
    out.push(prev);
  }
  return out;
}

/** "busybox" for docker.io/library/busybox, else the display name. */
function familiar(ref: RepositoryRef): string {
  const n = displayName(ref);
  return ref.domain === "docker.io" && /^library\/[^/]+$/.test(n) ? n.slice("library/".length) : n;
}

/** Pull `ref` into `sink`, reporting progress as docker does. */
export async function pull(opts: PullOptions): Promise<PullResult> {
  const { client, ref, sink } = opts;
  const progress = opts.progress ?? noProgress;
  validateRepositoryRef(ref);
  const repo = ref.path;
  const reference = manifestReference(ref);
  // As moby, nothing is reported before the manifest is fetched, so an unknown image or
  // refused credentials can still become an HTTP error rather than a stream message.
  let top = await client.getManifest(repo, reference, opts.signal);
  progress({ status: `Pulling from ${displayName(ref)}`, id: ref.digest ?? ref.tag ?? "latest" });
  const digest = top.digest;
  if (isIndexType(top.mediaType)) {
    const entry = selectManifest(parseIndex(top.body), opts.platform ?? hostPlatform());
    top = await client.getManifest(repo, entry.digest, opts.signal);
    if (top.digest !== entry.digest) throw invalidArgument(`pull ${repo}: manifest digest ${top.digest} does not match the index entry ${entry.digest}`);
  }
  if (!isManifestType(top.mediaType)) {
    throw invalidArgument(`pull ${repo}: unsupported manifest media type "${top.mediaType}"`);
  }
  const manifest = parseImageManifest(top.body);
  const release = sink.hold?.([manifest.config.digest, ...manifest.layers.map((l) => l.digest)]) ?? (() => undefined);
  try {
    return await pullImage(opts, manifest, top, digest, progress);
  } finally {
    release();
  }
}

/** The part of `pull` after the manifest is known: config, layers, the image. */
async function pullImage(opts: PullOptions, manifest: ReturnType<typeof parseImageManifest>, top: { digest: string; body: Buffer }, digest: string, progress: ProgressSink): Promise<PullResult> {
  const { client, ref, sink } = opts;
  const repo = ref.path;

  const config = (await sink.content.has(manifest.config.digest))
    ? await sink.content.readBuffer(manifest.config.digest)
    : await (async () => {
      await client.fetchBlob(repo, manifest.config, sink.content, undefined, opts.signal);
      return sink.content.readBuffer(manifest.config.digest);
    })();
  const diffIds = configDiffIds(config);
  if (diffIds.length !== manifest.layers.length) {
    throw invalidArgument(`pull ${repo}: config lists ${diffIds.length} layers but the manifest has ${manifest.layers.length}`);
  }
  const chains = chainIds(diffIds);

  const present = await Promise.all(chains.map((c) => sink.hasLayer(c)));
  const downloaded: string[] = [];
  for (const [i, l] of manifest.layers.entries()) {
    progress({ status: present[i] === true ? "Already exists" : "Pulling fs layer", id: shortDigest(l.digest) });
  }

  const abort = new AbortController();
  const onAbort = (): void => abort.abort();
  opts.signal?.addEventListener("abort", onAbort);
  const concurrency = opts.concurrency ?? 3;
  let queued = 0;
  const limit = limiter(concurrency);
  // Layers being extracted while they download, and which layers are extracted.
  const streaming: Array<Promise<void> | undefined> = [];
  const extracted: boolean[] = [];
  const downloads: Array<Promise<void>> = manifest.layers.map((l, i) => {
    if (present[i] === true) return Promise.resolve();
    // Layers beyond the first `concurrency` wait for a slot, as docker reports them.
    if (queued++ >= concurrency) progress({ status: "Waiting", id: shortDigest(l.digest) });
    return limit(async () => {
      abort.signal.throwIfAborted();
      const id = shortDigest(l.digest);
      if (!(await sink.content.has(l.digest))) {
        const report = byteProgress(progress, "Downloading", id, l.size);
        // When the parent is already extracted, extract this layer from the download
        // itself instead of reading the blob back afterwards.
        const parentReady = i === 0 || extracted[i - 1] === true;
        const tee = sink.applyLayerStream !== undefined && parentReady
          ? (copy: Readable) => {
            const applying = (sink.applyLayerStream as NonNullable<PullSink["applyLayerStream"]>)(copy, i === 0 ? undefined : chains[i - 1], diffIds[i] as string);
            // A consumer that stops early must not hold the download back.
            streaming[i] = applying.finally(() => copy.resume());
            streaming[i]?.catch(() => undefined);
          }
          : undefined;
        await client.fetchBlob(repo, l as Descriptor, sink.content, (n) => report(n), abort.signal, tee);
        report(l.size, true);
        progress({ status: "Verifying Checksum", id });
        downloaded.push(l.digest);
      }
      progress({ status: "Download complete", id });
    });
  });
  // Extract in order as soon as each layer and its parent are ready.
  const applied: Array<Promise<void>> = [];
  for (const [i, l] of manifest.layers.entries()) {
    const before = i === 0 ? Promise.resolve() : (applied[i - 1] as Promise<void>);
    applied.push(Promise.all([before, downloads[i]]).then(async () => {
      if (present[i] === true) {
        extracted[i] = true;
        return;
      }
      abort.signal.throwIfAborted();
      const id = shortDigest(l.digest);
      progress({ status: "Extracting", progressDetail: { current: l.size, total: l.size }, id });
      const s = streaming[i];
      if (s !== undefined) await s;
      else await sink.applyLayer(l.digest, i === 0 ? undefined : chains[i - 1], diffIds[i] as string);
      extracted[i] = true;
      progress({ status: "Pull complete", id });
    }));
  }
  const results = await Promise.allSettled([...downloads, ...applied]);
  opts.signal?.removeEventListener("abort", onAbort);
  const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
  if (failed !== undefined) {
    abort.abort();
    const err = failed.reason as unknown;
    throw err instanceof BerthError ? err : invalidArgument(`pull ${repo}: ${(err as Error).message}`, err);
  }

  const { id, changed } = await sink.commitImage({
    ref, config, configDigest: manifest.config.digest, layers: manifest.layers, digest, manifestDigest: top.digest, manifest: top.body,
  });
  progress({ status: `Digest: ${digest}` });
  const shown = `${familiar(ref)}${ref.digest !== undefined ? `@${ref.digest}` : `:${ref.tag ?? "latest"}`}`;
  progress({ status: changed || downloaded.length > 0 ? `Status: Downloaded newer image for ${shown}` : `Status: Image is up to date for ${shown}` });
  return { id, digest, downloaded };
}
