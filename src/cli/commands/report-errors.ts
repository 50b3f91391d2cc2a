/** Commands over several names report every failure, then fail (as docker does). */

/** Thrown after per-name errors were collected; main prints each and exits 1. */
export class MultiError extends Error {
  readonly errors: readonly unknown[];
  constructor(errors: readonly unknown[]) {
    super(errors.map((e) => (e instanceof Error ? e.message : String(e))).join("\n"));
    this.name = "MultiError";
    this.errors = errors;
  }
}

/** Throw a MultiError when `errors` is not empty. */
export function reportErrors(errors: readonly unknown[]): void {
  if (errors.length === 1) throw errors[0];
  if (errors.length > 1) throw new MultiError(errors);
}
