/**
 * The offline `busybox:latest` image: Debian's static busybox laid out by
 * `buildBusyboxRootfs()`, packed with fixed owners and times so the same binary always
 * gives the same image id.
 */
import { mkdtemp, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import { buildBusyboxRootfs, ensureBusyboxStatic } from "../../fixtures/busybox-rootfs.js";
import type { ImageService } from "./image-service.js";

/** The reference the seed image gets. */
export const BUSYBOX_REF = "busybox:latest";

/** Make sure `busybox:latest` exists; returns its id, building it when missing. */
export async function ensureBusyboxImage(images: ImageService, tmpDir: string): Promise<string> {
  if (images.has(BUSYBOX_REF)) return (await images.inspect(BUSYBOX_REF)).Id;
  const { packDirectory } = await import("../../store/snapshots/pack-dir.js");
  const bin = ensureBusyboxStatic();
  const created = (await stat(bin)).mtime;
  const dir = await mkdtemp(join(tmpDir, "busybox-"));
  try {
    const rootfs = join(dir, "rootfs");
    buildBusyboxRootfs(rootfs);
    return await images.createFromRootfs(
      packDirectory(rootfs, { mtime: created, uid: 0, gid: 0 }),
      { Env: ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"], Cmd: ["sh"] },
      BUSYBOX_REF,
      created,
      "berth: busybox from Debian busybox-static (offline seed)",
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
