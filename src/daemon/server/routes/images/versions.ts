/**
 * Version-dependent image shapes (moby's image router does the same): API < 1.44 clients
 * still get `VirtualSize` (= Size), removed from 1.44 on.
 */
import type { ImageInspect, ImageSummary } from "../../../../api/images.js";
import { compareApiVersions } from "../../../../api/version.js";

/** An image summary as a client of `version` expects it. */
export function summaryForVersion(s: ImageSummary, version: string): ImageSummary {
  return compareApiVersions(version, "1.44") < 0 ? { ...s, VirtualSize: s.Size } : s;
}

/** An image inspect body as a client of `version` expects it. */
export function inspectForVersion(i: ImageInspect, version: string): ImageInspect {
  return compareApiVersions(version, "1.44") < 0 ? { ...i, VirtualSize: i.Size } : i;
}
