/** ChainIDs per the OCI image spec (config.md, "Layer ChainID"). */
import { createHash } from "node:crypto";

/** ChainID(L0) = DiffID(L0); ChainID(Ln) = sha256(ChainID(Ln-1) + " " + DiffID(Ln)). */
export function chainId(parent: string | undefined, diffId: string): string {
  if (parent === undefined) return diffId;
  return `sha256:${createHash("sha256").update(`${parent} ${diffId}`).digest("hex")}`;
}

/** The chain ids of every prefix of `diffIds`. */
export function chainIds(diffIds: readonly string[]): string[] {
  const out: string[] = [];
  let parent: string | undefined;
  for (const d of diffIds) {
    parent = chainId(parent, d);
    out.push(parent);
  }
  return out;
}
