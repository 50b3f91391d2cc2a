/** /version and /info with real values from this host and the daemon's services. */
import { readFile, mkdir } from "node:fs/promises";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { randomUUID } from "node:crypto";
import os from "node:os";
import type { InfoResponse, VersionResponse } from "../api/system.js";
import { API_VERSION, BERTH_VERSION, MIN_API_VERSION } from "../api/version.js";
import { readJson, writeJsonAtomic } from "../store/records/atomic-file.js";
import type { SystemBackend } from "./server/routes/system/backend.js";

/** What /info counts. */
export interface InfoSources {
  dataRoot: string;
  images(): number;
  containers(): { total: number; running: number; paused: number; stopped: number };
  eventListeners(): number;
  debug: boolean;
  /** daemon.json `insecure-registries` and `registry-mirrors`, shown as dockerd shows them. */
  registry?: { insecureRegistries: readonly string[]; mirrors: readonly string[] };
  /** `live-restore` is on. @default false */
  liveRestore?: boolean;
}

const BUILD_TIME = new Date().toISOString();

function goArch(): string {
  const map: Record<string, string> = { x64: "amd64", arm64: "arm64", arm: "arm", ia32: "386" };
  return map[process.arch] ?? process.arch;
}

async function osPrettyName(): Promise<{ name: string; version: string }> {
  try {
    const text = await readFile("/etc/os-release", "utf8");
    const get = (k: string) => new RegExp(`^${k}="?([^"\\n]*)"?$`, "m").exec(text)?.[1];
    return { name: get("PRETTY_NAME") ?? "Linux", version: get("VERSION_ID") ?? "" };
  } catch {
    return { name: "Linux", version: "" };
  }
}

/** Persistent engine id (dockerd keeps one in its data root too). */
async function engineId(dataRoot: string): Promise<string> {
  const p = join(dataRoot, "engine-id.json");
  const existing = await readJson<string>(p);
  if (typeof existing === "string") return existing;
  const id = randomUUID();
  await mkdir(dataRoot, { recursive: true });
  await writeJsonAtomic(p, id);
  return id;
}

/** The system backend. */
export function createSystemBackend(src: InfoSources): SystemBackend {
  const kernel = os.release();
  const version: VersionResponse = {
    Platform: { Name: "berth" },
    Components: [{
      Name: "Engine",
      Version: BERTH_VERSION,
      Details: {
        ApiVersion: API_VERSION, Arch: goArch(), BuildTime: BUILD_TIME, Experimental: "false",
        GitCommit: "berth", GoVersion: `node ${process.version}`, KernelVersion: kernel, MinAPIVersion: MIN_API_VERSION, Os: "linux",
      },
    }],
    Version: BERTH_VERSION,
    ApiVersion: API_VERSION,
    MinAPIVersion: MIN_API_VERSION,
    GitCommit: "berth",
    GoVersion: `node ${process.version}`,
    Os: "linux",
    Arch: goArch(),
    KernelVersion: kernel,
    BuildTime: BUILD_TIME,
  };
  let id: Promise<string> | undefined;
  return {
    version: async () => version,
    info: async (): Promise<InfoResponse> => {
      id ??= engineId(src.dataRoot);
      const c = src.containers();
      const osr = await osPrettyName();
      const cgroup2 = existsSync("/sys/fs/cgroup/cgroup.controllers");
      return {
        ID: await id,
        Containers: c.total,
        ContainersRunning: c.running,
        ContainersPaused: c.paused,
        ContainersStopped: c.stopped,
        Images: src.images(),
        Driver: "overlay2",
        DriverStatus: [["Backing Filesystem", "extfs"], ["Supports d_type", "true"], ["Using metacopy", "false"], ["Native Overlay Diff", "false"], ["userxattr", "false"]],
        DockerRootDir: src.dataRoot,
        Plugins: { Volume: ["local"], Network: ["bridge", "host", "none"], Authorization: null, Log: ["json-file"] },
        MemoryLimit: true,
        SwapLimit: existsSync("/sys/fs/cgroup/memory/memory.memsw.limit_in_bytes"),
        CpuCfsPeriod: true,
        CpuCfsQuota: true,
        CPUShares: true,
        CPUSet: true,
        PidsLimit: true,
        OomKillDisable: !cgroup2,
        IPv4Forwarding: (await readFile("/proc/sys/net/ipv4/ip_forward", "utf8").catch(() => "0")).trim() === "1",
        Debug: src.debug,
        NFd: 0,
        NGoroutines: 0,
        SystemTime: new Date().toISOString(),
        LoggingDriver: "json-file",
        CgroupDriver: "cgroupfs",
        CgroupVersion: cgroup2 ? "2" : "1",
        NEventsListener: src.eventListeners(),
        KernelVersion: kernel,
        OperatingSystem: osr.name,
        OSVersion: osr.version,
        OSType: "linux",
        Architecture: os.machine(),
        NCPU: os.availableParallelism(),
        MemTotal: os.totalmem(),
        IndexServerAddress: "https://index.docker.io/v1/",
        RegistryConfig: registryConfig(src.registry),
        GenericResources: null,
        HttpProxy: "",
        HttpsProxy: "",
        NoProxy: "",
        Name: os.hostname(),
        Labels: [],
        ExperimentalBuild: false,
        ServerVersion: BERTH_VERSION,
        Runtimes: { berth: { path: "berth-runtime" } },
        DefaultRuntime: "berth",
        Swarm: { NodeID: "", NodeAddr: "", LocalNodeState: "inactive", ControlAvailable: false, Error: "", RemoteManagers: null },
        LiveRestoreEnabled: src.liveRestore === true,
        Isolation: "",
        InitBinary: "",
        ContainerdCommit: { ID: "" },
        RuncCommit: { ID: "" },
        InitCommit: { ID: "" },
        SecurityOptions: ["name=seccomp,profile=builtin"],
        Warnings: null,
      };
    },
  };
}

/** `/info` RegistryConfig as dockerd builds it: CIDRs apart, hostnames as insecure index configs, mirrors with a slash. */
function registryConfig(r: InfoSources["registry"]): InfoResponse["RegistryConfig"] {
  const insecure = r?.insecureRegistries ?? [];
  const mirrors = (r?.mirrors ?? []).map((m) => (m.endsWith("/") ? m : `${m}/`));
  const cidrs = ["127.0.0.0/8", ...insecure.filter((e) => /^[0-9.]+\/\d+$/.test(e) && e !== "127.0.0.0/8")];
  const index: InfoResponse["RegistryConfig"]["IndexConfigs"] = {};
  for (const host of insecure.filter((e) => !/^[0-9.]+\/\d+$/.test(e))) index[host] = { Name: host, Mirrors: [], Secure: false, Official: false };
  index["docker.io"] = { Name: "docker.io", Mirrors: mirrors, Secure: true, Official: true };
  return {
    AllowNondistributableArtifactsCIDRs: null,
    AllowNondistributableArtifactsHostnames: null,
    InsecureRegistryCIDRs: cidrs,
    IndexConfigs: index,
    Mirrors: mirrors.length > 0 ? mirrors : null,
  };
}
