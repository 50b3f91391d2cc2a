/**
 * The container's network namespace file, made in one host command: `unshare --net=<file>
 * ip link set lo up` creates the namespace, binds it on the file (so it lives without a
 * process until the file is unmounted) and brings `lo` up inside it, as Docker does for every
 * container. Before, a start ran `umount -l` (a stale file), `unshare … true` and then
 * `nsenter --net=<file> ip …` to bring `lo` up: three commands where one does.
 */
import { mkdir, open, stat } from "node:fs/promises";
import { dirname } from "node:path";
import { runChecked } from "../../kernel/command-runner.js";
import { removeNetnsFile } from "../../kernel/net/netns-file.js";
import { BerthError } from "../../shared/errors.js";

/** How `ContainerNetworks` makes and removes namespace files (tests inject fakes). */
export interface NetnsFiles {
  create(path: string): Promise<void>;
  remove(path: string): Promise<void>;
  /** True when `create` leaves `lo` up: joins then need not bring it up. */
  readonly loopbackUp?: boolean;
}

/** What a host command needs: injectable so the unit test sees the exact argv. */
export type CommandFn = (cmd: string, args: readonly string[]) => Promise<unknown>;

/**
 * Create a new network namespace bound at `path` with `lo` up, replacing a stale file (a
 * file left by a crash is unmounted first; a missing one costs no command).
 */
export async function createNetnsWithLoopback(path: string, run: CommandFn = runChecked): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const exists = await stat(path).then(() => true, () => false);
  if (exists) await removeNetnsFile(path);
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

/** The namespace files of running containers: one command to make, one to remove. */
export const netnsFiles: NetnsFiles = {
  create: (path) => createNetnsWithLoopback(path),
  remove: removeNetnsFile,
  loopbackUp: true,
};
