/**
 * Read the images out of a spooled `docker save` archive: Docker's manifest.json when
 * present (docker ≥ 25 writes it next to an OCI layout), else the OCI layout's index.json.
 */
import { invalidArgument } from "../../shared/errors.js";
import { digestOf } from "../../store/content/content-store.js";
import type { SpooledArchive } from "./archive-spool.js";
import { hostPlatform, MEDIA_TYPE, type OciDescriptor, type OciIndex, type OciManifest } from "./image-config.js";
import { parseReference, withDefaultTag, type Reference } from "./reference.js";

/** One image found in an archive. */
export interface ArchiveImage {
  config: Buffer;
  layers: Array<{ file: string; digest?: string }>;
  refs: Reference[];
}

interface DockerManifestEntry {
  Config?: unknown;
  RepoTags?: unknown;
  Layers?: unknown;
}

function bad(msg: string): Error {
  return invalidArgument(`load images: ${msg}`);
}

function blobPath(digest: string): string {
  const m = /^(sha256):([a-f0-9]{64})$/.exec(digest);
  if (m === null) throw bad(`invalid digest "${digest}"`);
  return `blobs/${m[1]}/${m[2]}`;
}

function digestFromPath(p: string): string | undefined {
  const m = /^blobs\/sha256\/([a-f0-9]{64})$/.exec(p);
  return m === null ? undefined : `sha256:${m[1]}`;
}

function parseJson<T>(buf: Buffer, what: string): T {
  try {
    return JSON.parse(buf.toString("utf8")) as T;
  } catch (err) {
    throw bad(`${what} is not valid JSON: ${(err as Error).message}`);
  }
}

async function fromDockerManifest(a: SpooledArchive): Promise<ArchiveImage[]> {
  const entries = parseJson<unknown>(await a.read("manifest.json"), "manifest.json");
  if (!Array.isArray(entries)) throw bad("manifest.json is not a list");
  const out: ArchiveImage[] = [];
  for (const e of entries as DockerManifestEntry[]) {
    if (typeof e !== "object" || e === null || typeof e.Config !== "string" || !Array.isArray(e.Layers)) {
      throw bad("manifest.json entry lacks Config or Layers");
    }
    const config = await a.read(e.Config);
    const expectedConfig = digestFromPath(e.Config);
    if (expectedConfig !== undefined && digestOf(config) !== expectedConfig) throw bad(`config "${e.Config}" does not match its digest`);
    const layers = (e.Layers as unknown[]).map((l) => {
      if (typeof l !== "string") throw bad("manifest.json layer is not a path");
      const file = a.file(l);
      if (file === undefined) throw bad(`archive has no "${l}"`);
      const digest = digestFromPath(l);
      return digest !== undefined ? { file, digest } : { file };
    });
    const tags = Array.isArray(e.RepoTags) ? (e.RepoTags as unknown[]) : [];
    const refs = tags.map((t) => {
      if (typeof t !== "string") throw bad("manifest.json tag is not a string");
      return withDefaultTag(parseReference(t));
    });
    out.push({ config, layers, refs });
  }
  return out;
}

async function resolveManifest(a: SpooledArchive, desc: OciDescriptor, depth = 0): Promise<OciManifest> {
  if (depth > 4) throw bad("image index nesting is too deep");
  const buf = await a.read(blobPath(desc.digest));
  if (digestOf(buf) !== desc.digest) throw bad(`blob ${desc.digest} does not match its digest`);
  const doc = parseJson<Partial<OciManifest & OciIndex>>(buf, `blob ${desc.digest}`);
  if (Array.isArray(doc.manifests)) {
    const { architecture, os } = hostPlatform();
    const pick = doc.manifests.find((m) => m.platform?.architecture === architecture && m.platform?.os === os)
      ?? doc.manifests.find((m) => m.platform === undefined && (m.mediaType === MEDIA_TYPE.manifest || m.mediaType === MEDIA_TYPE.dockerManifest));
    if (pick === undefined) throw bad(`no manifest for ${os}/${architecture} in index ${desc.digest}`);
    return resolveManifest(a, pick, depth + 1);
  }
  if (doc.config === undefined || !Array.isArray(doc.layers)) throw bad(`blob ${desc.digest} is not an image manifest`);
  return doc as OciManifest;
}

async function fromOciIndex(a: SpooledArchive): Promise<ArchiveImage[]> {
  const index = parseJson<Partial<OciIndex>>(await a.read("index.json"), "index.json");
  if (!Array.isArray(index.manifests)) throw bad("index.json has no manifests");
  const out: ArchiveImage[] = [];
  for (const desc of index.manifests) {
    const m = await resolveManifest(a, desc);
    const config = await a.read(blobPath(m.config.digest));
    if (digestOf(config) !== m.config.digest) throw bad(`config ${m.config.digest} does not match its digest`);
    const layers = m.layers.map((l) => {
      const file = a.file(blobPath(l.digest));
      if (file === undefined) throw bad(`archive has no layer ${l.digest}`);
      return { file, digest: l.digest };
    });
    const refs: Reference[] = [];
    const name = desc.annotations?.["io.containerd.image.name"] ?? desc.annotations?.["org.opencontainers.image.ref.name"];
    if (name !== undefined && (name.includes("/") || name.includes(":"))) {
      try {
        refs.push(withDefaultTag(parseReference(name)));
      } catch {
        // An OCI ref.name that is only a tag names no repository: load the image untagged.
      }
    }
    out.push({ config, layers, refs });
  }
  return out;
}

/** The images of a spooled archive. */
export async function readArchiveImages(a: SpooledArchive): Promise<ArchiveImage[]> {
  if (a.has("manifest.json")) return fromDockerManifest(a);
  if (a.has("index.json")) return fromOciIndex(a);
  throw bad("archive has neither manifest.json nor index.json");
}
