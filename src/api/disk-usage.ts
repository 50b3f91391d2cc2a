/** Wire types of prune and disk use (POST /containers/prune, /images/prune, GET /system/df). */
import type { ContainerSummary } from "./containers.js";
import type { ImageDeleteItem, ImageSummary } from "./images.js";

/** POST /containers/prune response. */
export interface ContainersPruneResponse {
  ContainersDeleted: string[] | null;
  SpaceReclaimed: number;
}

/** POST /images/prune response. */
export interface ImagesPruneResponse {
  ImagesDeleted: ImageDeleteItem[] | null;
  SpaceReclaimed: number;
}

/** A volume as /system/df reports it (the volume service's shape). */
export interface VolumeUsage {
  Name: string;
  Driver: string;
  Mountpoint: string;
  CreatedAt?: string;
  Labels: Record<string, string> | null;
  Scope: string;
  Options: Record<string, string> | null;
  UsageData: { Size: number; RefCount: number } | null;
}

/** GET /system/df response. */
export interface SystemDataUsage {
  LayersSize: number;
  Images: ImageSummary[];
  Containers: ContainerSummary[];
  Volumes: VolumeUsage[];
  BuildCache: unknown[];
}
