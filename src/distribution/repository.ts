/**
 * The part of an image reference the client needs: registry domain, repository path,
 * tag or digest. Parsing the user's string is the image service's job (reference.ts);
 * the client still validates what reaches a URL, so no path traversal or odd characters
 * are ever sent.
 */
import { invalidArgument } from "../shared/errors.js";

/** A normalised repository reference ("docker.io", "library/busybox", "latest"). */
export interface RepositoryRef {
  domain: string;
  path: string;
  tag?: string | undefined;
  digest?: string | undefined;
}

const COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^sha256:[a-f0-9]{64}$/;
const DOMAIN = /^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*|\[[a-fA-F0-9:]+\])(?::[0-9]+)?$/;

/** Throw invalid-argument unless `ref` is safe to put in registry URLs. */
export function validateRepositoryRef(ref: RepositoryRef): void {
  if (!DOMAIN.test(ref.domain)) throw invalidArgument(`invalid reference format: registry "${ref.domain}"`);
  const parts = ref.path.split("/");
  if (ref.path.length > 255 || parts.some((p) => !COMPONENT.test(p))) {
    throw invalidArgument(`invalid reference format: repository "${ref.path}"`);
  }
  if (ref.tag !== undefined && !TAG.test(ref.tag)) throw invalidArgument(`invalid reference format: tag "${ref.tag}"`);
  if (ref.digest !== undefined && !DIGEST.test(ref.digest)) throw invalidArgument(`invalid reference format: digest "${ref.digest}"`);
}

/** The tag or digest a manifest is fetched by (digest wins, then tag, then "latest"). */
export function manifestReference(ref: RepositoryRef): string {
  return ref.digest ?? ref.tag ?? "latest";
}

/** "docker.io/library/busybox" without tag. */
export function repositoryName(ref: RepositoryRef): string {
  return `${ref.domain}/${ref.path}`;
}

/** The name docker prints: "library/busybox" on Docker Hub, else "host:port/path". */
export function displayName(ref: RepositoryRef): string {
  return ref.domain === "docker.io" ? ref.path : `${ref.domain}/${ref.path}`;
}
