/**
 * Push: upload an image's layers (three at a time) and config, skipping blobs the
 * registry has and mounting from another repository when the caller knows one, then
 * put the manifest under the tag. Reports progress as `docker push` does.
 */
import type { ContentStore } from "../store/content/content-store.js";
import { createReadStream } from "node:fs";
import { invalidArgument, notFound } from "./errors.js";
import { limiter } from "./limit.js";
import { parseImageManifest, type TypedDescriptor } from "./manifest.js";
import { MEDIA } from "./media-types.js";
import { byteProgress, noProgress, shortDigest, type ProgressSink } from "./progress.js";
import type { RegistryClient } from "./registry-client.js";
import { manifestReference, repositoryName, validateRepositoryRef, type RepositoryRef } from "./repository.js";

/** Options of `push`. */
export interface PushOptions {
  client: RegistryClient;
  /** Where to push; the tag names the manifest (a digest reference pushes by digest). */
  ref: RepositoryRef;
  /** Holds the manifest, config and layer blobs. */
  content: ContentStore;
  /** Digest of the image manifest in `content`. */
  manifestDigest: string;
  /** A repository of the same registry that may hold a blob already (cross-repo mount). */
  mountFrom?: (digest: string) => string | undefined;
  progress?: ProgressSink;
  /** @default 3 */
  concurrency?: number;
  signal?: AbortSignal | undefined;
}

/** The outcome of a push. */
export interface PushResult {
  digest: string;
  size: number;
  /** Layer digests uploaded (not already there, not mounted). */
  uploaded: string[];
  mounted: string[];
}

/** Push an image from the content store to `ref`. */
export async function push(opts: PushOptions): Promise<PushResult> {
  const { client, ref, content } = opts;
  const progress = opts.progress ?? noProgress;
  validateRepositoryRef(ref);
  const repo = ref.path;
  progress({ status: `The push refers to repository [${repositoryName(ref)}]` });
  const body = await content.readBuffer(opts.manifestDigest);
  const manifest = parseImageManifest(body);
  let mediaType: string = MEDIA.ociManifest;
  try {
    const mt = (JSON.parse(body.toString("utf8")) as { mediaType?: unknown }).mediaType;
    if (typeof mt === "string" && mt !== "") mediaType = mt;
  } catch {
    throw invalidArgument(`push ${repo}: stored manifest is not JSON`);
  }
  // docker lists layers top-most first.
  const layers = [...manifest.layers].reverse();
  for (const l of layers) progress({ status: "Preparing", id: shortDigest(l.digest) });
  const limit = limiter(opts.concurrency ?? 3);
  const uploaded: string[] = [];
  const mounted: string[] = [];
  const one = async (d: TypedDescriptor, show: boolean): Promise<void> => {
    const id = shortDigest(d.digest);
    const from = opts.mountFrom?.(d.digest);
    const report = byteProgress(progress, "Pushing", id, d.size);
    if (!(await content.has(d.digest))) throw notFound(`push ${repo}: blob ${d.digest} is not in the content store`);
    const res = await client.pushBlob(repo, d, () => createReadStream(content.path(d.digest)), {
      ...(from !== undefined ? { mountFrom: from } : {}),
      ...(show ? { onBytes: (n: number) => report(n) } : {}),
      ...(opts.signal !== undefined ? { signal: opts.signal } : {}),
    });
    if (!show) return;
    if (res === "pushed") uploaded.push(d.digest);
    if (res === "mounted") mounted.push(d.digest);
    if (res === "exists") progress({ status: "Layer already exists", id });
    else if (res === "mounted") progress({ status: `Mounted from ${from ?? ""}`, id });
    else {
      report(d.size, true);
      progress({ status: "Pushed", id });
    }
  };
  const seen = new Set<string>();
  const tasks = layers.filter((l) => !seen.has(l.digest) && seen.add(l.digest)).map((l) => limit(() => one(l, true)));
  const results = await Promise.allSettled(tasks);
  const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
  if (failed !== undefined) throw failed.reason;
  await one(manifest.config, false);
  const tagOrDigest = manifestReference(ref);
  const digest = await client.putManifest(repo, tagOrDigest, mediaType, body, opts.signal);
  progress({ status: `${ref.tag ?? "latest"}: digest: ${digest} size: ${body.length}` });
  progress({ progressDetail: {}, aux: { Tag: ref.tag ?? "latest", Digest: digest, Size: body.length } });
  return { digest, size: body.length, uploaded, mounted };
}
