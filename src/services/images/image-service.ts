/**
 * The image service: list, inspect, history, tag, remove, import, load and save of local
 * images, on top of the content store (blobs), the overlay store (layers) and the image
 * records. Knows nothing of HTTP; errors carry kinds and Docker's texts.
 */
import { mkdir, open as openFile, rm, stat } from "node:fs/promises";
import type { Readable } from "node:stream";
import type { ImageContainerConfig, ImageDeleteItem, ImageHistoryItem, ImageInspect, ImageSummary } from "../../api/images.js";
import { BerthError, conflict, invalidArgument, notFound } from "../../shared/errors.js";
import { PARTIAL_MAX_AGE_MS, type ContentStore } from "../../store/content/content-store.js";
import { detectCompression, type Compression } from "../../store/snapshots/decompress.js";
import type { OverlayStore } from "../../store/snapshots/overlay-store.js";
import { chainId as computeChainId } from "../../store/snapshots/chain-id.js";
import type { EventBus } from "../events/event-bus.js";
import { applyChanges } from "./changes.js";
import { hostPlatform, MEDIA_TYPE, parseImageConfig, type HistoryEntry, type ImageConfig, type OciManifest } from "./image-config.js";
import { ImageStore, type ImageLayer, type ImageRecord } from "./image-store.js";
import { familiarString, fullString, isValidTag, parseReference, withDefaultTag, type Reference } from "./reference.js";
import type { PullImageOptions, PushImageOptions } from "./pull.js";
import { compareStrings } from "../../shared/compare.js";

type LoginAuth = NonNullable<PullImageOptions["auth"]>;

/** Who uses an image (containers, later): injected so images need not know containers. */
export type ImageUsers = (imageId: string) => { id: string; running: boolean } | undefined;

/** Dependencies of the image service. */
export interface ImageServiceDeps {
  content: ContentStore;
  layers: OverlayStore;
  events: EventBus;
  /** Directory for the image records. */
  recordsDir: string;
  /** Directory for temp files (same filesystem as the stores). */
  tmpDir: string;
  /** @default no image is ever in use */
  usedBy?: ImageUsers;
  /** @default Date.now */
  now?: () => number;
  /** daemon.json `insecure-registries` and `registry-mirrors` for pull, push and login. */
  registry?: { insecureRegistries?: readonly string[]; mirrors?: readonly string[] };
}

/** Options for `list`. */
export interface ListOptions {
  all?: boolean;
  filters?: Record<string, string[]>;
  digests?: boolean;
}

/** Options for `importImage`. */
export interface ImportOptions {
  repo?: string;
  tag?: string;
  changes?: string[];
  message?: string;
  /** Source description for the history comment ("-" for the request body). @default "-" */
  source?: string;
}

/** Options for `remove`. */
export interface RemoveOptions {
  force?: boolean;
  noprune?: boolean;
}

const LIST_FILTERS = new Set(["dangling", "label", "reference", "before", "since", "until"]);

function shortId(id: string): string {
  return id.replace(/^sha256:/, "").slice(0, 12);
}

/** Local image management (Docker's image service, graphdriver flavour). */
export class ImageService {
  private readonly d: ImageServiceDeps;
  private readonly store: ImageStore;
  private readonly configs = new Map<string, ImageConfig>();
  /** Blobs of pulls in progress (downloaded, not yet in an image), by holder count. */
  private readonly held = new Map<string, number>();
  private lock: Promise<unknown> = Promise.resolve();

  private constructor(deps: ImageServiceDeps, store: ImageStore) {
    this.d = deps;
    this.store = store;
  }

  /** Open the records and drop layers no image references (crash leftovers). */
  static async open(deps: ImageServiceDeps): Promise<ImageService> {
    // Whatever is in the temp directory was left by a crash (spooled loads, seed builds).
    await rm(deps.tmpDir, { recursive: true, force: true });
    await mkdir(deps.tmpDir, { recursive: true, mode: 0o700 });
    const store = await ImageStore.open(deps.recordsDir);
    await deps.layers.gc();
    const svc = new ImageService(deps, store);
    // Blobs of a pull that was cut short (a kill, a crash) stay for a day, so pulling
    // again does not download finished layers again.
    await svc.pruneContent(PARTIAL_MAX_AGE_MS);
    return svc;
  }

  private now(): number {
    return (this.d.now ?? Date.now)();
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.lock.then(fn, fn);
    this.lock = next.catch(() => undefined);
    return next;
  }

  /**
   * Run a blob-writing operation under the lock; on failure remove every blob no image
   * references, so a rejected import or load leaves nothing behind. Blobs are only
   * written under this lock, so no other operation's fresh blob can be caught.
   */
  private serialWithCleanup<T>(fn: () => Promise<T>): Promise<T> {
    return this.serial(async () => {
      try {
        return await fn();
      } catch (err) {
        await this.pruneContent().catch(() => undefined);
        throw err;
      }
    });
  }

  /** Number of images. */
  count(): number {
    return this.store.all().length;
  }

  /** The config blob of an image, parsed and cached. */
  async config(id: string): Promise<ImageConfig> {
    let c = this.configs.get(id);
    if (c === undefined) {
      c = parseImageConfig(await this.d.content.readBuffer(id));
      this.configs.set(id, c);
    }
    return c;
  }

  /**
   * Find an image by id, id prefix or reference, as Docker's GetImage does. Throws
   * not-found with "No such image: <ref>" and invalid-argument for bad references.
   */
  resolve(nameOrId: string): ImageRecord {
    const s = nameOrId.trim();
    const full = /^(?:sha256:)?([a-f0-9]{64})$/.exec(s);
    if (full !== null) {
      const r = this.store.get(`sha256:${full[1]}`);
      if (r !== undefined) return r;
      throw notFound(`No such image: ${s}`);
    }
    let ref: Reference | undefined;
    let parseErr: unknown;
    try {
      ref = withDefaultTag(parseReference(s));
    } catch (err) {
      parseErr = err;
    }
    if (ref !== undefined) {
      const id = this.store.resolveRef(fullString(ref));
      const r = id !== undefined ? this.store.get(id) : undefined;
      if (r !== undefined) return r;
    }
    const prefix = /^(?:sha256:)?([a-f0-9]{1,63})$/.exec(s);
    if (prefix !== null) {
      const matches = this.store.all().filter((r) => r.id.slice(7).startsWith(prefix[1] as string));
      if (matches.length === 1) return matches[0] as ImageRecord;
      if (matches.length > 1) throw invalidArgument(`multiple IDs found with provided prefix: ${s}`);
    }
    if (ref === undefined) throw parseErr;
    throw notFound(`No such image: ${familiarString(ref)}`);
  }

  private tagsOf(id: string): string[] {
    return this.store.refsOf(id).filter((r) => !r.includes("@")).map((r) => familiarString(parseReference(r)));
  }

  private digestsOf(id: string): string[] {
    return this.store.refsOf(id).filter((r) => r.includes("@")).map((r) => familiarString(parseReference(r)));
  }

  private size(r: ImageRecord): number {
    return r.layers.reduce((a, l) => a + l.unpackedSize, 0);
  }

  /** GET /images/json. */
  async list(options: ListOptions = {}): Promise<ImageSummary[]> {
    const filters = options.filters ?? {};
    for (const k of Object.keys(filters)) if (!LIST_FILTERS.has(k)) throw invalidArgument(`invalid filter '${k}'`);
    const dangling = filters.dangling?.[0];
    if (dangling !== undefined && dangling !== "true" && dangling !== "false" && dangling !== "1" && dangling !== "0") {
      throw invalidArgument(`invalid filter 'dangling=${dangling}'`);
    }
    const createdOf = (r: ImageRecord) => Date.parse(r.created);
    const before = filters.before?.map((n) => createdOf(this.resolve(n)));
    const since = filters.since?.map((n) => createdOf(this.resolve(n)));
    const until = filters.until?.map((v) => untilMs(v, this.now()));
    const out: ImageSummary[] = [];
    for (const r of this.store.all()) {
      const tags = this.tagsOf(r.id);
      const cfg = await this.config(r.id);
      const labels = cfg.config?.Labels ?? {};
      if (dangling !== undefined && (dangling === "true" || dangling === "1") !== (tags.length === 0)) continue;
      if (filters.label !== undefined && !filters.label.every((l) => {
        const i = l.indexOf("=");
        return i === -1 ? labels[l] !== undefined : labels[l.slice(0, i)] === l.slice(i + 1);
      })) continue;
      if (before !== undefined && !before.every((t) => createdOf(r) < t)) continue;
      if (since !== undefined && !since.every((t) => createdOf(r) > t)) continue;
      if (until !== undefined && !until.every((t) => createdOf(r) <= t)) continue;
      let shownTags = tags;
      if (filters.reference !== undefined) {
        shownTags = tags.filter((t) => filters.reference?.some((p) => matchReference(p, t)));
        if (shownTags.length === 0) continue;
      }
      const created = Math.floor(createdOf(r) / 1000);
      const size = this.size(r);
      out.push({
        Containers: -1,
        Created: created,
        Id: r.id,
        Labels: labels,
        ParentId: "",
        RepoDigests: this.digestsOf(r.id),
        RepoTags: shownTags,
        SharedSize: -1,
        Size: size,
      });
    }
    return out.sort((a, b) => b.Created - a.Created || compareStrings(a.Id, b.Id));
  }

  /** GET /images/{name}/json. */
  async inspect(name: string): Promise<ImageInspect> {
    const r = this.resolve(name);
    const cfg = await this.config(r.id);
    const top = r.layers.at(-1);
    const data: Record<string, string> = {};
    if (top !== undefined) {
      data.UpperDir = this.d.layers.diffPath(top.chainId);
      const lowers = r.layers.slice(0, -1).reverse().map((l) => this.d.layers.diffPath(l.chainId));
      if (lowers.length > 0) data.LowerDir = lowers.join(":");
    }
    const out: ImageInspect = {
      Id: r.id,
      RepoTags: this.tagsOf(r.id),
      RepoDigests: this.digestsOf(r.id),
      Parent: "",
      Comment: cfg.comment ?? cfg.history?.at(-1)?.comment ?? "",
      Created: r.created,
      DockerVersion: cfg.docker_version ?? "",
      Author: cfg.author ?? "",
      Config: cfg.config ?? {},
      Architecture: cfg.architecture,
      Os: cfg.os,
      Size: this.size(r),
      GraphDriver: { Name: "overlay2", Data: data },
      RootFS: { Type: "layers", Layers: r.layers.map((l) => l.diffId) },
      Metadata: { LastTagTime: r.lastTagTime },
    };
    if (cfg.variant !== undefined) out.Variant = cfg.variant;
    return out;
  }

  /** GET /images/{name}/history: newest first, as Docker. */
  async history(name: string): Promise<ImageHistoryItem[]> {
    const r = this.resolve(name);
    const cfg = await this.config(r.id);
    const hist: HistoryEntry[] = cfg.history ?? r.layers.map(() => ({ created: r.created }));
    let layerIndex = 0;
    const items: ImageHistoryItem[] = hist.map((h) => {
      let size = 0;
      if (!h.empty_layer) {
        size = r.layers[layerIndex]?.unpackedSize ?? 0;
        layerIndex++;
      }
      return {
        Comment: h.comment ?? "",
        Created: h.created !== undefined ? Math.floor(Date.parse(h.created) / 1000) : 0,
        CreatedBy: h.created_by ?? "",
        Id: "<missing>",
        Size: size,
        Tags: [],
      };
    });
    items.reverse();
    const first = items[0];
    if (first !== undefined) {
      first.Id = r.id;
      first.Tags = this.tagsOf(r.id);
    }
    return items;
  }

  /** POST /images/{name}/tag. */
  async tag(source: string, repo: string, tag: string | undefined): Promise<void> {
    await this.serial(async () => {
      const img = this.resolve(source);
      const ref = parseReference(repo);
      if (ref.digest !== undefined) throw invalidArgument("refusing to create a tag with a digest reference");
      if (tag !== undefined && tag !== "" && !isValidTag(tag)) throw invalidArgument("invalid tag format");
      const target: Reference = { ...ref, tag: tag !== undefined && tag !== "" ? tag : ref.tag ?? "latest", digest: undefined };
      await this.store.setRef(fullString(target), img.id);
      await this.store.put({ ...img, lastTagTime: goTime(new Date(this.now())) });
      this.d.events.publish("image", "tag", img.id, { name: familiarString(target) });
    });
  }

  /** DELETE /images/{name}: untag or delete, with Docker's conflict rules. */
  async remove(name: string, options: RemoveOptions = {}): Promise<ImageDeleteItem[]> {
    return this.serial(async () => {
      const force = options.force ?? false;
      const img = this.resolve(name);
      const records: ImageDeleteItem[] = [];
      const user = (this.d.usedBy ?? (() => undefined))(img.id);
      const byId = isIdPrefix(img.id, name);
      let refs = this.store.refsOf(img.id);
      let removedRef = false;
      if (!byId) {
        const ref = withDefaultTag(parseReference(name));
        if (user !== undefined && refs.length === 1 && user.running && !force) {
          throw conflict(`conflict: unable to remove repository reference "${name}" (must force) - container ${shortId(user.id)} is using its referenced image ${shortId(img.id)}`);
        }
        await this.store.deleteRef(fullString(ref));
        records.push({ Untagged: familiarString(ref) });
        this.d.events.publish("image", "untag", img.id, { name: familiarString(ref) });
        refs = this.store.refsOf(img.id);
        if (ref.digest === undefined) {
          // As moby: once no tag of the repository is left, its digest references (a
          // pull's RepoDigests) go too, so `rmi name:tag` after a pull deletes the image.
          const repoOf = (r: Reference): string => fullString({ ...r, tag: undefined, digest: undefined });
          const same = refs.map((r) => parseReference(r)).filter((r) => repoOf(r) === repoOf(ref));
          if (same.every((r) => r.digest !== undefined)) {
            for (const r of same) {
              await this.store.deleteRef(fullString(r));
              records.push({ Untagged: familiarString(r) });
              this.d.events.publish("image", "untag", img.id, { name: familiarString(r) });
            }
            refs = this.store.refsOf(img.id);
          }
        }
        if (refs.length > 0) return records;
        removedRef = true;
      } else {
        const repos = new Set(refs.map((r) => fullString({ ...parseReference(r), tag: undefined, digest: undefined })));
        if (refs.length > 0 && !force && (repos.size > 1 || refs.filter((r) => !r.includes("@")).length > 1)) {
          throw conflict(`conflict: unable to delete ${shortId(img.id)} (must be forced) - image is referenced in multiple repositories`);
        }
        if (user !== undefined) {
          if (user.running) throw conflict(`conflict: unable to delete ${shortId(img.id)} (cannot be forced) - image is being used by running container ${shortId(user.id)}`);
          if (!force) throw conflict(`conflict: unable to delete ${shortId(img.id)} (must be forced) - image is being used by stopped container ${shortId(user.id)}`);
        }
        for (const r of refs) {
          await this.store.deleteRef(r);
          const fam = familiarString(parseReference(r));
          records.push({ Untagged: fam });
          this.d.events.publish("image", "untag", img.id, { name: fam });
        }
      }
      if (user !== undefined && removedRef && (user.running || !force)) {
        // Docker leaves an image a container still uses as an untagged one.
        return records;
      }
      await this.deleteImage(img, records);
      return records;
    });
  }

  /** Remove blobs no image references (left by failed loads or a crash), sparing those younger than `keepMs`. */
  private async pruneContent(keepMs = 0): Promise<void> {
    const used = this.usedDigests();
    const cutoff = this.now() - keepMs;
    for (const d of await this.d.content.list()) {
      if (used.has(d) || this.held.has(d)) continue;
      if (keepMs > 0 && (await stat(this.d.content.path(d)).then((st) => st.mtimeMs > cutoff, () => false))) continue;
      await this.d.content.delete(d);
    }
  }

  private usedDigests(): Set<string> {
    const used = new Set<string>();
    for (const r of this.store.all()) {
      used.add(r.id);
      used.add(r.manifestDigest);
      for (const l of r.layers) used.add(l.digest);
    }
    return used;
  }

  private async deleteImage(img: ImageRecord, records: ImageDeleteItem[]): Promise<void> {
    await this.store.delete(img.id);
    this.configs.delete(img.id);
    records.push({ Deleted: img.id });
    this.d.events.publish("image", "delete", img.id, { name: img.id });
    for (const l of [...img.layers].reverse()) {
      if (await this.d.layers.release(l.chainId)) records.push({ Deleted: l.chainId });
    }
    const stillUsed = this.usedDigests();
    for (const d of [img.id, img.manifestDigest, ...img.layers.map((l) => l.digest)]) {
      if (!stillUsed.has(d)) await this.d.content.delete(d);
    }
  }

  /**
   * Create (or find) an image from a config blob and layer blobs already in the content
   * store, extracting layers that are not yet in the overlay store; then point `refs` at
   * it. Returns the id and, per ref, the id it displaced.
   */
  private async createImage(configBuf: Buffer, layerBlobs: Array<{ digest: string; size: number }>, refs: Reference[]): Promise<{ id: string; displaced: Array<[Reference, string]> }> {
    const cfg = parseImageConfig(configBuf);
    const diffIds = cfg.rootfs.diff_ids;
    if (diffIds.length !== layerBlobs.length) {
      throw invalidArgument(`load image: config lists ${diffIds.length} layers but the manifest has ${layerBlobs.length}`);
    }
    const configDesc = await this.d.content.put(configBuf);
    const id = configDesc.digest;
    let existing = this.store.get(id);
    if (existing === undefined) {
      const layers: ImageLayer[] = [];
      let parent: string | undefined;
      for (const [i, blob] of layerBlobs.entries()) {
        const diffId = diffIds[i] as string;
        const cid = computeChainId(parent, diffId);
        let info = await this.d.layers.get(cid);
        if (info === undefined) {
          info = await this.d.layers.applyLayer(await this.d.content.open(blob.digest), { parent, expectedDiffId: diffId });
        }
        const head = await readHead(this.d.content.path(blob.digest));
        layers.push({
          digest: blob.digest,
          size: blob.size,
          mediaType: layerMediaType(detectCompression(head)),
          diffId,
          chainId: cid,
          unpackedSize: info.size,
        });
        parent = cid;
      }
      const manifest: OciManifest = {
        schemaVersion: 2,
        mediaType: MEDIA_TYPE.manifest,
        config: { mediaType: MEDIA_TYPE.config, digest: id, size: configDesc.size },
        layers: layers.map((l) => ({ mediaType: l.mediaType, digest: l.digest, size: l.size })),
      };
      const manifestDesc = await this.d.content.put(JSON.stringify(manifest));
      for (const l of layers) await this.d.layers.acquire(l.chainId);
      const nowIso = goTime(new Date(this.now()));
      existing = {
        id,
        configSize: configDesc.size,
        manifestDigest: manifestDesc.digest,
        manifestSize: manifestDesc.size,
        layers,
        created: cfg.created ?? nowIso,
        loadedAt: nowIso,
        lastTagTime: refs.length > 0 ? nowIso : "0001-01-01T00:00:00Z",
      };
      await this.store.put(existing);
    }
    const displaced: Array<[Reference, string]> = [];
    for (const ref of refs) {
      const prev = await this.store.setRef(fullString(ref), id);
      if (prev !== undefined) displaced.push([ref, prev]);
    }
    return { id, displaced };
  }

  /** POST /images/create?fromSrc=-: a rootfs tarball (plain or gzip) becomes a one-layer image. */
  async importImage(input: Readable, options: ImportOptions = {}): Promise<string> {
    let ref: Reference | undefined;
    if (options.repo !== undefined && options.repo !== "") {
      const r = parseReference(options.repo);
      if (r.digest !== undefined) throw invalidArgument("cannot import digest reference");
      if (options.tag !== undefined && options.tag !== "" && !isValidTag(options.tag)) throw invalidArgument("invalid tag format");
      ref = { ...r, tag: options.tag !== undefined && options.tag !== "" ? options.tag : r.tag ?? "latest" };
    }
    const config = applyChanges({}, options.changes ?? []);
    return this.serialWithCleanup(async () => {
      const blob = await this.d.content.ingest(input);
      const layer = await this.d.layers.applyLayer(await this.d.content.open(blob.digest));
      const created = goTime(new Date(this.now()));
      const msg = options.message !== undefined && options.message !== "" ? options.message : `Imported from ${options.source ?? "-"}`;
      const cfg: ImageConfig = {
        ...hostPlatform(),
        config,
        created,
        comment: msg,
        rootfs: { type: "layers", diff_ids: [layer.diffId] },
        history: [{ created, comment: msg }],
      };
      const { id } = await this.createImage(Buffer.from(JSON.stringify(cfg)), [blob], ref !== undefined ? [ref] : []);
      this.d.events.publish("image", "import", id, {});
      if (ref !== undefined) this.d.events.publish("image", "tag", id, { name: familiarString(ref) });
      return id;
    });
  }

  /**
   * Create an image from a root filesystem tar with a given config (the busybox seed).
   * `created` fixes the timestamps so the same input gives the same image id.
   */
  async createFromRootfs(input: Readable, container: ImageContainerConfig, ref: string, created: Date, comment: string): Promise<string> {
    return this.serialWithCleanup(async () => {
      const blob = await this.d.content.ingest(input);
      const layer = await this.d.layers.applyLayer(await this.d.content.open(blob.digest));
      const iso = goTime(created);
      const cfg: ImageConfig = {
        ...hostPlatform(),
        config: container,
        created: iso,
        rootfs: { type: "layers", diff_ids: [layer.diffId] },
        history: [{ created: iso, created_by: comment }],
      };
      const r = withDefaultTag(parseReference(ref));
      const { id } = await this.createImage(Buffer.from(JSON.stringify(cfg)), [blob], [r]);
      this.d.events.publish("image", "tag", id, { name: familiarString(r) });
      return id;
    });
  }

  /** POST /images/load: returns the progress lines Docker prints ("Loaded image: …"). */
  async load(input: Readable): Promise<string[]> {
    // Archive code (and tar parsing) loads on first use, keeping daemon start-up short.
    const { spoolArchive } = await import("./archive-spool.js");
    const { readArchiveImages } = await import("./load-archive.js");
    const spool = await spoolArchive(input, this.d.tmpDir);
    try {
      const images = await readArchiveImages(spool);
      return await this.serialWithCleanup(async () => {
        const lines: string[] = [];
        const adopted = new Map<string, { digest: string; size: number }>();
        for (const im of images) {
          const layerBlobs: Array<{ digest: string; size: number }> = [];
          for (const l of im.layers) {
            // Spooled files are ours and on the data root's filesystem: adopt, don't copy.
            // A path listed twice (or a symlinked layer.tar) was adopted already.
            const known = adopted.get(l.file);
            if (known !== undefined) {
              layerBlobs.push(known);
              continue;
            }
            const desc = await this.d.content.adoptFile(l.file, l.digest !== undefined ? { digest: l.digest } : {});
            adopted.set(l.file, desc);
            layerBlobs.push(desc);
          }
          const { id, displaced } = await this.createImage(im.config, layerBlobs, im.refs);
          for (const [ref, prev] of displaced) {
            lines.push(`The image ${familiarString(ref)} already exists, renaming the old one with ID ${prev} to empty string`);
          }
          this.d.events.publish("image", "load", id, {});
          if (im.refs.length === 0) lines.push(`Loaded image ID: ${id}`);
          for (const ref of im.refs) {
            this.d.events.publish("image", "tag", id, { name: familiarString(ref) });
            lines.push(`Loaded image: ${familiarString(ref)}`);
          }
        }
        return lines;
      });
    } catch (err) {
      if (err instanceof BerthError) throw err;
      if (err instanceof SyntaxError || err instanceof TypeError) throw invalidArgument(`load images: ${err.message}`, err);
      throw err;
    } finally {
      await spool.dispose();
    }
  }

  /** GET /images/get: a `docker save` archive (manifest.json and OCI layout) of `names`. */
  async save(names: readonly string[]): Promise<Readable> {
    if (names.length === 0) throw invalidArgument("save images: no image names given");
    const items = names.map((n) => {
      const img = this.resolve(n);
      let tags: Reference[] = [];
      if (!isIdPrefix(img.id, n)) {
        const ref = parseReference(n);
        tags = ref.tag === undefined && ref.digest === undefined
          ? this.store.refsOf(img.id).map(parseReference).filter((r) => r.tag !== undefined && r.domain === ref.domain && r.path === ref.path)
          : [withDefaultTag(ref)];
      }
      return { img, tags };
    });
    // One entry per image: `save busybox busybox:latest <id>` names one image once.
    const merged = new Map<string, { img: ImageRecord; tags: Reference[] }>();
    for (const it of items) {
      const m = merged.get(it.img.id);
      if (m === undefined) merged.set(it.img.id, { img: it.img, tags: [...it.tags] });
      else for (const t of it.tags) if (!m.tags.some((x) => fullString(x) === fullString(t))) m.tags.push(t);
    }
    for (const { img } of merged.values()) this.d.events.publish("image", "save", img.id, {});
    const { writeSaveArchive } = await import("./save-archive.js");
    return writeSaveArchive(this.d.content, [...merged.values()].map(({ img, tags }) => ({
      id: img.id,
      configSize: img.configSize,
      manifestDigest: img.manifestDigest,
      manifestSize: img.manifestSize,
      layers: img.layers.map((l) => ({ digest: l.digest, size: l.size, mediaType: l.mediaType, diffId: l.diffId })),
      refs: tags.map((t) => ({ full: fullString(t), familiar: familiarString(t), familiarName: familiarString({ ...t, tag: undefined, digest: undefined }), tag: t.tag ?? "latest" })),
    })));
  }

  /**
   * Container commit: a new image from the layers of `base` plus the uncompressed layer
   * tar `input` (no layer is added when it is empty), with the config `makeConfig` builds
   * from the new layer's diff id and the base's config; tagged `ref` when given.
   */
  async createFromLayerTar(
    base: string, input: Readable, makeConfig: (diffId: string | undefined, parent: ImageConfig) => ImageConfig, ref?: string,
  ): Promise<string> {
    const refs = ref !== undefined ? [withDefaultTag(parseReference(ref))] : [];
    for (const r of refs) if (r.digest !== undefined) throw invalidArgument("refusing to create a tag with a digest reference");
    return this.serialWithCleanup(async () => {
      const parent = this.resolve(base);
      const parentCfg = await this.config(parent.id);
      const blob = await this.d.content.ingest(input);
      // The digest of an empty tar (1024 zero bytes): moby records such a commit as an empty layer.
      const empty = blob.digest === "sha256:5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef";
      const cfg = makeConfig(empty ? undefined : blob.digest, parentCfg);
      const layers = [...parent.layers.map((l) => ({ digest: l.digest, size: l.size })), ...(empty ? [] : [blob])];
      const { id } = await this.createImage(Buffer.from(JSON.stringify(cfg)), layers, refs);
      for (const r of refs) this.d.events.publish("image", "tag", id, { name: familiarString(r) });
      return id;
    });
  }

  /** True when `ref` names an image already (the busybox seed check). */
  /**
   * Record an image pulled by distribution/ (config and layer blobs already in the
   * content store) under `ref` and its repository digest. Returns the id and whether
   * `ref` names a different image than before.
   */
  async commitPulled(config: Buffer, layers: Array<{ digest: string; size: number }>, ref: Reference, repoDigest?: string): Promise<{ id: string; changed: boolean }> {
    return this.serial(async () => {
      const before = this.store.resolveRef(fullString(ref));
      const refs: Reference[] = [ref];
      if (repoDigest !== undefined && ref.digest === undefined) refs.push({ ...ref, tag: undefined, digest: repoDigest });
      const { id } = await this.createImage(config, layers, refs);
      this.d.events.publish("image", "pull", familiarString(ref), { name: familiarString({ ...ref, tag: undefined, digest: undefined }) });
      return { id, changed: before !== id };
    });
  }

  /** The manifest digest of a local image, for push. */
  manifestOf(name: string): string {
    return this.resolve(name).manifestDigest;
  }

  private withRegistry<T extends { registry?: PullImageOptions["registry"] }>(opts: T): T {
    return opts.registry === undefined && this.d.registry !== undefined ? { ...opts, registry: this.d.registry } : opts;
  }

  /** POST /images/create?fromImage=: pull through distribution/. */
  async pull(opts: PullImageOptions): Promise<{ id: string; digest: string; ref: string }> {
    const { pullImage } = await import("./pull.js");
    return pullImage({ content: this.d.content, layers: this.d.layers, commitPulled: (...a) => this.commitPulled(...a), manifestOf: (n) => this.manifestOf(n), hold: (d) => this.hold(d) }, this.withRegistry(opts));
  }

  /** Keep `digests` from the cleanup of a failed load while a pull runs; returns the release. */
  private hold(digests: string[]): () => void {
    for (const d of digests) this.held.set(d, (this.held.get(d) ?? 0) + 1);
    let done = false;
    return () => {
      if (done) return;
      done = true;
      for (const d of digests) {
        const n = (this.held.get(d) ?? 1) - 1;
        if (n <= 0) this.held.delete(d);
        else this.held.set(d, n);
      }
    };
  }

  /** POST /auth: check registry credentials through distribution/. */
  async login(auth: LoginAuth): Promise<{ Status: string; IdentityToken: string }> {
    const { loginRegistry } = await import("./pull.js");
    return loginRegistry(auth, this.d.registry);
  }

  /** POST /images/{name}/push: push through distribution/. */
  async push(opts: PushImageOptions): Promise<{ digest: string; size: number }> {
    const { pushImage } = await import("./pull.js");
    return pushImage({ content: this.d.content, layers: this.d.layers, commitPulled: (...a) => this.commitPulled(...a), manifestOf: (n) => this.manifestOf(n) }, this.withRegistry(opts));
  }

  has(ref: string): boolean {
    try {
      this.resolve(ref);
      return true;
    } catch {
      return false;
    }
  }
}

// The media type a stored layer blob is pushed with, from its compression.
function layerMediaType(c: Compression): string {
  if (c === "gzip") return MEDIA_TYPE.layerGzip;
  if (c === "zstd") return "application/vnd.oci.image.layer.v1.tar+zstd";
  return MEDIA_TYPE.layer;
}

async function readHead(path: string): Promise<Buffer> {
  const fh = await openFile(path, "r");
  try {
    const buf = Buffer.alloc(8);
    const { bytesRead } = await fh.read(buf, 0, 8, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

// The `until` filter: unix seconds, an RFC 3339 date, or a Go duration before now ("24h").
function untilMs(v: string, nowMs: number): number {
  if (/^\d+(\.\d+)?$/.test(v)) return Number(v) * 1000;
  const dur = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/.exec(v);
  if (dur !== null && v !== "") return nowMs - (Number(dur[1] ?? 0) * 3600 + Number(dur[2] ?? 0) * 60 + Number(dur[3] ?? 0)) * 1000;
  const t = Date.parse(v);
  if (Number.isNaN(t)) throw invalidArgument(`invalid filter 'until=${v}'`);
  return t;
}

function isIdPrefix(id: string, name: string): boolean {
  const hex = id.slice(7);
  const n = name.replace(/^sha256:/, "");
  return /^[a-f0-9]+$/.test(n) && hex.startsWith(n);
}

// Docker matches the reference filter with path.Match on the familiar name and name:tag.
function matchReference(pattern: string, familiar: string): boolean {
  const re = new RegExp(`^${pattern.replace(/[.+^${}()|\\]/g, "\\$&").replace(/\*/g, "[^/]*").replace(/\?/g, "[^/]")}$`);
  const colon = familiar.lastIndexOf(":");
  const name = colon > familiar.lastIndexOf("/") ? familiar.slice(0, colon) : familiar;
  return re.test(familiar) || re.test(name);
}


// Go's RFC3339Nano, as Docker prints times: no trailing zero fraction.
function goTime(d: Date): string {
  return d.toISOString().replace(/\.?0+Z$/, "Z");
}
