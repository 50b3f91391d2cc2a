/**
 * Validation of what a client puts in a URL: repository names, tags and digests, by the
 * distribution spec's grammar. Everything that becomes a path under the registry root
 * passes through here first, so `..`, `%2e`, `/` in tags and absolute paths cannot reach
 * the filesystem.
 */
import { registryError } from "./errors.js";

/** The spec's `<name>` regex (path components separated by `/`). */
export const NAME_RE = /^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*)*$/;
/** The spec's `<reference>` regex for tags. */
export const TAG_RE = /^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$/;
/** The spec's digest grammar (algorithm ":" encoded). */
const DIGEST_GRAMMAR_RE = /^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/;

/** Longest repository name accepted (distribution's limit). */
export const MAX_NAME_LENGTH = 255;

/** Digest algorithms the registry can verify. */
export type DigestAlgorithm = "sha256" | "sha512";

const HEX_LENGTH: Readonly<Record<DigestAlgorithm, number>> = { sha256: 64, sha512: 128 };

/** A validated digest. */
export interface ParsedDigest {
  readonly algorithm: DigestAlgorithm;
  readonly hex: string;
  /** "algorithm:hex" */
  readonly digest: string;
}

/** True when `name` is a valid repository name. */
export function isValidName(name: string): boolean {
  return name.length <= MAX_NAME_LENGTH && NAME_RE.test(name);
}

/** Throw NAME_INVALID unless `name` is a valid repository name. */
export function assertName(name: string): void {
  if (!isValidName(name)) {
    throw registryError("NAME_INVALID", "invalid repository name", { detail: { name } });
  }
}

/** True when `tag` is a valid tag. */
export function isValidTag(tag: string): boolean {
  return TAG_RE.test(tag);
}

/** True when `ref` looks like a digest rather than a tag (it has a colon). */
export function looksLikeDigest(ref: string): boolean {
  return ref.includes(":");
}

/** Parse and validate a digest; DIGEST_INVALID (400) when malformed or of an unsupported algorithm. */
export function parseDigest(s: string): ParsedDigest {
  if (!DIGEST_GRAMMAR_RE.test(s)) {
    throw registryError("DIGEST_INVALID", "provided digest is malformed", { detail: { digest: s } });
  }
  const colon = s.indexOf(":");
  const algorithm = s.slice(0, colon);
  const hex = s.slice(colon + 1);
  if (algorithm !== "sha256" && algorithm !== "sha512") {
    throw registryError("DIGEST_INVALID", `unsupported digest algorithm "${algorithm}"`, { detail: { digest: s } });
  }
  if (hex.length !== HEX_LENGTH[algorithm] || !/^[a-f0-9]+$/.test(hex)) {
    throw registryError("DIGEST_INVALID", "provided digest is malformed", { detail: { digest: s } });
  }
  return { algorithm, hex, digest: s };
}

/** Parse a digest, returning undefined instead of throwing. */
export function tryParseDigest(s: string): ParsedDigest | undefined {
  try {
    return parseDigest(s);
  } catch {
    return undefined;
  }
}
