/** OCI image config and manifest shapes (image-spec config.md, manifest.md), as stored. */
import type { ImageContainerConfig } from "../../api/images.js";

/** OCI media types berth writes. */
export const MEDIA_TYPE = {
  manifest: "application/vnd.oci.image.manifest.v1+json",
  index: "application/vnd.oci.image.index.v1+json",
  config: "application/vnd.oci.image.config.v1+json",
  layer: "application/vnd.oci.image.layer.v1.tar",
  layerGzip: "application/vnd.oci.image.layer.v1.tar+gzip",
  dockerManifest: "application/vnd.docker.distribution.manifest.v2+json",
  dockerManifestList: "application/vnd.docker.distribution.manifest.list.v2+json",
} as const;

/** One history entry of an image config. */
export interface HistoryEntry {
  created?: string;
  created_by?: string;
  author?: string;
  comment?: string;
  empty_layer?: boolean;
}

/** An image config blob (Docker keys in `config`, as Docker writes them). */
export interface ImageConfig {
  created?: string;
  author?: string;
  architecture: string;
  os: string;
  variant?: string;
  "os.version"?: string;
  config?: ImageContainerConfig;
  rootfs: { type: string; diff_ids: string[] };
  history?: HistoryEntry[];
  comment?: string;
  docker_version?: string;
}

/** An OCI descriptor. */
export interface OciDescriptor {
  mediaType: string;
  digest: string;
  size: number;
  annotations?: Record<string, string>;
  platform?: { architecture: string; os: string; variant?: string };
}

/** An OCI image manifest. */
export interface OciManifest {
  schemaVersion: 2;
  mediaType?: string;
  config: OciDescriptor;
  layers: OciDescriptor[];
}

/** An OCI image index. */
export interface OciIndex {
  schemaVersion: 2;
  mediaType?: string;
  manifests: OciDescriptor[];
}

/** The platform of this machine in OCI terms. */
export function hostPlatform(): { architecture: string; os: string } {
  const map: Record<string, string> = { x64: "amd64", arm64: "arm64", arm: "arm", ia32: "386", ppc64: "ppc64le", s390x: "s390x", riscv64: "riscv64" };
  return { architecture: map[process.arch] ?? process.arch, os: "linux" };
}

/** Validate the parts of a config blob berth relies on; throws TypeError when malformed. */
export function parseImageConfig(buf: Buffer): ImageConfig {
  const c = JSON.parse(buf.toString("utf8")) as Partial<ImageConfig> | null;
  if (c === null || typeof c !== "object") throw new TypeError("image config is not a JSON object");
  if (c.rootfs === undefined || !Array.isArray(c.rootfs.diff_ids)) throw new TypeError("image config has no rootfs.diff_ids");
  for (const d of c.rootfs.diff_ids) {
    if (typeof d !== "string" || !/^sha256:[a-f0-9]{64}$/.test(d)) throw new TypeError(`image config has an invalid diff id "${String(d)}"`);
  }
  return { ...c, architecture: c.architecture ?? "", os: c.os ?? "", rootfs: c.rootfs } as ImageConfig;
}
