/**
 * The composition root: stores → services → API server, constructed explicitly and passed
 * down (no module singletons).
 */
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { NativeHost } from "../kernel/native-host.js";
import type { Host } from "../kernel/host.js";
import type { Logger } from "../shared/logger.js";
import { ContentStore } from "../store/content/content-store.js";
import { OverlayStore } from "../store/snapshots/overlay-store.js";
import { EventBus } from "../services/events/event-bus.js";
import { ImageService } from "../services/images/image-service.js";
import { ensureBusyboxImage } from "../services/images/busybox-seed.js";
import { ContainerService } from "../services/containers/container-service.js";
import { DirectRuntime } from "../services/containers/container-runtime.js";
import { ShimRuntime } from "../services/containers/shim-runtime.js";
import { HealthMonitor } from "../services/containers/health-monitor.js";
import { listHostDevices } from "../services/containers/host-devices.js";
import { defaultSeccompProfile } from "../runtime/seccomp/docker-profile.js";
import { hostCapabilities } from "../runtime/proc.js";
import { capabilityNames } from "../runtime/capabilities.js";
import { createServer, type ApiServer } from "./server/server.js";
import { createSystemBackend } from "./system-info.js";
import { wireContainerFiles } from "./wire-files.js";
import { RootfsMounts } from "../services/containers/rootfs-mounts.js";
import type { DaemonConfig } from "./config.js";
import { runDefaultsOf } from "./wire-run-defaults.js";
import { ipcShmExtension } from "../services/containers/ipc-shm.js";
import { openDaemonNetworks } from "./wire-networks.js";
import { VolumeService } from "../services/volumes/volume-service.js";
import { containerMounts } from "../services/volumes/container-mounts.js";

/** The daemon's constructed parts. */
export interface Daemon {
  server: ApiServer;
  images: ImageService;
  events: EventBus;
  /** Bind every configured host; returns the bound addresses. */
  listen(): Promise<string[]>;
  close(): Promise<void>;
}

/** Options for `wireDaemon`. */
export interface WireOptions {
  config: DaemonConfig;
  log: Logger;
  /** @default NativeHost */
  host?: Host;
  /** Build the busybox seed if missing. @default true */
  seed?: boolean;
}

/** Construct the daemon on its data root. */
export async function wireDaemon(o: WireOptions): Promise<Daemon> {
  const { config, log } = o;
  const root = config.dataRoot;
  await mkdir(root, { recursive: true, mode: 0o711 });
  await mkdir(config.execRoot, { recursive: true, mode: 0o700 });
  const tmpDir = join(root, "tmp");
  const host = o.host ?? new NativeHost();
  const content = await ContentStore.open(join(root, "content"));
  const layers = await OverlayStore.open(join(root, "overlay"), host);
  const events = new EventBus();
  // Late-bound: the image service asks the container service whether an image is in use.
  let containers: ContainerService | undefined;
  const images = await ImageService.open({ content, layers, events, recordsDir: join(root, "images"), tmpDir,
    usedBy: (id) => containers?.usedBy(id),
    registry: { insecureRegistries: config.insecureRegistries, mirrors: config.registryMirrors },
  });
  if (o.seed ?? true) {
    const t0 = Date.now();
    try {
      const id = await ensureBusyboxImage(images, tmpDir);
      log.info({ image: id, ms: Date.now() - t0 }, "busybox:latest present");
    } catch (err) {
      // Degraded but working: every other endpoint serves; the seed is retried at next start.
      log.warn({ err }, "seed busybox:latest: failed; continuing without it");
    }
  }
  const fifoDir = join(config.execRoot, "fifo");
  await mkdir(fifoDir, { recursive: true, mode: 0o700 });
  const hostCaps = capabilityNames(hostCapabilities());
  // Counted rootfs mounts: cp/export of a stopped container mount it alongside start and exit.
  const mounts = new RootfsMounts(layers);
  const net = await openDaemonNetworks({ config, events, log, containers: () => containers });
  const volumes = await VolumeService.open({ root: join(root, "volumes"), host, events, log: log.child({ service: "volumes" }) });
  const volumeMounts = containerMounts({ volumes, containers: () => containers, events, log: log.child({ service: "volumes" }) });
  const health = new HealthMonitor({ events, exec: () => containers, log: log.child({ service: "health" }) });
  containers = await ContainerService.open({
    root: join(root, "containers"), images, layers: mounts, events, log: log.child({ service: "containers" }),
    // One berth-shim per container: containers outlive a daemon restart.
    runtime: new ShimRuntime(new DirectRuntime(join(config.execRoot, "runtime"), fifoDir), join(config.execRoot, "shim"),
      (id) => join(root, "containers", id, `${id}-json.log`)),
    hostCapabilities: () => hostCaps,
    seccomp: (caps) => defaultSeccompProfile({ capabilities: caps }),
    hostDevices: () => listHostDevices(),
    runDefaults: runDefaultsOf(config),
    // Health last: its probes start once the network and the mounts are up.
    // Volumes after ipc/shm: a user mount on /dev/shm replaces the shm bind, as with dockerd.
    extensions: [net.extension, ipcShmExtension({ host, containersRoot: join(root, "containers"), lookup: (ref) => (containers as ContainerService).get(ref) }), volumeMounts, health],
  });
  const ctrs = containers;
  // Containers that kept running through a daemon restart get their healthchecks back.
  for (const c of await ctrs.list()) health.resume(ctrs.get(c.Id));
  // A crash between a volume's record and a container's leaves users that are no containers.
  await volumes.reconcile(new Set((await ctrs.list({ all: true })).map((c) => c.Id)));
  await net.reconcile((id) => ctrs.get(id).State.Running);
  const system = createSystemBackend({
    dataRoot: root,
    images: () => images.count(),
    containers: () => ctrs.counts(),
    eventListeners: () => events.listenerCount,
    debug: config.logLevel === "debug" || config.logLevel === "trace",
    registry: { insecureRegistries: config.insecureRegistries, mirrors: config.registryMirrors },
    liveRestore: config.liveRestore === true,
  });
  const files = wireContainerFiles({ dataRoot: root, containers: ctrs, images, layers, mounts, host, events, log: log.child({ service: "files" }),
    volumes: () => ({ usage: () => volumes.listWithUsage() }) });
  const server = createServer({ system, images, events, containers: ctrs, containerFiles: files.files, disk: files.disk, networks: net.backend, volumes }, log);
  return {
    server,
    images,
    events,
    async listen() {
      const out: string[] = [];
      for (const h of config.hosts) out.push(await server.listen(h));
      return out;
    },
    async close() {
      // dockerd's default stops the containers; with live-restore they stay under their shims.
      await ctrs.shutdown({ liveRestore: config.liveRestore === true });
      await net.shutdown();
      await server.close();
    },
  };
}
