/**
 * Copy-up: a new, empty volume mounted over a directory of the image is first filled with
 * that directory's content (dockerd's CopyImagePathContent), owner and mode included.
 */
import { execFile } from "node:child_process";
import { lstat, readdir, readlink } from "node:fs/promises";
import { posix } from "node:path";
import { promisify } from "node:util";

const execFileP = promisify(execFile);

/**
 * Container path `path` with every symlink that exists under `root` resolved as the
 * container would see it (absolute links stay inside `root`), missing components kept as
 * they are: what runc's securejoin gives, so a mount over an image symlink lands inside
 * the rootfs, never on the host path the link names.
 */
export async function resolveContainerPath(root: string, path: string): Promise<string> {
  let todo = path.split("/").filter((c) => c !== "" && c !== ".");
  let cur = "/";
  for (let links = 0; todo.length > 0;) {
    const c = todo.shift() as string;
    if (c === "..") {
      cur = posix.dirname(cur);
      continue;
    }
    const next = posix.join(cur, c);
    const st = await lstat(posix.join(root, next)).catch(() => undefined);
    if (st === undefined || !st.isSymbolicLink() || ++links > 40) {
      cur = next;
      continue;
    }
    const target = await readlink(posix.join(root, next));
    if (target.startsWith("/")) cur = "/";
    todo = [...target.split("/").filter((x) => x !== "" && x !== "."), ...todo];
  }
  return cur;
}

/**
 * The host path of container path `path` under `root`, following symlinks as the
 * container would see them (absolute links stay inside `root`); undefined when missing.
 */
export async function resolveInRoot(root: string, path: string): Promise<string | undefined> {
  let todo = path.split("/").filter((c) => c !== "" && c !== ".");
  let cur = "/";
  for (let links = 0; todo.length > 0;) {
    const c = todo.shift() as string;
    if (c === "..") {
      cur = posix.dirname(cur);
      continue;
    }
    const next = posix.join(cur, c);
    let st;
    try {
      st = await lstat(posix.join(root, next));
    } catch {
      return undefined;
    }
    if (!st.isSymbolicLink()) {
      cur = next;
      continue;
    }
    if (++links > 40) return undefined;
    const target = await readlink(posix.join(root, next));
    if (target.startsWith("/")) cur = "/";
    todo = [...target.split("/").filter((x) => x !== "" && x !== "."), ...todo];
  }
  return posix.join(root, cur);
}

/**
 * Copy the content of `dest` in the container's rootfs into `volumeDir` when the volume is
 * empty and the image has a non-empty directory there. Returns whether anything was copied.
 */
export async function copyUp(rootfs: string, dest: string, volumeDir: string): Promise<boolean> {
  const src = await resolveInRoot(rootfs, dest);
  if (src === undefined) return false;
  const st = await lstat(src);
  if (!st.isDirectory()) return false;
  if ((await readdir(volumeDir)).length > 0) return false;
  // cp -a of "src/." onto the volume directory also gives it the image directory's owner and mode.
  await execFileP("cp", ["-a", "--", `${src}/.`, `${volumeDir}/`]);
  return true;
}
