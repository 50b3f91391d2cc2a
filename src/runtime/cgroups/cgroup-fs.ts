import * as fs from "node:fs";
import { constants as osConstants } from "node:os";
import { KernelError } from "../../shared/errors.js";

/**
 * The file operations the cgroup managers make. The real one is `nodeCgroupFs`; unit tests
 * inject a fake kernel over a temp dir of plain files (`fake-cgroupfs.ts`). Every method
 * throws `KernelError` (errno, op, path), never a raw Node error.
 */
export interface CgroupFs {
  /** Whole file as text. */
  readFile(path: string): string;
  /** One write(2) of `data` to an existing file (O_WRONLY|O_TRUNC, never O_CREAT). */
  writeFile(path: string, data: string): void;
  exists(path: string): boolean;
  /** mkdir(2) of one directory; EEXIST is thrown like any other error. */
  mkdir(path: string): void;
  rmdir(path: string): void;
  /** Names of the subdirectories of `path`. */
  subdirs(path: string): string[];
  /** Names of the regular files in `path`. */
  files(path: string): string[];
}

/** glibc's strerror() text, lowercased, for the errnos cgroupfs returns. */
const STRERROR: Readonly<Record<string, string>> = {
  EPERM: "operation not permitted",
  ENOENT: "no such file or directory",
  ESRCH: "no such process",
  EINTR: "interrupted system call",
  EIO: "input/output error",
  E2BIG: "argument list too long",
  EBADF: "bad file descriptor",
  EAGAIN: "resource temporarily unavailable",
  ENOMEM: "cannot allocate memory",
  EACCES: "permission denied",
  EBUSY: "device or resource busy",
  EEXIST: "file exists",
  ENODEV: "no such device",
  ENOTDIR: "not a directory",
  EISDIR: "is a directory",
  EINVAL: "invalid argument",
  ENOSPC: "no space left on device",
  EROFS: "read-only file system",
  ERANGE: "numerical result out of range",
  ENOTEMPTY: "directory not empty",
  EOPNOTSUPP: "operation not supported",
  ENOTSUP: "operation not supported",
  EOVERFLOW: "value too large for defined data type",
};

/** The strerror() text of an errno name such as "EBUSY". */
export function strerror(code: string): string {
  return STRERROR[code] ?? code.toLowerCase();
}

/** A KernelError for `code` (an errno name), with strerror() text as its detail. */
export function kernelError(op: string, code: string, path: string): KernelError {
  const errno = (osConstants.errno as Record<string, number>)[code] ?? 0;
  return new KernelError(op, errno, code, path, strerror(code));
}

function toKernelError(op: string, path: string, err: unknown): KernelError {
  if (err instanceof KernelError) return err;
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return kernelError(op, typeof code === "string" ? code : "EIO", path);
}

/** The real cgroupfs through node:fs (synchronous: these are small pseudo-files). */
export const nodeCgroupFs: CgroupFs = {
  readFile(path) {
    try {
      return fs.readFileSync(path, "utf8");
    } catch (err) {
      throw toKernelError("read", path, err);
    }
  },
  writeFile(path, data) {
    let fd: number;
    try {
      fd = fs.openSync(path, fs.constants.O_WRONLY | fs.constants.O_TRUNC);
    } catch (err) {
      throw toKernelError("open", path, err);
    }
    try {
      // cgroupfs parses each write(2) on its own: one call with the whole value.
      fs.writeSync(fd, data);
    } catch (err) {
      throw toKernelError("write", path, err);
    } finally {
      fs.closeSync(fd);
    }
  },
  exists(path) {
    return fs.existsSync(path);
  },
  mkdir(path) {
    try {
      fs.mkdirSync(path, { mode: 0o755 });
    } catch (err) {
      throw toKernelError("mkdir", path, err);
    }
  },
  rmdir(path) {
    try {
      fs.rmdirSync(path);
    } catch (err) {
      throw toKernelError("rmdir", path, err);
    }
  },
  subdirs(path) {
    try {
      return fs
        .readdirSync(path, { withFileTypes: true })
        .filter((e) => e.isDirectory())
        .map((e) => e.name);
    } catch (err) {
      throw toKernelError("readdir", path, err);
    }
  },
  files(path) {
    try {
      return fs
        .readdirSync(path, { withFileTypes: true })
        .filter((e) => e.isFile())
        .map((e) => e.name);
    } catch (err) {
      throw toKernelError("readdir", path, err);
    }
  },
};
