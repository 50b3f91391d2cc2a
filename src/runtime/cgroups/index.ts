/**
 * cgroups: one `CgroupManager` over cgroup v1, v2 and the hybrid layout (v1 hierarchies
 * plus a cgroup2 mount holding controllers of its own, as on berth's CI machines).
 */
export type { CgroupManager, ControllerPlacement } from "./cgroup-manager.js";
export { openCgroupManager, type OpenCgroupOptions } from "./manager.js";
export {
  detectCgroupLayout, DEFAULT_CGROUP_ROOT, type CgroupHierarchy, type CgroupLayout, type DetectOptions,
} from "./layout.js";
export { parseCgroupsPath, type ParsedCgroupsPath } from "./cgroups-path.js";
export type { CgroupFs } from "./cgroup-fs.js";
export { nodeCgroupFs } from "./cgroup-fs.js";
export type { CgroupLogger } from "./_write.js";
export type { CgroupStats, MemoryEntry, BlkioEntry } from "./stats.js";
export type * from "./resources.js";
export {
  cpuSharesToWeight, blkioWeightToIoWeight, memorySwapToV2, berthDevicesAttacher, DEFAULT_BERTH_DEVICES,
  type DeviceFilterAttacher,
} from "./v2.js";
export { compileDeviceFilter } from "./devices-ebpf.js";
