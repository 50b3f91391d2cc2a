/**
 * Image records (`images/db/<hex>.json`) and the reference map (`images/repositories.json`:
 * full reference → image id), each written atomically. The reference map is one file so
 * that moving a tag between images is a single atomic write.
 */
import { join } from "node:path";
import { RecordStore } from "../../store/records/record-store.js";
import { readJson, writeJsonAtomic } from "../../store/records/atomic-file.js";
import { compareStrings } from "../../shared/compare.js";

/** A layer of an image as stored. */
export interface ImageLayer {
  /** Blob digest in the content store (compressed or not). */
  digest: string;
  size: number;
  mediaType: string;
  diffId: string;
  chainId: string;
  /** Uncompressed file bytes in the layer. */
  unpackedSize: number;
}

/** An image record. */
export interface ImageRecord {
  /** "sha256:<hex of the config digest>". */
  id: string;
  configSize: number;
  manifestDigest: string;
  manifestSize: number;
  layers: ImageLayer[];
  /** config.created, or the time of import/load when absent. */
  created: string;
  /** When the record was created (ISO). */
  loadedAt: string;
  lastTagTime: string;
}

interface RefFile {
  refs: Record<string, string>;
}

/** Persistence of image records and references. */
export class ImageStore {
  private readonly records: RecordStore<ImageRecord>;
  private readonly refsPath: string;
  private refs: Map<string, string>;
  private cache = new Map<string, ImageRecord>();

  private constructor(records: RecordStore<ImageRecord>, refsPath: string, refs: Map<string, string>) {
    this.records = records;
    this.refsPath = refsPath;
    this.refs = refs;
  }

  /** Open `dir`, load every record, and drop references to images that do not exist. */
  static async open(dir: string): Promise<ImageStore> {
    const records = await RecordStore.open<ImageRecord>(join(dir, "db"));
    const refsPath = join(dir, "repositories.json");
    const file = await readJson<RefFile>(refsPath);
    const s = new ImageStore(records, refsPath, new Map(Object.entries(file?.refs ?? {})));
    for (const [, r] of await records.list()) s.cache.set(r.id, r);
    let dropped = false;
    for (const [ref, id] of s.refs) {
      if (!s.cache.has(id)) {
        s.refs.delete(ref);
        dropped = true;
      }
    }
    if (dropped) await s.saveRefs();
    return s;
  }

  private async saveRefs(): Promise<void> {
    const refs: Record<string, string> = {};
    for (const [k, v] of [...this.refs].sort(([a], [b]) => compareStrings(a, b))) refs[k] = v;
    await writeJsonAtomic(this.refsPath, { refs } satisfies RefFile);
  }

  /** All image records. */
  all(): ImageRecord[] {
    return [...this.cache.values()];
  }

  /** The record with `id`, if any. */
  get(id: string): ImageRecord | undefined {
    return this.cache.get(id);
  }

  /** Store or replace a record. */
  async put(r: ImageRecord): Promise<void> {
    await this.records.put(r.id.slice(7), r);
    this.cache.set(r.id, r);
  }

  /** Remove a record (and every reference to it). */
  async delete(id: string): Promise<void> {
    let changed = false;
    for (const [ref, target] of this.refs) {
      if (target === id) {
        this.refs.delete(ref);
        changed = true;
      }
    }
    if (changed) await this.saveRefs();
    await this.records.delete(id.slice(7));
    this.cache.delete(id);
  }

  /** The image a full reference string points at. */
  resolveRef(ref: string): string | undefined {
    return this.refs.get(ref);
  }

  /** Full reference strings pointing at `id`, sorted. */
  refsOf(id: string): string[] {
    return [...this.refs].filter(([, v]) => v === id).map(([k]) => k).sort();
  }

  /** Point `ref` at `id`; returns the image it pointed at before, if different. */
  async setRef(ref: string, id: string): Promise<string | undefined> {
    const prev = this.refs.get(ref);
    this.refs.set(ref, id);
    await this.saveRefs();
    return prev !== id ? prev : undefined;
  }

  /** Remove `ref`; true when it existed. */
  async deleteRef(ref: string): Promise<boolean> {
    const had = this.refs.delete(ref);
    if (had) await this.saveRefs();
    return had;
  }
}
