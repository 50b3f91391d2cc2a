/** Engine API wire types for volumes and container mounts (field names as in engine-api-v1.50.yaml). */

/** GET /volumes/{name}, an entry of GET /volumes, POST /volumes/create response. */
export interface Volume {
  Name: string;
  Driver: string;
  Mountpoint: string;
  /** RFC 3339. */
  CreatedAt: string;
  Labels: Record<string, string>;
  Scope: "local" | "global";
  Options: Record<string, string> | null;
  /** Only when asked (`system df`): size in bytes and number of containers using it. */
  UsageData?: { Size: number; RefCount: number } | null;
}

/** POST /volumes/create body. */
export interface VolumeCreateOptions {
  Name?: string;
  Driver?: string;
  DriverOpts?: Record<string, string> | null;
  Labels?: Record<string, string> | null;
}

/** GET /volumes. */
export interface VolumeListResponse {
  Volumes: Volume[];
  Warnings: string[] | null;
}

/** POST /volumes/prune. */
export interface VolumePruneResponse {
  VolumesDeleted: string[] | null;
  SpaceReclaimed: number;
}

/** HostConfig.Mounts entry (docker's mount.Mount). */
export interface MountSpec {
  Type?: string;
  Source?: string;
  Target?: string;
  ReadOnly?: boolean;
  Consistency?: string;
  BindOptions?: { Propagation?: string; NonRecursive?: boolean; CreateMountpoint?: boolean } | null;
  VolumeOptions?: { NoCopy?: boolean; Labels?: Record<string, string> | null; DriverConfig?: { Name?: string; Options?: Record<string, string> | null } | null; Subpath?: string } | null;
  TmpfsOptions?: { SizeBytes?: number; Mode?: number; Options?: string[][] | null } | null;
}

/** Mounts entry of container inspect and list (docker's MountPoint). */
export interface MountPoint {
  Type: "volume" | "bind" | "tmpfs";
  Name?: string;
  Source: string;
  Destination: string;
  Driver?: string;
  Mode: string;
  RW: boolean;
  Propagation: string;
}
