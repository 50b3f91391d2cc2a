/**
 * Wiring of the container file endpoints (cp, diff, export, commit) and of prune / disk
 * use, kept out of wire.ts: the backends over the container, image and layer services.
 */
import { join } from "node:path";
import type { Host } from "../kernel/host.js";
import type { Logger } from "../shared/logger.js";
import type { OverlayStore } from "../store/snapshots/overlay-store.js";
import type { EventBus } from "../services/events/event-bus.js";
import type { ImageService } from "../services/images/image-service.js";
import type { ContainerService } from "../services/containers/container-service.js";
import { ContainerRecordStore, type ContainerRecord } from "../services/containers/container-record.js";
import { ContainerArchive } from "../services/containers/archive.js";
import { commitContainer } from "../services/containers/commit.js";
import type { RootfsMounts } from "../services/containers/rootfs-mounts.js";
import { DiskService } from "../services/system/disk-service.js";
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
  const archive = new ContainerArchive({
    containers: w.containers, paths: (id) => records.paths(id), mounts: w.mounts, host: w.host, events: w.events,
    lowers: (rec) => lowerDirs(w.layers, rec),
  });
  // pause/unpause come with the container service's pause support; without it commit does not freeze.
  const svc = w.containers as unknown as { pause?: (ref: string) => Promise<void>; unpause?: (ref: string) => Promise<void> };
  const pause = svc.pause !== undefined && svc.unpause !== undefined
    ? async (id: string) => {
      await svc.pause?.call(w.containers, id);
      return async () => { await svc.unpause?.call(w.containers, id); };
    }
    : undefined;
  const files: ContainerFilesBackend = {
    statPath: (ref, path) => archive.statPath(ref, path),
    getArchive: (ref, path) => archive.getArchive(ref, path),
    putArchive: (ref, path, input, o) => archive.putArchive(ref, path, input, o),
    export: (ref) => archive.export(ref),
    changes: (ref) => archive.changes(ref),
    commit: (ref, o) => commitContainer({
      containers: w.containers, images: w.images, host: w.host, pause, events: w.events, log: w.log,
    }, ref, o),
  };
  const disk = new DiskService({
    containers: w.containers, images: w.images, layers: w.layers, events: w.events, log: w.log,
    get volumes() {
      return w.volumes?.();
    },
  });
  return { files, disk };
}
