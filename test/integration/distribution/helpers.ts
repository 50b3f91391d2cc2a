/** Data roots with an image service, for the distribution integration tests. */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { gzipSync } from "node:zlib";
import { NativeHost } from "../../../src/kernel/native-host.js";
import { EventBus } from "../../../src/services/events/event-bus.js";
import { ImageService } from "../../../src/services/images/image-service.js";
import { ContentStore } from "../../../src/store/content/content-store.js";
import { OverlayStore } from "../../../src/store/snapshots/overlay-store.js";
import { makeTar } from "../../../src/store/snapshots/tar-fixture.js";
import type { JsonMessage } from "../../../src/distribution/index.js";

/** A data root: stores and the image service on them. */
export interface DataRoot {
  root: string;
  content: ContentStore;
  layers: OverlayStore;
  images: ImageService;
}

/** Open a fresh data root; removed after the test. */
export async function dataRoot(t: { after(fn: () => Promise<void>): void }, registry?: { mirrors?: string[]; insecureRegistries?: string[] }): Promise<DataRoot> {
  const root = await mkdtemp(join(tmpdir(), "berth-dist-it-"));
  t.after(() => rm(root, { recursive: true, force: true }));
  const host = new NativeHost();
  const layers = await OverlayStore.open(join(root, "overlay"), host);
  const content = await ContentStore.open(join(root, "content"));
  const images = await ImageService.open({ content, layers, events: new EventBus(), recordsDir: join(root, "images"), tmpDir: join(root, "tmp"), ...(registry !== undefined ? { registry } : {}) });
  return { root, content, layers, images };
}

/** Import a one-layer gzip image holding /hello with `text` under `ref`. */
export async function importImage(d: DataRoot, repo: string, tag: string, text: string): Promise<string> {
  const tar = await makeTar([{ name: "hello", data: text, mode: 0o644 }]);
  return d.images.importImage(Readable.from([gzipSync(tar)]), { repo, tag, changes: ['CMD ["/hello"]'] });
}

/** Collect progress messages. */
export function recorder(): { msgs: JsonMessage[]; sink: (m: JsonMessage) => void; statuses(): string[] } {
  const msgs: JsonMessage[] = [];
  return { msgs, sink: (m) => msgs.push(m), statuses: () => msgs.map((m) => m.status ?? "") };
}
