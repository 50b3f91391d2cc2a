/**
 * Per-repository metadata under `<root>/repositories/<name>/`: `_layers/<alg>/<hex>` links
 * (a blob is visible in a repository only when pushed or mounted there),
 * `_manifests/<alg>/<hex>` (JSON facts about a manifest: media type, size, subject,
 * artifact type) and `_tags/<tag>` (the digest). Every file is small and written
 * atomically. Names and tags must be validated (names.ts) before they reach this module.
 */
import { mkdir, open, readdir, readFile, rm, stat, type FileHandle } from "node:fs/promises";
import { mkdirSync, type Dirent } from "node:fs";
import { join } from "node:path";
import { fsyncDir, readJson, writeFileAtomic, writeJsonAtomic } from "../store/records/index.js";
import { tryParseDigest, type ParsedDigest } from "./names.js";

/** What is recorded about a manifest in a repository. */
export interface ManifestLink {
  mediaType: string;
  size: number;
  /** The digest of the manifest's `subject`, for the referrers API. */
  subject?: string;
  artifactType?: string;
  annotations?: Record<string, string>;
}

function enoent(err: unknown): boolean {
  return (err as NodeJS.ErrnoException).code === "ENOENT";
}

/** Repository metadata. */
export class Repositories {
  readonly dir: string;

  constructor(root: string) {
    this.dir = join(root, "repositories");
  }

  /** Create the repositories directory. */
  init(): void {
    mkdirSync(this.dir, { recursive: true, mode: 0o755 });
  }

  private repoDir(name: string): string {
    return join(this.dir, ...name.split("/"));
  }

  /** True when the repository has ever received a blob or manifest. */
  async exists(name: string): Promise<boolean> {
    for (const sub of ["_layers", "_manifests"]) {
      try {
        await stat(join(this.repoDir(name), sub));
        return true;
      } catch (err) {
        if (!enoent(err)) throw err;
      }
    }
    return false;
  }

  // ---- blob links

  /**
   * Make blob `d` visible in `name`, durably. The link is an empty file: it needs no
   * temp-and-rename (there is no content to tear), only its own fsync and its
   * directory's; an existing link (a concurrent or repeated push) needs the directory's
   * alone, which costs nothing once it is on disk.
   */
  async linkBlob(name: string, d: ParsedDigest): Promise<void> {
    const dir = join(this.repoDir(name), "_layers", d.algorithm);
    await mkdir(dir, { recursive: true });
    let fh: FileHandle | undefined;
    try {
      fh = await open(join(dir, d.hex), "wx", 0o644);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    }
    if (fh !== undefined) {
      try {
        await fh.sync();
      } finally {
        await fh.close();
      }
    }
    await fsyncDir(dir);
  }

  /** True when blob `d` is linked in `name`. */
  async hasBlobLink(name: string, d: ParsedDigest): Promise<boolean> {
    try {
      await stat(join(this.repoDir(name), "_layers", d.algorithm, d.hex));
      return true;
    } catch (err) {
      if (enoent(err)) return false;
      throw err;
    }
  }

  /** Remove the link of blob `d` from `name`; true when it existed. */
  async unlinkBlob(name: string, d: ParsedDigest): Promise<boolean> {
    try {
      await rm(join(this.repoDir(name), "_layers", d.algorithm, d.hex));
      return true;
    } catch (err) {
      if (enoent(err)) return false;
      throw err;
    }
  }

  /** Every blob linked in `name`. */
  async blobLinks(name: string): Promise<ParsedDigest[]> {
    return this.listDigests(join(this.repoDir(name), "_layers"));
  }

  // ---- manifests

  /** Record manifest `d` in `name`. */
  async putManifest(name: string, d: ParsedDigest, link: ManifestLink): Promise<void> {
    const dir = join(this.repoDir(name), "_manifests", d.algorithm);
    await mkdir(dir, { recursive: true });
    await writeJsonAtomic(join(dir, d.hex), link);
  }

  /** The record of manifest `d` in `name`, or undefined. */
  async getManifest(name: string, d: ParsedDigest): Promise<ManifestLink | undefined> {
    return readJson<ManifestLink>(join(this.repoDir(name), "_manifests", d.algorithm, d.hex));
  }

  /** Remove manifest `d` from `name` and every tag pointing at it; true when it existed. */
  async deleteManifest(name: string, d: ParsedDigest): Promise<boolean> {
    try {
      await rm(join(this.repoDir(name), "_manifests", d.algorithm, d.hex));
    } catch (err) {
      if (enoent(err)) return false;
      throw err;
    }
    for (const tag of await this.tags(name)) {
      if ((await this.getTag(name, tag)) === d.digest) await this.deleteTag(name, tag);
    }
    return true;
  }

  /** Every manifest recorded in `name`, with its record. */
  async manifests(name: string): Promise<Array<{ digest: ParsedDigest; link: ManifestLink }>> {
    const out: Array<{ digest: ParsedDigest; link: ManifestLink }> = [];
    for (const d of await this.listDigests(join(this.repoDir(name), "_manifests"))) {
      const link = await this.getManifest(name, d);
      if (link !== undefined) out.push({ digest: d, link });
    }
    return out;
  }

  // ---- tags

  /** Point `tag` of `name` at `digest`. */
  async setTag(name: string, tag: string, digest: ParsedDigest): Promise<void> {
    const dir = join(this.repoDir(name), "_tags");
    await mkdir(dir, { recursive: true });
    await writeFileAtomic(join(dir, tag), digest.digest);
  }

  /** The digest `tag` points at, or undefined. */
  async getTag(name: string, tag: string): Promise<string | undefined> {
    try {
      return (await readFile(join(this.repoDir(name), "_tags", tag), "utf8")).trim();
    } catch (err) {
      if (enoent(err)) return undefined;
      throw err;
    }
  }

  /** Remove a tag; true when it existed. */
  async deleteTag(name: string, tag: string): Promise<boolean> {
    try {
      await rm(join(this.repoDir(name), "_tags", tag));
      return true;
    } catch (err) {
      if (enoent(err)) return false;
      throw err;
    }
  }

  /** The tags of `name`, sorted lexically. */
  async tags(name: string): Promise<string[]> {
    try {
      // atomic writes leave ".tmp-" files only transiently; tags cannot start with "."
      return (await readdir(join(this.repoDir(name), "_tags"))).filter((t) => !t.startsWith(".")).sort();
    } catch (err) {
      if (enoent(err)) return [];
      throw err;
    }
  }

  // ---- catalog

  /** Every repository name, sorted lexically. */
  async list(): Promise<string[]> {
    const out: string[] = [];
    const walk = async (dir: string, prefix: string): Promise<void> => {
      let entries: Dirent[];
      try {
        entries = await readdir(dir, { withFileTypes: true });
      } catch (err) {
        if (enoent(err)) return;
        throw err;
      }
      const names = entries.map((e) => e.name);
      if (prefix !== "" && (names.includes("_layers") || names.includes("_manifests"))) out.push(prefix);
      for (const e of entries) {
        if (e.isDirectory() && !e.name.startsWith("_") && !e.name.startsWith(".")) {
          await walk(join(dir, e.name), prefix === "" ? e.name : `${prefix}/${e.name}`);
        }
      }
    };
    await walk(this.dir, "");
    return out.sort();
  }

  private async listDigests(dir: string): Promise<ParsedDigest[]> {
    const out: ParsedDigest[] = [];
    for (const alg of ["sha256", "sha512"]) {
      let names: string[];
      try {
        names = await readdir(join(dir, alg));
      } catch (err) {
        if (enoent(err)) continue;
        throw err;
      }
      for (const hex of names.sort()) {
        const d = tryParseDigest(`${alg}:${hex}`);
        if (d) out.push(d);
      }
    }
    return out;
  }
}


