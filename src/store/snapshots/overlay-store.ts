/**
 * The overlay layer store under `<data-root>/overlay/`, laid out like Docker's overlay2:
 *
 *   overlay/<hex>/diff        the extracted layer (hex of the layer's ChainID)
 *   overlay/<hex>/link        the layer's short name
 *   overlay/<hex>/lower       "l/<parent short>:l/<grandparent short>:…" (absent for a base layer)
 *   overlay/<hex>/layer.json  { chainId, diffId, parent, size, refs }
 *   overlay/l/<short>         symlink to ../<hex>/diff, so many lowers fit in one mount's options
 *   overlay/rw/<key>/{diff,work,merged,layer.json}   a container's writable layer on a parent
 *
 * Layers are extracted into a temp directory and renamed into place: a layer directory
 * is either complete or absent. Layers are reference-counted by their users (images).
 */
import { mkdir, readFile, readdir, readlink, rename, rm, symlink, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import type { Readable } from "node:stream";
import type { Host } from "../../kernel/host.js";
import { invalidArgument, notFound, conflict } from "../../shared/errors.js";
import { readJson, writeJsonAtomic, fsyncDir, TEMP_PREFIX } from "../records/atomic-file.js";
import { chainId as computeChainId } from "./chain-id.js";

/** A layer's metadata. */
export interface LayerInfo {
  chainId: string;
  diffId: string;
  parent: string | undefined;
  /** Bytes of regular files in the layer. */
  size: number;
  refs: number;
}

interface LayerRecord {
  chainId: string;
  diffId: string;
  parent?: string;
  size: number;
  refs: number;
}

const LINK_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

function shortName(): string {
  const bytes = randomBytes(26);
  let s = "";
  for (const b of bytes) s += LINK_CHARS[b % LINK_CHARS.length];
  return s;
}

function hexOf(id: string): string {
  if (!/^sha256:[a-f0-9]{64}$/.test(id)) throw invalidArgument(`invalid layer id "${id}"`);
  return id.slice(7);
}

/** A container's writable layer. */
export interface RwLayer {
  key: string;
  /** ChainID of the image layer below. */
  parent: string;
  /** Writable directory (overlay upperdir). */
  upper: string;
  work: string;
  /** Default mount point. */
  merged: string;
}

const RW_KEY = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

/** Options for `applyLayer`. */
export interface ApplyOptions {
  /** ChainID of the parent layer; absent for a base layer. */
  parent?: string | undefined;
  /** When given, the tar's digest must equal it. */
  expectedDiffId?: string | undefined;
}

/** Overlay-backed layer store (containerd's Snapshotter role, Docker's overlay2 layout). */
export class OverlayStore {
  readonly root: string;
  private readonly host: Host;
  private lock: Promise<unknown> = Promise.resolve();
  /** Deletions of removed writable layers still running (see `removeRwLayer`). */
  private readonly deleting = new Set<Promise<void>>();

  private constructor(root: string, host: Host) {
    this.root = root;
    this.host = host;
  }

  /** Open the store, removing temp directories and dangling short links a crash left. */
  static async open(root: string, host: Host): Promise<OverlayStore> {
    const s = new OverlayStore(root, host);
    await mkdir(join(root, "l"), { recursive: true, mode: 0o700 });
    await mkdir(join(root, "rw"), { recursive: true, mode: 0o700 });
    for (const dir of [root, join(root, "rw")]) {
      for (const name of await readdir(dir)) {
        if (name.startsWith(TEMP_PREFIX)) await rm(join(dir, name), { recursive: true, force: true });
      }
    }
    for (const name of await readdir(join(root, "l"))) {
      const p = join(root, "l", name);
      try {
        await stat(p);
      } catch {
        await rm(p, { force: true });
      }
    }
    return s;
  }

  /** Serialise metadata changes within this process. */
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.lock.then(fn, fn);
    this.lock = next.catch(() => undefined);
    return next;
  }

  private dir(id: string): string {
    return join(this.root, hexOf(id));
  }

  /** Metadata of a layer, or undefined when absent. */
  async get(id: string): Promise<LayerInfo | undefined> {
    const r = await readJson<LayerRecord>(join(this.dir(id), "layer.json"));
    if (r === undefined) return undefined;
    return { chainId: r.chainId, diffId: r.diffId, parent: r.parent, size: r.size, refs: r.refs };
  }

  /** True when the layer exists. */
  async has(id: string): Promise<boolean> {
    return (await this.get(id)) !== undefined;
  }

  /** Path of the layer's extracted content. */
  diffPath(id: string): string {
    return join(this.dir(id), "diff");
  }

  /** All layers. */
  async list(): Promise<LayerInfo[]> {
    const out: LayerInfo[] = [];
    for (const name of await readdir(this.root)) {
      if (!/^[a-f0-9]{64}$/.test(name)) continue;
      const l = await this.get(`sha256:${name}`);
      if (l !== undefined) out.push(l);
    }
    return out;
  }

  /**
   * Extract the layer tarball `input` on top of `parent`. Returns the new (or existing,
   * if the same content was applied before) layer with refs unchanged; nothing is left
   * behind on failure.
   */
  async applyLayer(input: Readable, options: ApplyOptions = {}): Promise<LayerInfo> {
    const parent = options.parent;
    let parentInfo: LayerInfo | undefined;
    if (parent !== undefined) {
      parentInfo = await this.get(parent);
      if (parentInfo === undefined) throw notFound(`apply layer: parent layer "${parent}" not found`);
    }
    const tmp = join(this.root, `${TEMP_PREFIX}${randomBytes(8).toString("hex")}`);
    await mkdir(join(tmp, "diff"), { recursive: true, mode: 0o755 });
    try {
      // Loaded on first use: tar parsing is not needed to start the daemon.
      const { extractLayer } = await import("./extract-layer.js");
      const res = await extractLayer(input, join(tmp, "diff"), this.host);
      if (options.expectedDiffId !== undefined && res.diffId !== options.expectedDiffId) {
        throw invalidArgument(`apply layer: content digest ${res.diffId} does not match the diff id ${options.expectedDiffId}`);
      }
      // The extracted files must be durable before the rename publishes the layer.
      await this.host.syncfs(tmp);
      const id = computeChainId(parent, res.diffId);
      return await this.serial(async () => {
        const existing = await this.get(id);
        if (existing !== undefined) return existing;
        const link = shortName();
        const record: LayerRecord = { chainId: id, diffId: res.diffId, size: res.size, refs: 0 };
        if (parent !== undefined) record.parent = parent;
        await writeJsonAtomic(join(tmp, "layer.json"), record);
        await writeFile(join(tmp, "link"), link);
        if (parentInfo !== undefined) {
          const plink = await this.linkOf(parentInfo.chainId);
          const plower = await this.lowerOf(parentInfo.chainId);
          await writeFile(join(tmp, "lower"), [`l/${plink}`, ...plower].join(":"));
        }
        await symlink(`../${hexOf(id)}/diff`, join(this.root, "l", link));
        await rename(tmp, this.dir(id));
        await fsyncDir(this.root);
        return { chainId: id, diffId: res.diffId, parent, size: res.size, refs: 0 };
      });
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  }

  private async linkOf(id: string): Promise<string> {
    return (await readFile(join(this.dir(id), "link"), "utf8")).trim();
  }

  private async lowerOf(id: string): Promise<string[]> {
    try {
      const text = (await readFile(join(this.dir(id), "lower"), "utf8")).trim();
      return text === "" ? [] : text.split(":");
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return [];
      throw err;
    }
  }

  /** Take a reference on a layer (an image or container now uses it). */
  async acquire(id: string): Promise<void> {
    await this.serial(async () => {
      const r = await readJson<LayerRecord>(join(this.dir(id), "layer.json"));
      if (r === undefined) throw notFound(`acquire layer: layer "${id}" not found`);
      r.refs++;
      await writeJsonAtomic(join(this.dir(id), "layer.json"), r);
    });
  }

  /** Drop a reference; at zero the layer is removed. Returns true when it was removed. */
  async release(id: string): Promise<boolean> {
    return this.serial(async () => {
      const r = await readJson<LayerRecord>(join(this.dir(id), "layer.json"));
      if (r === undefined) return false;
      r.refs = Math.max(0, r.refs - 1);
      if (r.refs > 0) {
        // No directory fsync: a crash can only bring back the higher count, which keeps a
        // layer longer than needed (never removes one in use).
        await writeJsonAtomic(join(this.dir(id), "layer.json"), r, { syncDir: false });
        return false;
      }
      await this.removeLocked(id);
      return true;
    });
  }

  private async removeLocked(id: string): Promise<void> {
    const link = await this.linkOf(id).catch(() => undefined);
    // Rename first so a crash never leaves a half-removed layer that looks complete.
    const doomed = join(this.root, `${TEMP_PREFIX}rm-${hexOf(id)}`);
    await rename(this.dir(id), doomed);
    if (link !== undefined) await rm(join(this.root, "l", link), { force: true });
    await rm(doomed, { recursive: true, force: true });
  }

  /** The chain of `id`: itself and every ancestor. */
  private async chainOf(id: string): Promise<string[]> {
    const out: string[] = [];
    let cur: string | undefined = id;
    while (cur !== undefined) {
      const l = await this.get(cur);
      if (l === undefined) throw notFound(`layer "${cur}" not found`);
      out.push(cur);
      cur = l.parent;
    }
    return out;
  }

  private rwDir(key: string): string {
    if (!RW_KEY.test(key)) throw invalidArgument(`invalid writable layer key "${key}"`);
    return join(this.root, "rw", key);
  }

  /**
   * Create the writable layer `key` (a container's) on top of `parent`, taking a reference
   * on every layer of the parent's chain. Returns its directories.
   */
  async createRwLayer(key: string, parent: string): Promise<RwLayer> {
    const dir = this.rwDir(key);
    const chain = await this.chainOf(parent);
    const tmp = join(this.root, "rw", `${TEMP_PREFIX}${key}`);
    await rm(tmp, { recursive: true, force: true });
    for (const d of ["diff", "work", "merged"]) await mkdir(join(tmp, d), { recursive: true, mode: 0o755 });
    await writeJsonAtomic(join(tmp, "layer.json"), { key, parent });
    try {
      await rename(tmp, dir);
    } catch (err) {
      await rm(tmp, { recursive: true, force: true });
      if ((err as NodeJS.ErrnoException).code === "ENOTEMPTY" || (err as NodeJS.ErrnoException).code === "EEXIST") {
        throw conflict(`create writable layer: "${key}" already exists`);
      }
      throw err;
    }
    await fsyncDir(join(this.root, "rw"));
    for (const id of chain) await this.acquire(id);
    return this.rwLayer(key, parent);
  }

  private rwLayer(key: string, parent: string): RwLayer {
    const dir = this.rwDir(key);
    return { key, parent, upper: join(dir, "diff"), work: join(dir, "work"), merged: join(dir, "merged") };
  }

  /** The writable layer `key`, or undefined. */
  async getRwLayer(key: string): Promise<RwLayer | undefined> {
    const r = await readJson<{ key: string; parent: string }>(join(this.rwDir(key), "layer.json"));
    return r === undefined ? undefined : this.rwLayer(key, r.parent);
  }

  /** Mount the writable layer `key` at its `merged` directory (or `target`); returns the target. */
  async mountRwLayer(key: string, target?: string): Promise<string> {
    const l = await this.getRwLayer(key);
    if (l === undefined) throw notFound(`mount writable layer: "${key}" not found`);
    const lowers = [`l/${await this.linkOf(l.parent)}`, ...(await this.lowerOf(l.parent))];
    const data = `lowerdir=${lowers.join(":")},upperdir=rw/${key}/diff,workdir=rw/${key}/work`;
    if (data.length > 4000) throw conflict(`mount writable layer: too many layers for one mount (${data.length} bytes of options)`);
    const at = target ?? l.merged;
    await this.host.mount("overlay", at, "overlay", 0, data, this.root);
    return at;
  }

  /** Remove the writable layer `key` (unmounted first by the caller) and drop its references. */
  async removeRwLayer(key: string): Promise<void> {
    const l = await this.getRwLayer(key);
    if (l === undefined) return;
    const doomed = join(this.root, "rw", `${TEMP_PREFIX}rm-${key}`);
    await rename(this.rwDir(key), doomed);
    for (const id of (await this.chainOf(l.parent)).reverse()) await this.release(id);
    // Gone once renamed: the files are deleted after the answer (`docker run --rm` waits for
    // it); what a crash leaves behind is a temp entry that `open` removes.
    const gone: Promise<void> = rm(doomed, { recursive: true, force: true }).catch(() => undefined).finally(() => { this.deleting.delete(gone); });
    this.deleting.add(gone);
  }

  /** Resolves once the files of removed writable layers are deleted. */
  async settled(): Promise<void> {
    await Promise.all([...this.deleting]);
  }

  /** Remove layers nobody references (left by a crash between apply and acquire). */
  async gc(): Promise<string[]> {
    return this.serial(async () => {
      const removed: string[] = [];
      for (const l of await this.list()) {
        if (l.refs === 0) {
          await this.removeLocked(l.chainId);
          removed.push(l.chainId);
        }
      }
      return removed;
    });
  }

  /**
   * overlayfs options for a mount whose lowers are `id` and its ancestors, relative to
   * `root` (the mount runs with that cwd, as Docker's overlay2 does, to keep them short).
   */
  async mountData(id: string, upper: string, work: string): Promise<string> {
    if (!(await this.has(id))) throw notFound(`mount layer: layer "${id}" not found`);
    const lowers = [`l/${await this.linkOf(id)}`, ...(await this.lowerOf(id))];
    return `lowerdir=${lowers.join(":")},upperdir=${upper},workdir=${work}`;
  }

  /** Mount `id` (and its ancestors) read-only below `upper` at `target`. */
  async mount(id: string, upper: string, work: string, target: string): Promise<void> {
    const data = await this.mountData(id, upper, work);
    if (data.length > 4000) throw conflict(`mount layer: too many layers for one mount (${data.length} bytes of options)`);
    await this.host.mount("overlay", target, "overlay", 0, data, this.root);
  }

  /** Unmount a target mounted with `mount`. */
  async unmount(target: string): Promise<void> {
    await this.host.umount(target, 0);
  }

  /** Where a short link points (for tests and debugging). */
  async resolveLink(short: string): Promise<string> {
    return readlink(join(this.root, "l", short));
  }
}
