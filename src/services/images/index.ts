/** Local images: references, records, import/load/save, the busybox seed. */
export { ImageService, type ImageServiceDeps, type ImageUsers, type ListOptions, type ImportOptions, type RemoveOptions } from "./image-service.js";
export { ensureBusyboxImage, BUSYBOX_REF } from "./busybox-seed.js";
export { parseReference, familiarString, fullString, withDefaultTag, type Reference } from "./reference.js";
export { applyChanges } from "./changes.js";
