/**
 * Persistent network namespaces as files (what `ip netns add` does under /run/netns, in a
 * directory of berth's choosing): `unshare --net=<file> …` creates the namespace and
 * bind-mounts it on the file, so it lives without any process in it until the file is
 * unmounted. The container's process then joins it by path.
 */
import { mkdir, open, rm, stat } from "node:fs/promises";
import { dirname } from "node:path";
import { BerthError } from "../../shared/errors.js";
import { runChecked, runCommand } from "../command-runner.js";

/** What a host command needs: injectable so a unit test sees the exact argv. */
export type CommandFn = (cmd: string, args: readonly string[]) => Promise<unknown>;

/**
 * Create a new network namespace bound at `path` with `lo` up, in one host command:
 * `unshare --net=<file> ip link set dev lo up` creates it, binds it on the file and brings
 * `lo` up inside, as Docker does for every container. A stale file (left by a crash) is
 * removed first; a missing one costs no command.
 */
export async function createNetnsFile(path: string, run: CommandFn = runChecked): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  if (await stat(path).then(() => true, () => false)) await removeNetnsFile(path);
  const fh = await open(path, "wx", 0o600);
  await fh.close();
  try {
    await run("unshare", [`--net=${path}`, "ip", "link", "set", "dev", "lo", "up"]);
  } catch (err) {
    // The bind may have happened before `ip` failed: unmount too, not only unlink.
    await removeNetnsFile(path).catch(() => undefined);
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
