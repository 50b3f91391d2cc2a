/**
 * Wiring of the container file endpoints (cp, diff, export, commit) and of prune / disk
 * use, kept out of wire.ts: the backends over the container, image and layer services.
 * Their modules (tar packing and extraction, commit, disk use) load on first use: a daemon
 * start does not pay for them.
 */
import { join } from "node:path";
import type { Host } from "../kernel/host.js";
import type { Logger } from "../shared/logger.js";
import type { OverlayStore } from "../store/snapshots/overlay-store.js";
import type { EventBus } from "../services/events/event-bus.js";
import type { ImageService } from "../services/images/image-service.js";
import type { ContainerService } from "../services/containers/container-service.js";
import { ContainerRecordStore, type ContainerRecord } from "../services/containers/container-record.js";
import type { ContainerArchive } from "../services/containers/archive.js";
import type { RootfsMounts } from "../services/containers/rootfs-mounts.js";
import type { DiskService } from "../services/system/disk-service.js";
import type { VolumeUsage } from "../api/disk-usage.js";
import type { ContainerFilesBackend, DiskBackend } from "./server/routes/containers/files-routes.js";

/** What `wireContainerFiles` needs. */
export interface ContainerFilesWiring {
  dataRoot: string;
  containers: ContainerService;
  images: ImageService;
  layers: OverlayStore;
  /** The counted mounts the container service was given as its `layers`. */
  mounts: RootfsMounts;
  host: Host;
  events: EventBus;
  log: Logger;
  /** The volume service's disk use, once one is wired. */
  volumes?: () => { usage(): Promise<VolumeUsage[]> } | undefined;
}

/** The image layer directories under a container's writable layer, top first. */
async function lowerDirs(layers: OverlayStore, rec: ContainerRecord): Promise<string[]> {
  const out: string[] = [];
  let cur: string | undefined = rec.ImageChainId;
  while (cur !== undefined) {
    const l = await layers.get(cur);
    if (l === undefined) break;
    out.push(layers.diffPath(cur));
    cur = l.parent;
  }
  return out;
}

/** The backends of the file routes and the prune / disk use routes. */
export function wireContainerFiles(w: ContainerFilesWiring): { files: ContainerFilesBackend; disk: DiskBackend } {
  const records = new ContainerRecordStore(join(w.dataRoot, "containers"));
  let archiveP: Promise<ContainerArchive> | undefined;
  const archive = () => archiveP ??= import("../services/containers/archive.js").then(({ ContainerArchive }) => new ContainerArchive({
    containers: w.containers, paths: (id) => records.paths(id), mounts: w.mounts, host: w.host, events: w.events,
    lowers: (rec) => lowerDirs(w.layers, rec),
  }));
  // pause/unpause come with the container service's pause support; without it commit does not freeze.
  const svc = w.containers as unknown as { pause?: (ref: string) => Promise<void>; unpause?: (ref: string) => Promise<void> };
  const pause = svc.pause !== undefined && svc.unpause !== undefined
    ? async (id: string) => {
      await svc.pause?.call(w.containers, id);
      return async () => { await svc.unpause?.call(w.containers, id); };
    }
    : undefined;
  const files: ContainerFilesBackend = {
    statPath: async (ref, path) => (await archive()).statPath(ref, path),
    getArchive: async (ref, path) => (await archive()).getArchive(ref, path),
    putArchive: async (ref, path, input, o) => (await archive()).putArchive(ref, path, input, o),
    export: async (ref) => (await archive()).export(ref),
    changes: async (ref) => (await archive()).changes(ref),
    commit: async (ref, o) => (await import("../services/containers/commit.js")).commitContainer({
      containers: w.containers, images: w.images, host: w.host, pause, events: w.events, log: w.log,
    }, ref, o),
  };
  let diskP: Promise<DiskService> | undefined;
  const diskService = () => diskP ??= import("../services/system/disk-service.js").then(({ DiskService }) => new DiskService({
    containers: w.containers, images: w.images, layers: w.layers, events: w.events, log: w.log,
    get volumes() {
      return w.volumes?.();
    },
  }));
  const disk: DiskBackend = {
    pruneContainers: async (filters) => (await diskService()).pruneContainers(filters),
    pruneImages: async (filters) => (await diskService()).pruneImages(filters),
    diskUsage: async (types) => (await diskService()).diskUsage(types),
  };
  return { files, disk };
}
