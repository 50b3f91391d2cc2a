/** Engine API versions berth speaks: negotiation clamps clients into [MIN, CURRENT]. */

/** The newest API version served (docker CLI 28.x speaks 1.50). */
export const API_VERSION = "1.50";
/** The oldest API version accepted, as dockerd's default minimum. */
export const MIN_API_VERSION = "1.24";
/** berth's own version string. */
export const BERTH_VERSION = "0.1.0";

/** Compare "1.NN" versions: negative, zero or positive like a sort comparator. */
export function compareApiVersions(a: string, b: string): number {
  const pa = a.split(".").map(Number);
  const pb = b.split(".").map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}
