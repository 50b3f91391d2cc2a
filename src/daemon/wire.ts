/**
 * The composition root: stores → services → API server, constructed explicitly and passed
 * down (no module singletons). The modules are imported here, dynamically, so that the
 * network's host commands (`ip`, `nft`: other processes) run while the rest of the daemon
 * is still being loaded and constructed.
 */
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import type { Host } from "../kernel/host.js";
import type { Logger } from "../shared/logger.js";
import { EventBus } from "../services/events/event-bus.js";
import type { ImageService } from "../services/images/image-service.js";
import type { ContainerService } from "../services/containers/container-service.js";
import type { ApiServer } from "./server/server.js";
import type { DaemonConfig } from "./config.js";

/** The daemon's constructed parts. */
export interface Daemon {
  server: ApiServer;
  images: ImageService;
  events: EventBus;
  /** Milliseconds each step of the start took (logged with "daemon ready"). */
  startPhases: Record<string, number>;
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
  let mark = performance.now();
  // "begin": since the process started (the module loading of main and the gate before it).
  const startPhases: Record<string, number> = { begin: Math.round(mark) };
  const phase = (name: string) => {
    const t = performance.now();
    startPhases[name] = Math.round(t - mark);
    mark = t;
  };
  await mkdir(root, { recursive: true, mode: 0o711 });
  await mkdir(config.execRoot, { recursive: true, mode: 0o700 });
  const events = new EventBus();
  // Late-bound: the image service asks the container service whether an image is in use.
  let containers: ContainerService | undefined;
  // First: its host commands are child processes, they overlap what follows.
  const netP = import("./wire-networks.js").then(({ openDaemonNetworks }) => openDaemonNetworks({ config, events, log, containers: () => containers }));
  // Awaited below; until then a failure must not count as unhandled.
  netP.catch(() => undefined);
  const [
    { NativeHost }, { ContentStore }, { OverlayStore }, { ImageService }, { ensureBusyboxImage }, { ContainerService },
    { DirectRuntime }, { ShimRuntime }, { HealthMonitor }, { listHostDevices }, { defaultSeccompProfile },
    { hostCapabilities }, { capabilityNames }, { createServer }, { createSystemBackend }, { wireContainerFiles },
    { RootfsMounts }, { runDefaultsOf }, { ipcShmExtension }, { VolumeService }, { containerMounts },
  ] = await Promise.all([
    import("../kernel/native-host.js"), import("../store/content/content-store.js"), import("../store/snapshots/overlay-store.js"),
    import("../services/images/image-service.js"), import("../services/images/busybox-seed.js"),
    import("../services/containers/container-service.js"), import("../services/containers/container-runtime.js"),
    import("../services/containers/shim-runtime.js"), import("../services/containers/health-monitor.js"),
    import("../services/containers/host-devices.js"), import("../runtime/seccomp/docker-profile.js"),
    import("../runtime/proc.js"), import("../runtime/capabilities.js"), import("./server/server.js"), import("./system-info.js"),
    import("./wire-files.js"), import("../services/containers/rootfs-mounts.js"), import("./wire-run-defaults.js"),
    import("../services/containers/ipc-shm.js"), import("../services/volumes/volume-service.js"),
    import("../services/volumes/container-mounts.js"),
  ]);
  phase("import");
  const tmpDir = join(root, "tmp");
  const host = o.host ?? new NativeHost();
  const [content, layers] = await Promise.all([ContentStore.open(join(root, "content")), OverlayStore.open(join(root, "overlay"), host)]);
  const images = await ImageService.open({ content, layers, events, recordsDir: join(root, "images"), tmpDir,
    usedBy: (id) => containers?.usedBy(id),
    registry: { insecureRegistries: config.insecureRegistries, mirrors: config.registryMirrors },
  });
  phase("stores");
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
  phase("seed");
  const fifoDir = join(config.execRoot, "fifo");
  await mkdir(fifoDir, { recursive: true, mode: 0o700 });
  const hostCaps = capabilityNames(hostCapabilities());
  // Counted rootfs mounts: cp/export of a stopped container mount it alongside start and exit.
  const mounts = new RootfsMounts(layers);
  const volumes = await VolumeService.open({ root: join(root, "volumes"), host, events, log: log.child({ service: "volumes" }) });
  phase("volumes");
  const net = await netP;
  phase("networks");
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
    // The network's prepare writes only the container's own files: it overlaps the rootfs mount.
    extensions: [Object.assign(net.extension, { prepareWithoutRootfs: true }), ipcShmExtension({ host, containersRoot: join(root, "containers"), lookup: (ref) => (containers as ContainerService).get(ref) }), volumeMounts, health],
  });
  const ctrs = containers;
  phase("containers");
  // Containers that kept running through a daemon restart get their healthchecks back.
  for (const c of await ctrs.list()) health.resume(ctrs.get(c.Id));
  // A crash between a volume's record and a container's leaves users that are no containers.
  await volumes.reconcile(new Set((await ctrs.list({ all: true })).map((c) => c.Id)));
  await net.reconcile((id) => ctrs.get(id).State.Running);
  phase("reconcile");
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
  phase("server");
  return {
    server,
    images,
    events,
    startPhases,
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
      await layers.settled();
    },
  };
}
