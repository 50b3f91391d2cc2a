/**
 * The composition root: stores → services → API server, constructed explicitly and passed
 * down (no module singletons). Containers arrive with a later issue; until then nothing
 * uses an image and the container counts are zero.
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
import { createServer, type ApiServer } from "./server/server.js";
import { createSystemBackend } from "./system-info.js";
import type { DaemonConfig } from "./config.js";

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
  const images = await ImageService.open({ content, layers, events, recordsDir: join(root, "images"), tmpDir });
  if (o.seed ?? true) {
    const t0 = Date.now();
    const id = await ensureBusyboxImage(images, tmpDir);
    log.info({ image: id, ms: Date.now() - t0 }, "busybox:latest present");
  }
  const system = createSystemBackend({
    dataRoot: root,
    images: () => images.count(),
    containers: () => ({ total: 0, running: 0, paused: 0, stopped: 0 }),
    eventListeners: () => events.listenerCount,
    debug: config.logLevel === "debug" || config.logLevel === "trace",
  });
  const server = createServer({ system, images, events }, log);
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
      await server.close();
    },
  };
}
