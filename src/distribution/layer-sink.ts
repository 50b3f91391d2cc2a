/**
 * The layer half of a PullSink over berth's stores: layers are looked up and extracted
 * in the overlay store from blobs in the content store. The image service adds
 * `commitImage`.
 */
import type { ContentStore } from "../store/content/content-store.js";
import type { OverlayStore } from "../store/snapshots/overlay-store.js";
import type { PullSink } from "./pull.js";

/** hasLayer/applyLayer of a PullSink backed by the overlay store. */
export function overlayLayers(content: ContentStore, layers: OverlayStore): Pick<PullSink, "content" | "hasLayer" | "applyLayer" | "applyLayerStream"> {
  return {
    content,
    hasLayer: (chainId) => layers.has(chainId),
    applyLayer: async (digest, parent, diffId) => {
      await layers.applyLayer(await content.open(digest), { parent, expectedDiffId: diffId });
    },
    applyLayerStream: async (blob, parent, diffId) => {
      await layers.applyLayer(blob, { parent, expectedDiffId: diffId });
    },
  };
}
