/**
 * Prune and disk use (moby's ContainersPrune, ImagesPrune and SystemDiskUsage) over the
 * container, image and layer services. Prune removes only what nothing uses and what the
 * filters select; a removal that fails (the object came into use meanwhile) is skipped.
 */
import type { ContainerSummary } from "../../api/containers.js";
import type { ImageDeleteItem, ImageInspect, ImageSummary } from "../../api/images.js";
import type { ContainersPruneResponse, ImagesPruneResponse, SystemDataUsage, VolumeUsage } from "../../api/disk-usage.js";
import { invalidArgument } from "../../shared/errors.js";
import { nullLogger, type Logger } from "../../shared/logger.js";
import { chainIds } from "../../store/snapshots/chain-id.js";
import type { EventBus } from "../events/event-bus.js";
import { parsePruneFilters, pruneMatches } from "./prune-filters.js";

/** Dependencies of the disk service. */
export interface DiskServiceDeps {
  containers: {
    list(o: { all?: boolean; size?: boolean }): Promise<ContainerSummary[]>;
    remove(ref: string, o?: { force?: boolean; volumes?: boolean }): Promise<void>;
  };
  images: {
    list(o?: { all?: boolean }): Promise<ImageSummary[]>;
    inspect(name: string): Promise<ImageInspect>;
    remove(name: string, o?: { force?: boolean; noprune?: boolean }): Promise<ImageDeleteItem[]>;
  };
  layers: { list(): Promise<Array<{ chainId: string; size: number }>> };
  /** The volume service's disk use, when one is wired. */
  volumes?: { usage(): Promise<VolumeUsage[]> } | undefined;
  events?: EventBus | undefined;
  log?: Logger | undefined;
  /** @default Date.now */
  now?: () => number;
}

/** The kinds of object `GET /system/df?type=` can ask for. */
export type DiskUsageType = "container" | "image" | "volume" | "build-cache";

const TYPES = new Set<string>(["container", "image", "volume", "build-cache"]);

/** Prune and disk use. */
export class DiskService {
  private readonly d: DiskServiceDeps;

  constructor(deps: DiskServiceDeps) {
    this.d = deps;
  }

  private now(): number {
    return (this.d.now ?? Date.now)();
  }

  private get log(): Logger {
    return this.d.log ?? nullLogger;
  }

  /** POST /containers/prune: remove stopped containers the filters select. */
  async pruneContainers(filters: Record<string, string[]> = {}): Promise<ContainersPruneResponse> {
    const f = parsePruneFilters(filters, this.now());
    const deleted: string[] = [];
    let space = 0;
    for (const c of await this.d.containers.list({ all: true, size: true })) {
      if (c.State === "running" || c.State === "paused" || c.State === "restarting" || c.State === "removing") continue;
      if (!pruneMatches(f, c.Created * 1000, c.Labels)) continue;
      try {
        await this.d.containers.remove(c.Id, {});
      } catch (err) {
        this.log.warn({ err, container: c.Id }, "prune container");
        continue;
      }
      deleted.push(c.Id);
      space += c.SizeRw ?? 0;
    }
    this.d.events?.publish("container", "prune", "", { reclaimed: String(space) });
    return { ContainersDeleted: deleted.length > 0 ? deleted : null, SpaceReclaimed: space };
  }

  private async layersSize(): Promise<number> {
    return (await this.d.layers.list()).reduce((a, l) => a + l.size, 0);
  }

  /**
   * POST /images/prune: dangling images nothing uses (`dangling=false`: every image no
   * container uses), narrowed by `until` and `label`.
   */
  async pruneImages(filters: Record<string, string[]> = {}): Promise<ImagesPruneResponse> {
    const f = parsePruneFilters(filters, this.now(), ["dangling"]);
    // moby's GetBoolOrDefault: one of true/1 or false/0 must be there, not both (others are ignored then).
    const dv = filters.dangling ?? [];
    const isTrue = dv.some((v) => v === "true" || v === "1");
    const isFalse = dv.some((v) => v === "false" || v === "0");
    if (dv.length > 0 && isTrue === isFalse) throw invalidArgument(`invalid filter 'dangling=${dv.join(",")}'`);
    const danglingOnly = !isFalse;
    const used = new Set((await this.d.containers.list({ all: true })).map((c) => c.ImageID));
    const before = await this.layersSize();
    const deleted: ImageDeleteItem[] = [];
    for (const img of await this.d.images.list({ all: true })) {
      const tags = img.RepoTags.filter((t) => t !== "<none>:<none>");
      if (danglingOnly && tags.length > 0) continue;
      if (used.has(img.Id)) continue;
      if (!pruneMatches(f, img.Created * 1000, img.Labels)) continue;
      try {
        // A tagged image goes with its last tag; digest references are removed alike.
        const names = [...tags, ...img.RepoDigests];
        if (names.length === 0) deleted.push(...await this.d.images.remove(img.Id, {}));
        else for (const n of names) deleted.push(...await this.d.images.remove(n, {}).catch(() => []));
      } catch (err) {
        this.log.warn({ err, image: img.Id }, "prune image");
      }
    }
    const space = Math.max(0, before - await this.layersSize());
    this.d.events?.publish("image", "prune", "", { reclaimed: String(space) });
    return { ImagesDeleted: deleted.length > 0 ? deleted : null, SpaceReclaimed: space };
  }

  /** GET /system/df (`types` limits the parts computed; empty means all). */
  async diskUsage(types: readonly string[] = []): Promise<SystemDataUsage> {
    for (const t of types) if (!TYPES.has(t)) throw invalidArgument(`invalid type: ${t}`);
    const want = (t: DiskUsageType) => types.length === 0 || types.includes(t);
    const needContainers = want("container") || want("image");
    const containers = needContainers ? await this.d.containers.list({ all: true, size: want("container") }) : [];
    const out: SystemDataUsage = { LayersSize: 0, Images: [], Containers: [], Volumes: [], BuildCache: [] };
    let imageSizes = new Map<string, number>();
    if (want("image") || want("container")) {
      const layers = new Map((await this.d.layers.list()).map((l) => [l.chainId, l.size]));
      const images = await this.d.images.list({ all: true });
      const chains = new Map<string, string[]>();
      const refs = new Map<string, number>();
      for (const img of images) {
        const ids = chainIds((await this.d.images.inspect(img.Id)).RootFS.Layers);
        chains.set(img.Id, ids);
        for (const id of new Set(ids)) refs.set(id, (refs.get(id) ?? 0) + 1);
      }
      imageSizes = new Map(images.map((i) => [i.Id, i.Size]));
      if (want("image")) {
        // Layers of several images count once, in LayersSize and in each image's SharedSize.
        const inUse = new Set<string>();
        for (const ids of chains.values()) for (const id of ids) inUse.add(id);
        out.LayersSize = [...inUse].reduce((a, id) => a + (layers.get(id) ?? 0), 0);
        out.Images = images.map((img) => ({
          ...img,
          SharedSize: (chains.get(img.Id) ?? []).filter((id) => (refs.get(id) ?? 0) > 1).reduce((a, id) => a + (layers.get(id) ?? 0), 0),
          Containers: containers.filter((c) => c.ImageID === img.Id).length,
        }));
      }
    }
    if (want("container")) {
      out.Containers = containers.map((c) => ({ ...c, SizeRw: c.SizeRw ?? 0, SizeRootFs: (c.SizeRw ?? 0) + (imageSizes.get(c.ImageID) ?? 0) }));
    }
    if (want("volume") && this.d.volumes !== undefined) out.Volumes = await this.d.volumes.usage();
    return out;
  }
}
