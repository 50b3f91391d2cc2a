/** Error constructors the client uses: the shared kinds plus the two auth kinds. */
import { BerthError } from "../shared/errors.js";

export { BerthError, invalidArgument, notFound, notImplemented, unavailable, internal } from "../shared/errors.js";

/** Credentials missing or refused. */
export const unauthenticated = (msg: string, cause?: unknown) => new BerthError("unauthenticated", msg, { cause });
/** Credentials accepted but not allowed to do this. */
export const permissionDenied = (msg: string, cause?: unknown) => new BerthError("permission-denied", msg, { cause });
