/**
 * THE one mapping from error kinds to HTTP statuses (moby httpstatus.FromError), and the
 * error body `{"message": …}`. Handlers never pick statuses for errors themselves.
 */
import type { ServerResponse } from "node:http";
import { BerthError, kindOf, type ErrorKind } from "../../shared/errors.js";
import type { Logger } from "../../shared/logger.js";

const STATUS: Record<ErrorKind, number> = {
  "invalid-argument": 400,
  "failed-precondition": 400,
  "not-found": 404,
  "already-exists": 409,
  conflict: 409,
  "not-modified": 304,
  unauthenticated: 401,
  "permission-denied": 403,
  "resource-exhausted": 429,
  "not-implemented": 501,
  unavailable: 503,
  internal: 500,
};

/** The HTTP status for any thrown value. */
export function httpStatusOf(err: unknown): number {
  return STATUS[kindOf(err)];
}

/** The message a client may see: internals of unclassified faults stay in the log. */
export function publicMessage(err: unknown): string {
  const kind = kindOf(err);
  if (kind !== "internal") {
    // Parse errors (SyntaxError…) have no BerthError, but their text is the client's own input.
    return err instanceof Error ? err.message : String(err);
  }
  if (err instanceof BerthError) return err.message;
  return "internal server error";
}

/** Write `err` as Docker's error response (or just end, when headers went out already). */
export function writeError(res: ServerResponse, err: unknown, log: Logger): void {
  const status = httpStatusOf(err);
  if (status >= 500) log.error({ err }, "request failed");
  else log.debug({ err: err instanceof Error ? err.message : String(err), status }, "request error");
  if (res.headersSent) {
    res.destroy();
    return;
  }
  if (status === 304) {
    res.writeHead(304).end();
    return;
  }
  const body = `${JSON.stringify({ message: publicMessage(err) })}\n`;
  res.writeHead(status, { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(body) });
  res.end(body);
}
