/**
 * OCI runtime-spec `linux.resources`, as this folder consumes it. Structurally identical to
 * the spec (and to `src/runtime/spec/types.ts`), kept here so cgroups depend on no other
 * runtime folder. Numbers are JSON numbers: int64/uint64 values beyond 2^53 arrive rounded.
 */

/** One device cgroup rule (`allow` or deny); omitted type/major/minor mean "all". */
export interface LinuxDeviceCgroup {
  readonly allow: boolean;
  readonly type?: string;
  readonly major?: number;
  readonly minor?: number;
  readonly access?: string;
}

export interface LinuxBlockIODevice {
  readonly major: number;
  readonly minor: number;
}

export interface LinuxWeightDevice extends LinuxBlockIODevice {
  readonly weight?: number;
  readonly leafWeight?: number;
}

export interface LinuxThrottleDevice extends LinuxBlockIODevice {
  readonly rate: number;
}

export interface LinuxMemory {
  readonly limit?: number;
  readonly reservation?: number;
  /** v1 semantics: memory+swap. -1 means unlimited. */
  readonly swap?: number;
  readonly kernel?: number;
  readonly kernelTCP?: number;
  readonly swappiness?: number;
  readonly disableOOMKiller?: boolean;
  readonly useHierarchy?: boolean;
  readonly checkBeforeUpdate?: boolean;
}

export interface LinuxCpu {
  readonly shares?: number;
  readonly quota?: number;
  readonly burst?: number;
  readonly period?: number;
  readonly realtimeRuntime?: number;
  readonly realtimePeriod?: number;
  readonly cpus?: string;
  readonly mems?: string;
  readonly idle?: number;
}

export interface LinuxBlockIO {
  readonly weight?: number;
  readonly leafWeight?: number;
  readonly weightDevice?: readonly LinuxWeightDevice[];
  readonly throttleReadBpsDevice?: readonly LinuxThrottleDevice[];
  readonly throttleWriteBpsDevice?: readonly LinuxThrottleDevice[];
  readonly throttleReadIOPSDevice?: readonly LinuxThrottleDevice[];
  readonly throttleWriteIOPSDevice?: readonly LinuxThrottleDevice[];
}

export interface LinuxHugepageLimit {
  /** `^[1-9][0-9]*[KMG]B$`, e.g. "2MB": the kernel's own spelling in hugetlb file names. */
  readonly pageSize: string;
  readonly limit: number;
}

export interface LinuxNetwork {
  readonly classID?: number;
  readonly priorities?: readonly { readonly name: string; readonly priority: number }[];
}

export interface LinuxRdma {
  readonly hcaHandles?: number;
  readonly hcaObjects?: number;
}

/** `linux.resources` of an OCI runtime spec. */
export interface LinuxResources {
  readonly devices?: readonly LinuxDeviceCgroup[];
  readonly memory?: LinuxMemory;
  readonly cpu?: LinuxCpu;
  /** `limit` <= 0 means unlimited ("max"). */
  readonly pids?: { readonly limit: number };
  readonly blockIO?: LinuxBlockIO;
  readonly hugepageLimits?: readonly LinuxHugepageLimit[];
  readonly network?: LinuxNetwork;
  readonly rdma?: { readonly [device: string]: LinuxRdma };
  /** cgroup v2 interface files by name, written verbatim into the cgroup2 directory. */
  readonly unified?: { readonly [file: string]: string };
}
