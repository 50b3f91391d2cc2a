/** The overlay layer store and layer extraction. */
export { OverlayStore, type LayerInfo, type ApplyOptions, type RwLayer } from "./overlay-store.js";
export { extractLayer, safeParts, type ExtractResult } from "./extract-layer.js";
export { chainId, chainIds } from "./chain-id.js";
export { decompress, detectCompression, type Compression } from "./decompress.js";
export { packDirectory, packLayerDiff, type PackOptions } from "./pack-dir.js";
