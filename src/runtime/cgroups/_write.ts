import { join } from "node:path";
import { BerthError, type ErrorKind, KernelError, invalidArgument } from "../../shared/errors.js";
import { type CgroupFs, strerror } from "./cgroup-fs.js";

/** Where a warning goes: anything with a `warn(msg)` method (a pino logger fits). */
export interface CgroupLogger {
  warn(msg: string): void;
}

/** Shared by the v1 and v2 setters: the file access, a labelled write and the logger. */
export interface SetContext {
  readonly fs: CgroupFs;
  readonly logger: CgroupLogger;
}

// The value (or the device it names) is what the kernel refused.
const INVALID_CODES = new Set(["EINVAL", "EBUSY", "ERANGE", "EOVERFLOW", "ENOSPC", "ENOENT", "ENODEV", "EOPNOTSUPP", "ENOTSUP"]);

function kindOfKernelError(err: KernelError): ErrorKind {
  if (INVALID_CODES.has(err.code)) return "invalid-argument";
  if (err.code === "EPERM" || err.code === "EACCES") return "permission-denied";
  return "internal";
}

/** Numbers plain, anything else quoted, as the error style asks. */
export function showValue(value: string): string {
  return /^-?\d+$/.test(value) ? value : `"${value}"`;
}

/**
 * "set memory limit 4194304: write `memory.limit_in_bytes`: device or resource busy":
 * the setting, the value, the file and the kernel's answer, kind from the errno.
 */
export function setError(label: string, value: string, file: string, err: unknown): BerthError {
  if (err instanceof KernelError) {
    const detail = strerror(err.code);
    return new BerthError(kindOfKernelError(err), `set ${label} ${showValue(value)}: ${err.op} \`${file}\`: ${detail}`, {
      cause: err,
    });
  }
  return new BerthError("internal", `set ${label} ${showValue(value)}: write \`${file}\`: ${String(err)}`, { cause: err });
}

/** Writes `value` to `dir/file`, turning a kernel refusal into a one-line BerthError. */
export function writeSetting(ctx: SetContext, dir: string, file: string, value: string, label: string): void {
  try {
    ctx.fs.writeFile(join(dir, file), value);
  } catch (err) {
    throw setError(label, value, file, err);
  }
}

/** A JSON integer as the decimal text the kernel parses (no exponent for big values). */
export function num(label: string, n: number): string {
  if (!Number.isInteger(n)) throw invalidArgument(`set ${label} ${String(n)}: not an integer`);
  return Number.isSafeInteger(n) ? String(n) : BigInt(n).toString();
}

/** Reads `dir/file` trimmed, or undefined when it cannot be read (missing controller file). */
export function readOptional(fs: CgroupFs, dir: string, file: string): string | undefined {
  try {
    return fs.readFile(join(dir, file)).trim();
  } catch {
    return undefined;
  }
}
