/**
 * Persistent network namespaces as files (what `ip netns add` does under /run/netns, in a
 * directory of berth's choosing): `unshare --net=<file> true` creates the namespace and
 * bind-mounts it on the file, so it lives without any process in it until the file is
 * unmounted. The container's process then joins it by path.
 */
import { mkdir, open, rm } from "node:fs/promises";
import { dirname } from "node:path";
import { BerthError } from "../../shared/errors.js";
import { runChecked, runCommand } from "../command-runner.js";

/** Create a new, empty network namespace bound at `path` (replacing a stale one). */
export async function createNetnsFile(path: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  await removeNetnsFile(path);
  const fh = await open(path, "wx", 0o600);
  await fh.close();
  try {
    await runChecked("unshare", [`--net=${path}`, "true"]);
  } catch (err) {
    await rm(path, { force: true });
    const e = err as { stderr?: string; message: string };
    throw new BerthError("internal", `create network namespace "${path}": ${(e.stderr ?? e.message).trim()}`, { cause: err });
  }
}

/** Unmount and delete a namespace file; a missing or already unmounted file is fine. */
export async function removeNetnsFile(path: string): Promise<void> {
  // MNT_DETACH: a namespace file still open elsewhere must not make the stop fail.
  await runCommand("umount", ["-l", path]).catch(() => undefined);
  await rm(path, { force: true });
}
