/**
 * Image references with Docker's rules (distribution/reference, ParseNormalizedNamed):
 * `busybox` is `docker.io/library/busybox:latest`, `localhost:5000/x` keeps its registry,
 * tags and digests are validated, and a bad reference fails with Docker's exact text
 * "invalid reference format".
 */
import { invalidArgument } from "../../shared/errors.js";

/** A parsed, normalised reference. */
export interface Reference {
  /** Registry host (with port), e.g. "docker.io" or "localhost:5000". */
  domain: string;
  /** Path within the registry, e.g. "library/busybox". */
  path: string;
  tag: string | undefined;
  digest: string | undefined;
}

export const DEFAULT_DOMAIN = "docker.io";
export const DEFAULT_TAG = "latest";
const LEGACY_DOMAIN = "index.docker.io";
const OFFICIAL_PREFIX = "library/";

const alnum = "[a-z0-9]+";
const separator = "(?:[._]|__|[-]+)";
const pathComponent = `${alnum}(?:${separator}${alnum})*`;
const domainComponent = "(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])";
const ipv6 = "\\[(?:[a-fA-F0-9:]+)\\]";
const domainName = `${domainComponent}(?:\\.${domainComponent})*`;
const domain = `(?:${domainName}|${ipv6})(?::[0-9]+)?`;
const tag = "[\\w][\\w.-]{0,127}";
const digest = "[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}";
const name = `(?:${domain}/)?${pathComponent}(?:/${pathComponent})*`;
const REFERENCE_RE = new RegExp(`^(${name})(?::(${tag}))?(?:@(${digest}))?$`);
const ANCHORED_ID = /^[a-f0-9]{64}$/;
const NAME_TOTAL_MAX = 255;

function invalidFormat(detail?: string): Error {
  return invalidArgument(detail === undefined ? "invalid reference format" : `invalid reference format: ${detail}`);
}

function splitDomain(n: string): { domain: string; path: string } {
  const i = n.indexOf("/");
  let d: string;
  let p: string;
  const first = n.slice(0, i);
  if (i === -1 || (!first.includes(".") && !first.includes(":") && first !== "localhost" && first.toLowerCase() === first)) {
    d = DEFAULT_DOMAIN;
    p = n;
  } else {
    d = first;
    p = n.slice(i + 1);
  }
  if (d === LEGACY_DOMAIN) d = DEFAULT_DOMAIN;
  if (d === DEFAULT_DOMAIN && !p.includes("/")) p = `${OFFICIAL_PREFIX}${p}`;
  return { domain: d, path: p };
}

/** Parse a user-supplied reference the way `docker` does (ParseNormalizedNamed). */
export function parseReference(s: string): Reference {
  if (s === "") throw invalidFormat();
  if (ANCHORED_ID.test(s)) {
    throw invalidArgument(`invalid repository name (${s}), cannot specify 64-byte hexadecimal strings`);
  }
  const nameEnd = nameLength(s);
  const rawName = s.slice(0, nameEnd);
  const { domain: d, path } = splitDomain(rawName);
  if (path.toLowerCase() !== path) throw invalidFormat(`repository name (${path}) must be lowercase`);
  const full = `${d}/${path}${s.slice(nameEnd)}`;
  const m = REFERENCE_RE.exec(full);
  if (m === null) throw invalidFormat();
  if ((m[1] ?? "").length > NAME_TOTAL_MAX) throw invalidFormat("repository name must not be more than 255 characters");
  return { domain: d, path, tag: m[2], digest: m[3] };
}

// Where the name ends: before ":tag" (a colon after the last slash) or "@digest".
function nameLength(s: string): number {
  const at = s.indexOf("@");
  const head = at === -1 ? s : s.slice(0, at);
  const colon = head.lastIndexOf(":");
  const slash = head.lastIndexOf("/");
  return colon > slash ? colon : head.length;
}

/** Add the default tag when there is neither tag nor digest (TagNameOnly). */
export function withDefaultTag(r: Reference): Reference {
  return r.tag === undefined && r.digest === undefined ? { ...r, tag: DEFAULT_TAG } : r;
}

/** Fully-qualified name without tag or digest: "docker.io/library/busybox". */
export function fullName(r: Reference): string {
  return `${r.domain}/${r.path}`;
}

/** The shortest name users recognise: "busybox", "me/app", "localhost:5000/x". */
export function familiarName(r: Reference): string {
  if (r.domain !== DEFAULT_DOMAIN) return `${r.domain}/${r.path}`;
  return r.path.startsWith(OFFICIAL_PREFIX) && !r.path.slice(OFFICIAL_PREFIX.length).includes("/")
    ? r.path.slice(OFFICIAL_PREFIX.length)
    : r.path;
}

/** Familiar string with tag and digest: "busybox:latest". */
export function familiarString(r: Reference): string {
  let s = familiarName(r);
  if (r.tag !== undefined) s += `:${r.tag}`;
  if (r.digest !== undefined) s += `@${r.digest}`;
  return s;
}

/** Fully-qualified string: "docker.io/library/busybox:latest". */
export function fullString(r: Reference): string {
  let s = fullName(r);
  if (r.tag !== undefined) s += `:${r.tag}`;
  if (r.digest !== undefined) s += `@${r.digest}`;
  return s;
}

/** Validate a tag on its own (POST /images/{name}/tag?tag=). */
export function isValidTag(t: string): boolean {
  return new RegExp(`^${tag}$`).test(t);
}
