/**
 * API version negotiation: `/v1.NN/…` paths are accepted from MIN_API_VERSION to
 * API_VERSION with dockerd's error texts outside; unversioned paths get API_VERSION.
 * `/_ping` carries the headers clients negotiate with.
 */
import { API_VERSION, BERTH_VERSION, MIN_API_VERSION, compareApiVersions } from "../../api/version.js";
import { invalidArgument } from "../../shared/errors.js";

/** The result of splitting a request path. */
export interface VersionedPath {
  version: string;
  path: string;
}

const VERSIONED = /^\/v(\d+\.\d+)(\/.*)?$/;

/** Split `/v1.44/images/json` into version and path; validate the version. */
export function splitVersion(path: string): VersionedPath {
  const m = VERSIONED.exec(path);
  if (m === null) return { version: API_VERSION, path };
  const version = m[1] as string;
  if (compareApiVersions(version, API_VERSION) > 0) {
    throw invalidArgument(`client version ${version} is too new. Maximum supported API version is ${API_VERSION}`);
  }
  if (compareApiVersions(version, MIN_API_VERSION) < 0) {
    throw invalidArgument(`client version ${version} is too old. Minimum supported API version is ${MIN_API_VERSION}, please upgrade your client to a newer version`);
  }
  return { version, path: m[2] ?? "/" };
}

/** Headers dockerd sends on every response (clients read them from /_ping). */
export function commonHeaders(): Record<string, string> {
  return {
    "Api-Version": API_VERSION,
    "Docker-Experimental": "false",
    Ostype: "linux",
    Server: `berth/${BERTH_VERSION} (linux)`,
  };
}

/** Extra headers of /_ping. */
export function pingHeaders(): Record<string, string> {
  return {
    "Builder-Version": "1",
    "Cache-Control": "no-cache, no-store, must-revalidate",
    Pragma: "no-cache",
  };
}
