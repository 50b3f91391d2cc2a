/**
 * The logger shape libraries and the server accept (pino's: berthd passes its
 * `jsonLogger`, berth-registry a pino instance); `nullLogger` is the do-nothing default
 * libraries use.
 */

/** A structured logger: `(fields, message)` or `(message)`, and child loggers with fields. */
export interface Logger {
  trace(obj: object | string, msg?: string): void;
  debug(obj: object | string, msg?: string): void;
  info(obj: object | string, msg?: string): void;
  warn(obj: object | string, msg?: string): void;
  error(obj: object | string, msg?: string): void;
  child(bindings: Record<string, unknown>): Logger;
}

/** A logger that drops everything. */
export const nullLogger: Logger = {
  trace: () => undefined,
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  child: () => nullLogger,
};
