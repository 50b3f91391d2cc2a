/**
 * Parsing and checking of pushed manifests: OCI image manifest and index, Docker schema2
 * manifest and manifest list. Yields what the registry needs: the blobs and child
 * manifests a manifest references, its subject and artifact type.
 */
import { registryError } from "./errors.js";
import { tryParseDigest, type ParsedDigest } from "./names.js";

/** Manifest media types the registry accepts. */
export const MEDIA_TYPES = {
  ociManifest: "application/vnd.oci.image.manifest.v1+json",
  ociIndex: "application/vnd.oci.image.index.v1+json",
  dockerManifest: "application/vnd.docker.distribution.manifest.v2+json",
  dockerList: "application/vnd.docker.distribution.manifest.list.v2+json",
} as const;

const IMAGE_TYPES: ReadonlySet<string> = new Set([MEDIA_TYPES.ociManifest, MEDIA_TYPES.dockerManifest]);
const INDEX_TYPES: ReadonlySet<string> = new Set([MEDIA_TYPES.ociIndex, MEDIA_TYPES.dockerList]);

/** Largest manifest accepted (distribution's default). */
export const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;

/** A validated descriptor. */
export interface ManifestDescriptor {
  mediaType: string;
  digest: ParsedDigest;
  size: number;
  /** Present on foreign layers, which the registry does not hold. */
  urls?: string[];
  artifactType?: string;
  annotations?: Record<string, string>;
}

/** What the registry needs from a manifest. */
export interface ParsedManifest {
  mediaType: string;
  isIndex: boolean;
  /** config and layers of an image manifest. */
  blobs: ManifestDescriptor[];
  /** manifests of an index. */
  children: ManifestDescriptor[];
  subject?: ManifestDescriptor;
  /** `artifactType`, or an image manifest's config media type (the referrers API's rule). */
  artifactType?: string;
  annotations?: Record<string, string>;
}

function invalid(message: string, detail?: unknown): Error {
  return registryError("MANIFEST_INVALID", message, detail === undefined ? {} : { detail });
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function stringMap(v: unknown, field: string): Record<string, string> | undefined {
  if (v === undefined) return undefined;
  if (!isObject(v) || !Object.values(v).every((x) => typeof x === "string")) {
    throw invalid(`parse manifest: "${field}" must be a map of strings`);
  }
  return v as Record<string, string>;
}

function descriptor(v: unknown, field: string): ManifestDescriptor {
  if (!isObject(v)) throw invalid(`parse manifest: "${field}" must be a descriptor`);
  const { mediaType, digest, size } = v;
  if (typeof mediaType !== "string" || mediaType === "") throw invalid(`parse manifest: "${field}.mediaType" missing`);
  const d = typeof digest === "string" ? tryParseDigest(digest) : undefined;
  if (d === undefined) throw invalid(`parse manifest: "${field}.digest" is not a valid digest`, { digest });
  if (typeof size !== "number" || !Number.isSafeInteger(size) || size < 0) {
    throw invalid(`parse manifest: "${field}.size" must be a non-negative integer`);
  }
  const out: ManifestDescriptor = { mediaType, digest: d, size };
  if (Array.isArray(v.urls) && v.urls.length > 0) out.urls = v.urls.filter((u): u is string => typeof u === "string");
  if (typeof v.artifactType === "string") out.artifactType = v.artifactType;
  const ann = stringMap(v.annotations, `${field}.annotations`);
  if (ann !== undefined) out.annotations = ann;
  return out;
}

function baseType(contentType: string | undefined): string | undefined {
  const t = contentType?.split(";")[0]?.trim().toLowerCase();
  return t === "" ? undefined : t;
}

/**
 * Parse a pushed manifest. The media type comes from `Content-Type` when it names a
 * manifest type, else from the body's `mediaType`, else from the body's shape (OCI
 * allows the field to be absent). MANIFEST_INVALID on anything malformed.
 */
export function parseManifest(body: Buffer, contentType?: string): ParsedManifest {
  let json: unknown;
  try {
    json = JSON.parse(body.toString("utf8"));
  } catch (err) {
    throw registryError("MANIFEST_INVALID", "parse manifest: body is not JSON", { cause: err });
  }
  if (!isObject(json)) throw invalid("parse manifest: body is not a JSON object");
  if (json.schemaVersion === 1) throw invalid("parse manifest: schema1 manifests are not supported");
  if (json.schemaVersion !== 2) throw invalid("parse manifest: schemaVersion must be 2");
  const header = baseType(contentType);
  const field = typeof json.mediaType === "string" ? json.mediaType : undefined;
  let mediaType: string | undefined;
  if (header !== undefined && (IMAGE_TYPES.has(header) || INDEX_TYPES.has(header))) mediaType = header;
  else if (field !== undefined) mediaType = field;
  else if (Array.isArray(json.manifests)) mediaType = MEDIA_TYPES.ociIndex;
  else if (isObject(json.config)) mediaType = MEDIA_TYPES.ociManifest;
  if (mediaType === undefined || !(IMAGE_TYPES.has(mediaType) || INDEX_TYPES.has(mediaType))) {
    throw invalid(`parse manifest: unsupported media type "${mediaType ?? header ?? ""}"`);
  }
  if (field !== undefined && field !== mediaType) {
    throw invalid(`parse manifest: mediaType "${field}" does not match Content-Type "${mediaType}"`);
  }
  const out: ParsedManifest = { mediaType, isIndex: INDEX_TYPES.has(mediaType), blobs: [], children: [] };
  if (out.isIndex) {
    if (!Array.isArray(json.manifests)) throw invalid('parse manifest: "manifests" must be an array');
    out.children = json.manifests.map((m, i) => descriptor(m, `manifests[${i}]`));
  } else {
    const config = descriptor(json.config, "config");
    if (json.layers !== undefined && !Array.isArray(json.layers)) throw invalid('parse manifest: "layers" must be an array');
    const layers = ((json.layers as unknown[] | undefined) ?? []).map((l, i) => descriptor(l, `layers[${i}]`));
    out.blobs = [config, ...layers];
  }
  if (json.subject !== undefined) out.subject = descriptor(json.subject, "subject");
  if (typeof json.artifactType === "string") out.artifactType = json.artifactType;
  else if (!out.isIndex && out.blobs[0] !== undefined) out.artifactType = out.blobs[0].mediaType;
  const ann = stringMap(json.annotations, "annotations");
  if (ann !== undefined) out.annotations = ann;
  return out;
}
