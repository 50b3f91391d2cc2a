/**
 * Paths inside a container's root filesystem, resolved as the kernel would inside the
 * container (moby's FollowSymlinkInScope, an openat2 RESOLVE_IN_ROOT walk in TypeScript):
 * every component is looked up below the rootfs, symlinks are followed relative to the
 * container's `/`, and `..` never climbs above it. So a symlink to `/etc` means the
 * container's /etc and `../../..` stays at the container's root.
 */
import { lstat, readlink } from "node:fs/promises";
import type { Stats } from "node:fs";
import { join } from "node:path";
import { invalidArgument, notFound } from "../../shared/errors.js";

const MAX_LINKS = 255;

/** Split a container path into its components (empty and `.` dropped; `..` kept). */
function components(path: string): string[] {
  return path.split("/").filter((p) => p !== "" && p !== ".");
}

async function lstatOrUndefined(p: string): Promise<Stats | undefined> {
  try {
    return await lstat(p);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR") return undefined;
    throw err;
  }
}

/**
 * Resolve `path` (a container path; relative means relative to `/`) below `root`.
 * Returns the container path it names once every symlink is followed (always absolute,
 * clean). With `followFinal` false, a symlink in the last component is not followed.
 * Missing components are kept as they are (the path may not exist).
 */
export async function resolveInRoot(root: string, path: string, followFinal = true): Promise<string> {
  const todo = components(path);
  const done: string[] = [];
  let links = 0;
  while (todo.length > 0) {
    const part = todo.shift() as string;
    if (part === "..") {
      done.pop();
      continue;
    }
    const last = todo.length === 0;
    const host = join(root, ...done, part);
    const st = await lstatOrUndefined(host);
    if (st === undefined || !st.isSymbolicLink() || (last && !followFinal)) {
      done.push(part);
      continue;
    }
    if (++links > MAX_LINKS) throw invalidArgument(`resolve path "${path}": too many levels of symbolic links`);
    // A link the daemon cannot read from its own namespaces (/proc/self of a running container).
    const target = await readlink(host).catch((err: unknown) => {
      throw notFound(`resolve path "${path}": cannot read the symbolic link "/${[...done, part].join("/")}"`, err);
    });
    // An absolute target starts again at the container's root; a relative one at the link's directory.
    if (target.startsWith("/")) done.length = 0;
    todo.unshift(...components(target));
  }
  return `/${done.join("/")}`;
}

/** The host path of a resolved (clean, absolute) container path. */
export function hostPathOf(root: string, containerPath: string): string {
  const parts = components(containerPath);
  // The root itself keeps a trailing slash: `/proc/<pid>/root` is a symlink to lstat, `…/root/` the directory.
  return parts.length === 0 ? `${root.replace(/\/+$/, "")}/` : join(root, ...parts);
}

/**
 * Docker's `PreserveTrailingDotOrSeparator` + `filepath.Join("/", path)`: the path made
 * absolute and clean, keeping a trailing `/` or `/.` the caller gave.
 */
export function absContainerPath(path: string): string {
  const parts: string[] = [];
  for (const p of components(path)) {
    if (p === "..") parts.pop();
    else parts.push(p);
  }
  let abs = `/${parts.join("/")}`;
  if (abs !== "/") {
    if (path.endsWith("/.") || path === ".") abs += "/.";
    else if (path.endsWith("/")) abs += "/";
  }
  return abs;
}

/** Go's filepath.Base of a path that keeps its trailing dot: "/a/b/" → "b", "/a/." → ".", "/" → "/". */
export function baseName(abs: string): string {
  if (abs.endsWith("/.")) return ".";
  const parts = components(abs);
  return parts.at(-1) ?? "/";
}
