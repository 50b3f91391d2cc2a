/**
 * `docker update`: moby's checks of an UpdateConfig (`verifyContainerSettings` in update mode
 * and `Container.UpdateContainer`), the merge into the stored HostConfig, and the cgroup
 * resources to write to a running container. Pure: the service applies and stores.
 */
import type { ContainerUpdateBody, HostConfig } from "../../api/containers.js";
import type { LinuxResources } from "../../runtime/cgroups/index.js";
import { conflict, invalidArgument } from "../../shared/errors.js";

const MIN_MEMORY = 6 * 1024 * 1024;
const NUMBER_FIELDS = ["Memory", "MemorySwap", "MemoryReservation", "NanoCpus", "CpuShares", "CpuPeriod", "CpuQuota", "BlkioWeight"] as const;
const POLICIES = new Set(["", "no", "always", "on-failure", "unless-stopped"]);

/** The resource fields of an inspected HostConfig when unset (docker's zero values). */
export const RESOURCE_DEFAULTS: Readonly<Record<string, unknown>> = {
  CpuShares: 0, Memory: 0, NanoCpus: 0, CgroupParent: "", BlkioWeight: 0, BlkioWeightDevice: [], BlkioDeviceReadBps: [],
  BlkioDeviceWriteBps: [], BlkioDeviceReadIOps: [], BlkioDeviceWriteIOps: [], CpuPeriod: 0, CpuQuota: 0, CpuRealtimePeriod: 0,
  CpuRealtimeRuntime: 0, CpusetCpus: "", CpusetMems: "", Devices: [], DeviceCgroupRules: null, DeviceRequests: null,
  MemoryReservation: 0, MemorySwap: 0, MemorySwappiness: null, OomKillDisable: null, PidsLimit: null, Ulimits: [],
  CpuCount: 0, CpuPercent: 0, IOMaximumIOps: 0, IOMaximumBandwidth: 0,
};

/** The update body after its JSON types were checked. */
export type UpdateRequest = ContainerUpdateBody;

/** Check the JSON types of an update body (400 with the field named). */
export function parseUpdateBody(raw: unknown): UpdateRequest {
  if (raw === undefined || raw === null) return {};
  if (typeof raw !== "object" || Array.isArray(raw)) throw invalidArgument("invalid JSON: update config must be an object");
  const b = raw as Record<string, unknown>;
  for (const k of NUMBER_FIELDS) {
    const v = b[k];
    if (v !== undefined && v !== null && (typeof v !== "number" || !Number.isInteger(v))) throw invalidArgument(`invalid JSON: ${k} must be an integer`);
  }
  if (b.PidsLimit !== undefined && b.PidsLimit !== null && (typeof b.PidsLimit !== "number" || !Number.isInteger(b.PidsLimit))) {
    throw invalidArgument("invalid JSON: PidsLimit must be an integer");
  }
  for (const k of ["CpusetCpus", "CpusetMems"]) {
    if (b[k] !== undefined && b[k] !== null && typeof b[k] !== "string") throw invalidArgument(`invalid JSON: ${k} must be a string`);
  }
  const rp = b.RestartPolicy;
  if (rp !== undefined && rp !== null) {
    if (typeof rp !== "object" || Array.isArray(rp)) throw invalidArgument("invalid JSON: RestartPolicy must be an object");
    const r = rp as Record<string, unknown>;
    if (r.Name !== undefined && typeof r.Name !== "string") throw invalidArgument("invalid JSON: RestartPolicy.Name must be a string");
    if (r.MaximumRetryCount !== undefined && (typeof r.MaximumRetryCount !== "number" || !Number.isInteger(r.MaximumRetryCount))) {
      throw invalidArgument("invalid JSON: RestartPolicy.MaximumRetryCount must be an integer");
    }
  }
  const out: UpdateRequest = {};
  for (const [k, v] of Object.entries(b)) if (v !== null || k === "PidsLimit") out[k] = v;
  return out;
}

/** A cpuset list ("0-2,4") as cpu numbers; undefined when malformed. */
export function parseCpuset(text: string): number[] | undefined {
  const out: number[] = [];
  for (const part of text.split(",")) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
    if (m === null) return undefined;
    const lo = Number(m[1]);
    const hi = m[2] !== undefined ? Number(m[2]) : lo;
    if (hi < lo) return undefined;
    for (let i = lo; i <= hi; i++) out.push(i);
  }
  return out;
}

/**
 * moby's `verifyContainerSettings` for an update (400 texts as moby's). `cpus` is the
 * number of online CPUs.
 */
export function validateUpdate(u: UpdateRequest, cpus: number): void {
  const n = (k: (typeof NUMBER_FIELDS)[number]) => (u[k] as number | undefined) ?? 0;
  if (n("Memory") !== 0 && n("Memory") < MIN_MEMORY) throw invalidArgument("Minimum memory limit allowed is 6MB");
  if (n("Memory") > 0 && n("MemorySwap") > 0 && n("MemorySwap") < n("Memory")) {
    throw invalidArgument("Minimum memoryswap limit should be larger than memory limit, see usage");
  }
  if (n("MemorySwap") < -1) throw invalidArgument(`invalid memory swap limit ${n("MemorySwap")}: -1 (unlimited) or a positive number`);
  if (n("MemoryReservation") < 0) throw invalidArgument("Minimum memory reservation allowed is 6MB");
  if (n("NanoCpus") > 0 && n("CpuPeriod") > 0) throw invalidArgument("Conflicting options: Nano CPUs and CPU Period cannot both be set");
  if (n("NanoCpus") > 0 && n("CpuQuota") > 0) throw invalidArgument("Conflicting options: Nano CPUs and CPU Quota cannot both be set");
  if (n("NanoCpus") < 0 || n("NanoCpus") > cpus * 1e9) {
    throw invalidArgument(`Range of CPUs is from 0.01 to ${cpus}.00, as there are only ${cpus} CPUs available`);
  }
  if (n("CpuPeriod") !== 0 && (n("CpuPeriod") < 1000 || n("CpuPeriod") > 1_000_000)) {
    throw invalidArgument("CPU cfs period can not be less than 1ms (i.e. 1000) or larger than 1s (i.e. 1000000)");
  }
  if (n("CpuQuota") > 0 && n("CpuQuota") < 1000) throw invalidArgument("CPU cfs quota can not be less than 1ms (i.e. 1000)");
  if (n("CpuShares") < 0) throw invalidArgument(`invalid CPU shares (${n("CpuShares")}): value must be a positive integer`);
  if (n("BlkioWeight") !== 0 && (n("BlkioWeight") < 10 || n("BlkioWeight") > 1000)) throw invalidArgument("Range of blkio weight is from 10 to 1000");
  for (const [k, what] of [["CpusetCpus", "cpus"], ["CpusetMems", "mems"]] as const) {
    const v = u[k];
    if (v === undefined || v === "") continue;
    const list = parseCpuset(v);
    if (list === undefined) throw invalidArgument(`Invalid value ${v} for cpuset ${what}`);
    if (k === "CpusetCpus" && list.some((c) => c >= cpus)) {
      throw invalidArgument(`Requested CPUs are not available - requested ${v}, available: ${cpus === 1 ? "0" : `0-${cpus - 1}`}`);
    }
  }
  const rp = u.RestartPolicy;
  if (rp !== undefined) {
    const name = rp.Name ?? "";
    const max = rp.MaximumRetryCount ?? 0;
    if (!POLICIES.has(name)) {
      throw invalidArgument(`invalid restart policy: unknown policy '${name}'; use one of 'no', 'always', 'on-failure', or 'unless-stopped'`);
    }
    if (max < 0) throw invalidArgument("invalid restart policy: maximum retry count cannot be negative");
    if (max !== 0 && name !== "on-failure") throw invalidArgument(`invalid restart policy: maximum retry count can only be used with 'on-failure'`);
  }
}

/** The memory+swap limit in force: Docker's default is twice the memory. */
function effectiveSwap(hc: HostConfig): number {
  if (hc.MemorySwap !== undefined && hc.MemorySwap !== 0) return hc.MemorySwap;
  return hc.Memory !== undefined && hc.Memory > 0 ? hc.Memory * 2 : 0;
}

/**
 * moby's `Container.UpdateContainer`: the new HostConfig (a copy), or a 409 for options
 * that conflict with what is stored. Zero values mean "unchanged", as in moby.
 */
export function mergeUpdate(current: HostConfig, u: UpdateRequest): HostConfig {
  const hc: HostConfig = { ...current };
  const cur = (k: string) => (current[k] as number | undefined) ?? 0;
  const val = (k: string) => (u[k] as number | undefined) ?? 0;
  if (val("NanoCpus") > 0 && cur("CpuPeriod") > 0) throw conflict("Conflicting options: Nano CPUs cannot be updated as CPU Period has already been set");
  if (val("NanoCpus") > 0 && cur("CpuQuota") > 0) throw conflict("Conflicting options: Nano CPUs cannot be updated as CPU Quota has already been set");
  if (val("CpuPeriod") > 0 && cur("NanoCpus") > 0) throw conflict("Conflicting options: CPU Period cannot be updated as NanoCPUs has already been set");
  if (val("CpuQuota") > 0 && cur("NanoCpus") > 0) throw conflict("Conflicting options: CPU Quota cannot be updated as NanoCPUs has already been set");
  for (const k of ["BlkioWeight", "CpuShares", "NanoCpus", "CpuPeriod", "CpuQuota", "MemoryReservation"]) {
    if (val(k) !== 0) hc[k] = val(k);
  }
  for (const k of ["CpusetCpus", "CpusetMems"]) {
    const v = u[k];
    if (typeof v === "string" && v !== "") hc[k] = v;
  }
  if (val("Memory") !== 0) {
    const swap = effectiveSwap(current);
    // The implicit 2x swap becomes explicit, so a later start keeps what runs now.
    if (swap > 0 && (current.MemorySwap ?? 0) === 0) hc.MemorySwap = swap;
    if (swap > 0 && val("Memory") > swap && val("MemorySwap") === 0) {
      throw conflict("Memory limit should be smaller than already set memoryswap limit, update the memoryswap at the same time");
    }
    hc.Memory = val("Memory");
  }
  if (val("MemorySwap") !== 0) hc.MemorySwap = val("MemorySwap");
  if (u.PidsLimit !== undefined && u.PidsLimit !== null) hc.PidsLimit = u.PidsLimit > 0 ? u.PidsLimit : 0;
  const rp = u.RestartPolicy;
  if (rp !== undefined && (rp.Name ?? "") !== "") {
    if (rp.Name !== "no" && current.AutoRemove === true) {
      throw conflict("Restart policy cannot be updated because AutoRemove is enabled for the container");
    }
    hc.RestartPolicy = { Name: rp.Name, MaximumRetryCount: rp.MaximumRetryCount ?? 0 };
  }
  return hc;
}

/** The cgroup settings a running container needs for this update (only what it changes). */
export function updateResources(merged: HostConfig, u: UpdateRequest): LinuxResources {
  const val = (k: string) => (u[k] as number | undefined) ?? 0;
  const out: { -readonly [K in keyof LinuxResources]: LinuxResources[K] } = {};
  if (val("Memory") !== 0 || val("MemorySwap") !== 0 || val("MemoryReservation") !== 0) {
    const mem: { limit?: number; swap?: number; reservation?: number } = {};
    if (merged.Memory !== undefined && merged.Memory > 0) mem.limit = merged.Memory;
    if (merged.MemorySwap !== undefined && merged.MemorySwap !== 0) mem.swap = merged.MemorySwap;
    if (val("MemoryReservation") !== 0) mem.reservation = val("MemoryReservation");
    out.memory = mem;
  }
  const cpu: { shares?: number; quota?: number; period?: number; cpus?: string; mems?: string } = {};
  if (val("CpuShares") !== 0) cpu.shares = val("CpuShares");
  if (val("NanoCpus") !== 0) {
    cpu.period = 100_000;
    cpu.quota = Math.round((val("NanoCpus") * 100_000) / 1e9);
  }
  if (val("CpuQuota") !== 0) cpu.quota = val("CpuQuota");
  if (val("CpuPeriod") !== 0) cpu.period = val("CpuPeriod");
  if (typeof u.CpusetCpus === "string" && u.CpusetCpus !== "") cpu.cpus = u.CpusetCpus;
  if (typeof u.CpusetMems === "string" && u.CpusetMems !== "") cpu.mems = u.CpusetMems;
  if (Object.keys(cpu).length > 0) out.cpu = cpu;
  if (u.PidsLimit !== undefined && u.PidsLimit !== null) out.pids = { limit: u.PidsLimit > 0 ? u.PidsLimit : -1 };
  if (val("BlkioWeight") !== 0) out.blockIO = { weight: val("BlkioWeight") };
  return out;
}
