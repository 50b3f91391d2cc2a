/**
 * Write a `docker save` archive: an OCI image layout (oci-layout, index.json, blobs/) plus
 * Docker's manifest.json and repositories, as docker ≥ 25 writes, so both `docker load`
 * and OCI tools read it.
 */
import type { Readable } from "node:stream";
import tar from "tar-stream";
import type { ContentStore } from "../../store/content/content-store.js";
import { MEDIA_TYPE, type OciIndex } from "./image-config.js";

/** What the archive needs to know about one image. */
export interface SaveItem {
  id: string;
  configSize: number;
  manifestDigest: string;
  manifestSize: number;
  layers: Array<{ digest: string; size: number; mediaType: string; diffId: string }>;
  refs: Array<{ full: string; familiar: string; familiarName: string; tag: string }>;
}

const EPOCH = new Date(0);

function blobName(digest: string): string {
  return `blobs/sha256/${digest.slice(7)}`;
}

/** A tar stream of the archive; blobs are streamed from the content store. */
export function writeSaveArchive(content: ContentStore, items: readonly SaveItem[]): Readable {
  const pack = tar.pack();
  const addBuffer = (name: string, data: string | Buffer) =>
    new Promise<void>((resolve, reject) => {
      pack.entry({ name, mtime: EPOCH, mode: 0o644 }, data, (err) => (err ? reject(err) : resolve()));
    });
  const addDir = (name: string) =>
    new Promise<void>((resolve, reject) => {
      pack.entry({ name, type: "directory", mtime: EPOCH, mode: 0o755 }, (err) => (err ? reject(err) : resolve()));
    });
  const addBlob = async (digest: string, size: number) => {
    const src = await content.open(digest);
    await new Promise<void>((resolve, reject) => {
      const sink = pack.entry({ name: blobName(digest), size, mtime: EPOCH, mode: 0o644 }, (err) => (err ? reject(err) : resolve()));
      src.on("error", (e) => { sink.destroy(e); reject(e); });
      src.pipe(sink as unknown as NodeJS.WritableStream);
    });
  };
  const run = async () => {
    await addDir("blobs/");
    await addDir("blobs/sha256/");
    const written = new Set<string>();
    for (const it of items) {
      for (const [d, s] of [[it.id, it.configSize], [it.manifestDigest, it.manifestSize], ...it.layers.map((l) => [l.digest, l.size] as const)] as const) {
        if (written.has(d)) continue;
        written.add(d);
        await addBlob(d, s);
      }
    }
    const index: OciIndex = { schemaVersion: 2, mediaType: MEDIA_TYPE.index, manifests: [] };
    for (const it of items) {
      const base = { mediaType: MEDIA_TYPE.manifest, digest: it.manifestDigest, size: it.manifestSize };
      if (it.refs.length === 0) index.manifests.push(base);
      for (const r of it.refs) {
        index.manifests.push({ ...base, annotations: { "io.containerd.image.name": r.full, "org.opencontainers.image.ref.name": r.tag } });
      }
    }
    await addBuffer("index.json", `${JSON.stringify(index)}\n`);
    await addBuffer("oci-layout", `${JSON.stringify({ imageLayoutVersion: "1.0.0" })}\n`);
    const manifest = items.map((it) => ({
      Config: blobName(it.id),
      RepoTags: it.refs.length > 0 ? it.refs.map((r) => r.familiar) : null,
      Layers: it.layers.map((l) => blobName(l.digest)),
    }));
    await addBuffer("manifest.json", `${JSON.stringify(manifest)}\n`);
    const repos: Record<string, Record<string, string>> = {};
    for (const it of items) {
      const top = it.layers.at(-1);
      for (const r of it.refs) {
        (repos[r.familiarName] ??= {})[r.tag] = (top?.digest ?? it.id).slice(7);
      }
    }
    if (Object.keys(repos).length > 0) await addBuffer("repositories", `${JSON.stringify(repos)}\n`);
    pack.finalize();
  };
  run().catch((err: unknown) => pack.destroy(err as Error));
  return pack as unknown as Readable;
}
