/**
 * The distribution spec's error codes and their JSON body
 * (`{"errors":[{"code","message","detail"}]}`). Registry handlers throw `RegistryError`;
 * `server.ts` is the one place that writes them.
 */
import { BerthError, type ErrorKind } from "../shared/errors.js";

/**
 * The spec's codes (its "code-1" to "code-15"; a JSON error body MUST use one of them),
 * plus UNKNOWN for 500s, as distribution answers them.
 */
export type RegistryErrorCode =
  | "BLOB_UNKNOWN"
  | "BLOB_UPLOAD_INVALID"
  | "BLOB_UPLOAD_UNKNOWN"
  | "DIGEST_INVALID"
  | "MANIFEST_BLOB_UNKNOWN"
  | "MANIFEST_INVALID"
  | "MANIFEST_UNKNOWN"
  | "NAME_INVALID"
  | "NAME_UNKNOWN"
  | "SIZE_INVALID"
  | "UNAUTHORIZED"
  | "DENIED"
  | "UNSUPPORTED"
  | "TOOMANYREQUESTS"
  | "UNKNOWN";

/** Default HTTP status per code (distribution's registry/api/errcode table). */
export const STATUS_OF: Readonly<Record<RegistryErrorCode, number>> = {
  BLOB_UNKNOWN: 404,
  BLOB_UPLOAD_INVALID: 400,
  BLOB_UPLOAD_UNKNOWN: 404,
  DIGEST_INVALID: 400,
  MANIFEST_BLOB_UNKNOWN: 400,
  MANIFEST_INVALID: 400,
  MANIFEST_UNKNOWN: 404,
  NAME_INVALID: 400,
  NAME_UNKNOWN: 404,
  SIZE_INVALID: 400,
  UNAUTHORIZED: 401,
  DENIED: 403,
  UNSUPPORTED: 405,
  TOOMANYREQUESTS: 429,
  UNKNOWN: 500,
};

function kindOfStatus(status: number): ErrorKind {
  if (status === 401) return "unauthenticated";
  if (status === 403) return "permission-denied";
  if (status === 404) return "not-found";
  if (status === 429) return "resource-exhausted";
  if (status === 405) return "not-implemented";
  if (status >= 500) return "internal";
  return "invalid-argument";
}

/** One entry of the spec's error body. */
export interface ErrorEntry {
  code: RegistryErrorCode;
  message: string;
  detail?: unknown;
}

/**
 * An error the registry answers with: a spec code, an HTTP status, optional detail and
 * headers, and optionally more entries of the same response (one per unknown blob).
 */
export class RegistryError extends BerthError {
  readonly code: RegistryErrorCode;
  readonly status: number;
  readonly detail: unknown;
  readonly headers: Readonly<Record<string, string>>;
  readonly more: readonly ErrorEntry[];
  constructor(
    code: RegistryErrorCode,
    message: string,
    options: { status?: number; detail?: unknown; headers?: Record<string, string>; cause?: unknown; more?: ErrorEntry[] } = {},
  ) {
    const status = options.status ?? STATUS_OF[code];
    super(kindOfStatus(status), message, { cause: options.cause });
    this.name = "RegistryError";
    this.code = code;
    this.status = status;
    this.detail = options.detail;
    this.headers = options.headers ?? {};
    this.more = options.more ?? [];
  }

  /** The spec's JSON error body. */
  body(): { errors: ErrorEntry[] } {
    const e: ErrorEntry = { code: this.code, message: this.message };
    if (this.detail !== undefined) e.detail = this.detail;
    return { errors: [e, ...this.more] };
  }
}

/** Shorthand constructor. */
export function registryError(
  code: RegistryErrorCode,
  message: string,
  options?: { status?: number; detail?: unknown; headers?: Record<string, string>; cause?: unknown; more?: ErrorEntry[] },
): RegistryError {
  return new RegistryError(code, message, options);
}
