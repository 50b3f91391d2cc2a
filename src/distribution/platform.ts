/** Platforms ("os/arch[/variant]") and picking one manifest out of an index. */
import { invalidArgument, notFound } from "./errors.js";

/** An OCI platform. */
export interface Platform {
  os: string;
  architecture: string;
  variant?: string | undefined;
}

const ARCH: Record<string, string> = { x64: "amd64", arm64: "arm64", arm: "arm", ia32: "386", ppc64: "ppc64le", s390x: "s390x", riscv64: "riscv64" };

/** This machine's platform. */
export function hostPlatform(): Platform {
  const architecture = ARCH[process.arch] ?? process.arch;
  return architecture === "arm64" ? { os: "linux", architecture, variant: "v8" } : { os: "linux", architecture };
}

/** Parse `--platform` ("linux/arm64/v8", "linux/amd64", "arm64"); normalised as containerd does. */
export function parsePlatform(text: string): Platform {
  const parts = text.trim().toLowerCase().split("/");
  if (parts.some((p) => !/^[a-z0-9][a-z0-9_.-]*$/.test(p)) || parts.length > 3) {
    throw invalidArgument(`invalid platform "${text}": expected os/arch[/variant]`);
  }
  let os = "linux";
  let arch: string;
  let variant: string | undefined;
  if (parts.length === 1) arch = parts[0] as string;
  else {
    os = parts[0] as string;
    arch = parts[1] as string;
    variant = parts[2];
  }
  if (arch === "x86_64" || arch === "x86-64") arch = "amd64";
  if (arch === "aarch64") arch = "arm64";
  if (arch === "arm64" && variant === undefined) variant = "v8";
  return variant === undefined ? { os, architecture: arch } : { os, architecture: arch, variant };
}

/** "linux/arm64/v8". */
export function formatPlatform(p: Platform): string {
  return p.variant !== undefined && p.variant !== "" ? `${p.os}/${p.architecture}/${p.variant}` : `${p.os}/${p.architecture}`;
}

/** A descriptor in an index, as far as platform choice goes. */
export interface PlatformDescriptor {
  digest: string;
  mediaType?: string;
  platform?: { os?: string; architecture?: string; variant?: string };
}

function variantOf(d: PlatformDescriptor): string | undefined {
  const v = d.platform?.variant;
  if (v !== undefined && v !== "") return v;
  return d.platform?.architecture === "arm64" ? "v8" : undefined;
}

/**
 * The index entry for `want`: os and architecture must match; an exact variant wins,
 * then an entry without a variant. Attestation manifests ("unknown/unknown") never match.
 */
export function selectManifest<T extends PlatformDescriptor>(manifests: readonly T[], want: Platform): T {
  const candidates = manifests.filter((m) => m.platform?.os === want.os && m.platform?.architecture === want.architecture);
  const exact = candidates.find((m) => variantOf(m) === want.variant);
  const loose = candidates.find((m) => variantOf(m) === undefined);
  const pick = exact ?? (want.variant === undefined ? candidates[0] : loose);
  if (pick === undefined) {
    throw notFound(`no matching manifest for ${formatPlatform(want)} in the manifest list entries`);
  }
  return pick;
}
