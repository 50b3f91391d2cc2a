/**
 * A directory of JSON records keyed by id (`<dir>/<id>.json`), each written atomically.
 * Services keep their own records here (images, later containers, networks, volumes).
 */
import { mkdir, readdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { cleanTempFiles, fsyncDir, readJson, writeJsonAtomic } from "./atomic-file.js";

const ID_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,199}$/;

/** A set of JSON records of one type in one directory. */
export class RecordStore<T> {
  readonly dir: string;

  private constructor(dir: string) {
    this.dir = dir;
  }

  /** Open (creating) the directory and remove temp files a crash left behind. */
  static async open<T>(dir: string): Promise<RecordStore<T>> {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    await cleanTempFiles(dir);
    return new RecordStore<T>(dir);
  }

  private file(id: string): string {
    if (!ID_RE.test(id)) throw new RangeError(`record id "${id}" is invalid`);
    return join(this.dir, `${id}.json`);
  }

  /** Store `value` under `id`, replacing any previous record atomically. */
  async put(id: string, value: T): Promise<void> {
    await writeJsonAtomic(this.file(id), value);
  }

  /** The record `id`, or `undefined`. */
  async get(id: string): Promise<T | undefined> {
    return readJson<T>(this.file(id));
  }

  /** Remove record `id`; true when it existed. */
  async delete(id: string): Promise<boolean> {
    const f = this.file(id);
    const existed = (await readJson<T>(f)) !== undefined;
    await rm(f, { force: true });
    await fsyncDir(this.dir);
    return existed;
  }

  /** The ids of all records. */
  async ids(): Promise<string[]> {
    const names = await readdir(this.dir);
    return names.filter((n) => n.endsWith(".json") && !n.startsWith(".")).map((n) => n.slice(0, -5)).sort();
  }

  /** All records, as [id, value] pairs. */
  async list(): Promise<Array<[string, T]>> {
    // In parallel (a daemon start waits for every store's list), in id order.
    const ids = await this.ids();
    const values = await Promise.all(ids.map((id) => this.get(id)));
    const out: Array<[string, T]> = [];
    ids.forEach((id, i) => {
      const v = values[i];
      if (v !== undefined) out.push([id, v]);
    });
    return out;
  }
}
