/**
 * Crash-safe file writes: the data goes to a temp file in the same directory, is fsynced,
 * renamed over the target, and the directory is fsynced so the rename itself is durable.
 * A reader sees either the old content or the new one, never a mix.
 */
import { open, rename, rm, readFile, readdir } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { randomBytes } from "node:crypto";

/** Prefix of the temp files this module creates; `cleanTempFiles` removes leftovers. */
export const TEMP_PREFIX = ".tmp-";

/** Options of `writeFileAtomic`. */
export interface AtomicWriteOptions {
  mode?: number;
  /**
   * fsync the directory after the rename (default). Without it a crash may bring back the
   * previous content (whole, never a mix): for rewrites of a record whose last version is
   * not a promise made to a client.
   */
  syncDir?: boolean;
}

/** Write `data` to `path` atomically and durably. */
export async function writeFileAtomic(path: string, data: string | Uint8Array, o: number | AtomicWriteOptions = {}): Promise<void> {
  const { mode = 0o644, syncDir = true } = typeof o === "number" ? { mode: o } : o;
  const dir = dirname(path);
  const tmp = join(dir, `${TEMP_PREFIX}${basename(path)}-${randomBytes(6).toString("hex")}`);
  const fh = await open(tmp, "wx", mode);
  try {
    await fh.writeFile(data);
    await fh.sync();
  } catch (err) {
    await fh.close().catch(() => undefined);
    await rm(tmp, { force: true });
    throw err;
  }
  await fh.close();
  try {
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
  if (syncDir) await fsyncDir(dir);
}

/** fsync a directory so that entries created, renamed or removed in it are durable. */
export async function fsyncDir(dir: string): Promise<void> {
  const fh = await open(dir, "r");
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** Write `value` as JSON to `path` atomically. */
export async function writeJsonAtomic(path: string, value: unknown, o: AtomicWriteOptions = {}): Promise<void> {
  await writeFileAtomic(path, `${JSON.stringify(value, null, 1)}\n`, o);
}

/** Read JSON from `path`; `undefined` when the file does not exist. */
export async function readJson<T>(path: string): Promise<T | undefined> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw err;
  }
  return JSON.parse(text) as T;
}

/** Remove the temp files a crash may have left in `dir` (not recursive). */
export async function cleanTempFiles(dir: string): Promise<number> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return 0;
    throw err;
  }
  let n = 0;
  for (const name of names) {
    if (name.startsWith(TEMP_PREFIX)) {
      await rm(join(dir, name), { recursive: true, force: true });
      n++;
    }
  }
  return n;
}
