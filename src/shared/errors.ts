/**
 * The closed set of error kinds that cross folder boundaries (containerd/moby errdefs).
 * Services decide the kind; `src/daemon/server/errors.ts` maps kinds to HTTP statuses,
 * and nowhere else does.
 */
export type ErrorKind =
  | "invalid-argument"
  | "failed-precondition"
  | "not-found"
  | "already-exists"
  | "conflict"
  | "not-modified"
  | "unauthenticated"
  | "permission-denied"
  | "resource-exhausted"
  | "unavailable"
  | "not-implemented"
  | "internal";

/** An error with a kind. Wrap with `{ cause }` to add context while keeping the kind. */
export class BerthError extends Error {
  readonly kind: ErrorKind;
  constructor(kind: ErrorKind, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "BerthError";
    this.kind = kind;
  }
}

export const invalidArgument = (msg: string, cause?: unknown) => new BerthError("invalid-argument", msg, { cause });
export const failedPrecondition = (msg: string, cause?: unknown) => new BerthError("failed-precondition", msg, { cause });
export const notFound = (msg: string, cause?: unknown) => new BerthError("not-found", msg, { cause });
export const alreadyExists = (msg: string, cause?: unknown) => new BerthError("already-exists", msg, { cause });
export const conflict = (msg: string, cause?: unknown) => new BerthError("conflict", msg, { cause });
export const notModified = (msg: string, cause?: unknown) => new BerthError("not-modified", msg, { cause });
export const notImplemented = (msg: string, cause?: unknown) => new BerthError("not-implemented", msg, { cause });
export const unavailable = (msg: string, cause?: unknown) => new BerthError("unavailable", msg, { cause });
export const internal = (msg: string, cause?: unknown) => new BerthError("internal", msg, { cause });

/**
 * The kind of any thrown value: the first BerthError on the cause chain decides;
 * parse failures (TypeError, RangeError, SyntaxError) are invalid arguments; anything
 * else is internal.
 */
export function kindOf(err: unknown): ErrorKind {
  let cur: unknown = err;
  for (let depth = 0; cur !== undefined && cur !== null && depth < 32; depth++) {
    if (cur instanceof BerthError) return cur.kind;
    if (cur instanceof Error) {
      if (cur instanceof SyntaxError || cur instanceof RangeError || cur instanceof TypeError) {
        return "invalid-argument";
      }
      cur = cur.cause;
      continue;
    }
    break;
  }
  return "internal";
}

/**
 * An error from the kernel: errno, the operation and the path it was applied to
 * (crun's `{status, msg}`). It has no kind; the service that catches it decides.
 */
export class KernelError extends Error {
  readonly errno: number;
  readonly code: string;
  readonly op: string;
  readonly path: string | undefined;
  constructor(op: string, errno: number, code: string, path?: string, detail?: string) {
    super(`${op}${path !== undefined ? ` \`${path}\`` : ""}: ${detail ?? code}`);
    this.name = "KernelError";
    this.errno = errno;
    this.code = code;
    this.op = op;
    this.path = path;
  }
}
