/** Parsing the manifests and configs a pull reads, with the checks a pull relies on. */
import type { Descriptor } from "../store/content/content-store.js";
import { invalidArgument } from "./errors.js";
import type { PlatformDescriptor } from "./platform.js";

/** A descriptor with its media type. */
export interface TypedDescriptor extends Descriptor {
  mediaType: string;
  urls?: string[];
}

/** A single-image manifest's parts. */
export interface ImageManifest {
  config: TypedDescriptor;
  layers: TypedDescriptor[];
}

const DIGEST = /^sha256:[a-f0-9]{64}$/;

function descriptor(v: unknown, what: string): TypedDescriptor {
  const d = v as { mediaType?: unknown; digest?: unknown; size?: unknown } | null;
  if (d === null || typeof d !== "object") throw invalidArgument(`parse manifest: ${what} is not a descriptor`);
  if (typeof d.digest !== "string" || !DIGEST.test(d.digest)) throw invalidArgument(`parse manifest: ${what} has an invalid digest "${String(d.digest)}"`);
  if (typeof d.size !== "number" || !Number.isSafeInteger(d.size) || d.size < 0) throw invalidArgument(`parse manifest: ${what} has an invalid size`);
  return { mediaType: typeof d.mediaType === "string" ? d.mediaType : "", digest: d.digest, size: d.size };
}

function json(body: Buffer): Record<string, unknown> {
  let j: unknown;
  try {
    j = JSON.parse(body.toString("utf8"));
  } catch {
    throw invalidArgument("parse manifest: not JSON");
  }
  if (j === null || typeof j !== "object" || Array.isArray(j)) throw invalidArgument("parse manifest: not a JSON object");
  return j as Record<string, unknown>;
}

/** Parse an image manifest (OCI or Docker schema2). */
export function parseImageManifest(body: Buffer): ImageManifest {
  const j = json(body);
  if (j.schemaVersion !== 2) throw invalidArgument(`parse manifest: unsupported schema version ${String(j.schemaVersion)}`);
  if (!Array.isArray(j.layers)) throw invalidArgument("parse manifest: no layers");
  return {
    config: descriptor(j.config, "config"),
    layers: (j.layers as unknown[]).map((l, i) => descriptor(l, `layer ${i}`)),
  };
}

/** Parse an index or manifest list into its entries. */
export function parseIndex(body: Buffer): Array<TypedDescriptor & PlatformDescriptor> {
  const j = json(body);
  if (!Array.isArray(j.manifests)) throw invalidArgument("parse index: no manifests");
  return (j.manifests as unknown[]).map((m, i) => {
    const d = descriptor(m, `manifest ${i}`);
    const p = (m as { platform?: unknown }).platform;
    if (p !== null && typeof p === "object") {
      const q = p as { os?: unknown; architecture?: unknown; variant?: unknown };
      const platform: { os?: string; architecture?: string; variant?: string } = {};
      if (typeof q.os === "string") platform.os = q.os;
      if (typeof q.architecture === "string") platform.architecture = q.architecture;
      if (typeof q.variant === "string") platform.variant = q.variant;
      return { ...d, platform };
    }
    return d;
  });
}

/** The diff ids of an image config. */
export function configDiffIds(config: Buffer): string[] {
  const j = json(config) as { rootfs?: { diff_ids?: unknown } };
  const ids = j.rootfs?.diff_ids;
  if (!Array.isArray(ids) || ids.some((d) => typeof d !== "string" || !DIGEST.test(d))) {
    throw invalidArgument("parse image config: invalid rootfs.diff_ids");
  }
  return ids as string[];
}
