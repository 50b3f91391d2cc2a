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
  MemoryReservation?: number;
  OomKillDisable?: boolean | null;
  OomScoreAdj?: number;
  CpusetCpus?: string;
  CpusetMems?: string;
  BlkioWeight?: number;
  Ulimits?: Ulimit[] | null;
  Devices?: DeviceMapping[] | null;
  GroupAdd?: string[] | null;
  Sysctls?: Record<string, string> | null;
  SecurityOpt?: string[] | null;
  CgroupnsMode?: string;
  IpcMode?: string;
  PidMode?: string;
  UTSMode?: string;
  UsernsMode?: string;
  CgroupParent?: string;
  [k: string]: unknown;
}

/** HostConfig.Ulimits entry. */
export interface Ulimit {
  Name: string;
  Soft: number;
  Hard: number;
}

/** HostConfig.Devices entry (`--device host:container:perms`). */
export interface DeviceMapping {
  PathOnHost: string;
  PathInContainer: string;
  CgroupPermissions: string;
}

/** POST /containers/create body: a container config plus HostConfig. */
export interface ContainerCreateBody extends ImageContainerConfig {
  /** Seconds `stop` waits before SIGKILL (default 10; negative: forever). */
  StopTimeout?: number | null;
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
  /** Present when the container has a healthcheck. */
  Health?: Health;
}

/** A healthcheck (Config.Healthcheck); durations in nanoseconds, 0 = inherit or default. */
export interface HealthConfig {
  /** [] inherit, ["NONE"], ["CMD", args...] or ["CMD-SHELL", command]. */
  Test?: string[] | null;
  Interval?: number;
  Timeout?: number;
  Retries?: number;
  StartPeriod?: number;
  StartInterval?: number;
}

/** One probe's result in State.Health.Log. */
export interface HealthcheckResult {
  Start: string;
  End: string;
  ExitCode: number;
  Output: string;
}

/** State.Health of GET /containers/{id}/json. */
export interface Health {
  Status: "none" | "starting" | "healthy" | "unhealthy";
  FailingStreak: number;
  Log: HealthcheckResult[];
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

/** POST /containers/{id}/update body (moby's UpdateConfig: Resources plus RestartPolicy). */
export interface ContainerUpdateBody {
  Memory?: number;
  MemorySwap?: number;
  MemoryReservation?: number;
  NanoCpus?: number;
  CpuShares?: number;
  CpuPeriod?: number;
  CpuQuota?: number;
  CpusetCpus?: string;
  CpusetMems?: string;
  PidsLimit?: number | null;
  BlkioWeight?: number;
  RestartPolicy?: { Name: string; MaximumRetryCount?: number };
  [k: string]: unknown;
}

/** POST /containers/{id}/update response. */
export interface ContainerUpdateResponse {
  Warnings: string[] | null;
}

/** One blkio counter of the stats (`io_service_bytes_recursive`). */
export interface BlkioStatEntry {
  major: number;
  minor: number;
  op: string;
  value: number;
}

/** cpu_stats / precpu_stats of the stats. */
export interface CpuStats {
  cpu_usage: { total_usage: number; percpu_usage?: number[]; usage_in_kernelmode: number; usage_in_usermode: number };
  system_cpu_usage?: number;
  online_cpus?: number;
  throttling_data: { periods: number; throttled_periods: number; throttled_time: number };
}

/** One interface of the stats' `networks`. */
export interface NetworkStats {
  rx_bytes: number;
  rx_packets: number;
  rx_errors: number;
  rx_dropped: number;
  tx_bytes: number;
  tx_packets: number;
  tx_errors: number;
  tx_dropped: number;
}

/** GET /containers/{id}/stats: one sample (moby's StatsResponse, Linux fields). */
export interface ContainerStats {
  name: string;
  id: string;
  read: string;
  preread: string;
  pids_stats: { current?: number; limit?: number };
  blkio_stats: {
    io_service_bytes_recursive: BlkioStatEntry[] | null;
    io_serviced_recursive: BlkioStatEntry[] | null;
    io_queue_recursive: null;
    io_service_time_recursive: null;
    io_wait_time_recursive: null;
    io_merged_recursive: null;
    io_time_recursive: null;
    sectors_recursive: null;
  };
  num_procs: number;
  storage_stats: Record<string, never>;
  cpu_stats: CpuStats;
  precpu_stats: CpuStats;
  memory_stats: { usage?: number; max_usage?: number; stats?: Record<string, number>; failcnt?: number; limit?: number };
  networks?: Record<string, NetworkStats>;
}
