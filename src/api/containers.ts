/** Engine API wire types for containers and exec (field names as in engine-api-v1.50.yaml). */
import type { ImageContainerConfig } from "./images.js";

/** HostConfig fields berth reads from a create body (others are accepted and kept). */
export interface HostConfig {
  Binds?: string[] | null;
  NetworkMode?: string;
  AutoRemove?: boolean;
  Privileged?: boolean;
  ReadonlyRootfs?: boolean;
  CapAdd?: string[] | null;
  CapDrop?: string[] | null;
  Memory?: number;
  MemorySwap?: number;
  NanoCpus?: number;
  CpuQuota?: number;
  CpuPeriod?: number;
  CpuShares?: number;
  PidsLimit?: number | null;
  ShmSize?: number;
  Init?: boolean | null;
  RestartPolicy?: { Name: string; MaximumRetryCount?: number };
  LogConfig?: { Type: string; Config: Record<string, string> };
  [k: string]: unknown;
}

/** POST /containers/create body: a container config plus HostConfig. */
export interface ContainerCreateBody extends ImageContainerConfig {
  HostConfig?: HostConfig;
  NetworkingConfig?: unknown;
}

/** POST /containers/create response. */
export interface ContainerCreateResponse {
  Id: string;
  Warnings: string[];
}

/** ContainerState of GET /containers/{id}/json. */
export interface ContainerState {
  Status: "created" | "running" | "paused" | "restarting" | "removing" | "exited" | "dead";
  Running: boolean;
  Paused: boolean;
  Restarting: boolean;
  OOMKilled: boolean;
  Dead: boolean;
  Pid: number;
  ExitCode: number;
  Error: string;
  StartedAt: string;
  FinishedAt: string;
}

/** GET /containers/{id}/json (the fields berth fills). */
export interface ContainerInspect {
  Id: string;
  Created: string;
  Path: string;
  Args: string[];
  State: ContainerState;
  Image: string;
  ResolvConfPath: string;
  HostnamePath: string;
  HostsPath: string;
  LogPath: string;
  Name: string;
  RestartCount: number;
  Driver: string;
  Platform: string;
  MountLabel: string;
  ProcessLabel: string;
  AppArmorProfile: string;
  ExecIDs: string[] | null;
  HostConfig: HostConfig;
  GraphDriver: { Name: string; Data: Record<string, string> };
  Mounts: unknown[];
  Config: ImageContainerConfig;
  NetworkSettings: { Networks: Record<string, unknown>; [k: string]: unknown };
}

/** One entry of GET /containers/json. */
export interface ContainerSummary {
  Id: string;
  Names: string[];
  Image: string;
  ImageID: string;
  Command: string;
  Created: number;
  Ports: unknown[];
  SizeRw?: number;
  SizeRootFs?: number;
  Labels: Record<string, string>;
  State: string;
  Status: string;
  HostConfig: { NetworkMode: string };
  NetworkSettings: { Networks: Record<string, unknown> };
  Mounts: unknown[];
}

/** POST /containers/{id}/wait response. */
export interface ContainerWaitResponse {
  StatusCode: number;
  Error: { Message: string } | null;
}

/** POST /containers/{id}/exec body. */
export interface ExecCreateBody {
  AttachStdin?: boolean;
  AttachStdout?: boolean;
  AttachStderr?: boolean;
  DetachKeys?: string;
  Tty?: boolean;
  Env?: string[] | null;
  Cmd?: string[] | null;
  Privileged?: boolean;
  User?: string;
  WorkingDir?: string;
  ConsoleSize?: [number, number] | null;
}

/** GET /exec/{id}/json. */
export interface ExecInspect {
  CanRemove: boolean;
  ContainerID: string;
  DetachKeys: string;
  ExitCode: number | null;
  ID: string;
  OpenStderr: boolean;
  OpenStdin: boolean;
  OpenStdout: boolean;
  ProcessConfig: { arguments: string[]; entrypoint: string; privileged: boolean; tty: boolean; user: string };
  Running: boolean;
  Pid: number;
}

/** GET /containers/{id}/top. */
export interface ContainerTopResponse {
  Titles: string[];
  Processes: string[][];
}
