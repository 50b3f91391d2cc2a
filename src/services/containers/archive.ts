/**
 * Files of a container from the outside: `cp` (stat, read and write an archive at a
 * path), `export` (the whole merged rootfs as a tar) and `diff` (the changes in the
 * writable layer). Works on running and stopped containers: a stopped container's rootfs
 * is mounted for the operation and unmounted after (counted mounts, so a start or exit
 * meanwhile is safe). Paths are resolved inside the container's root (archive-path.ts).
 */
import { lstat, mkdir, readFile, stat, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import type { Readable } from "node:stream";
import type { ContainerChange, ContainerPathStat } from "../../api/container-files.js";
import { MNT_DETACH, MS_BIND, MS_RDONLY, type Host } from "../../kernel/host.js";
import { BerthError, invalidArgument, notFound } from "../../shared/errors.js";
import type { EventBus } from "../events/event-bus.js";
import { extractArchive } from "./archive-extract.js";
import { goFileMode, packPath } from "./archive-pack.js";
import { absContainerPath, baseName, hostPathOf, resolveInRoot } from "./archive-path.js";
import { upperChanges } from "./changes.js";
import type { ContainerPaths, ContainerRecord } from "./container-record.js";
import type { RootfsMounts } from "./rootfs-mounts.js";
import { resolveUser } from "./user.js";

/** Dependencies of `ContainerArchive`. */
export interface ContainerArchiveDeps {
  /**
   * Find a container ("No such container: x" when absent) and, for a stopped one, the
   * mounts its inspect view lists (volumes and binds); ContainerService satisfies it.
   */
  containers: { get(ref: string): ContainerRecord; inspect?(ref: string): { Mounts: unknown[] } };
  /** The file layout of a container. */
  paths(id: string): ContainerPaths;
  mounts: RootfsMounts;
  host: Host;
  /** The image layer directories below a container's writable layer, top first. */
  lowers(rec: ContainerRecord): Promise<string[]>;
  /** For moby's `archive-path`, `extract-to-dir` and `export` events. @default none */
  events?: EventBus | undefined;
}

/** Options for `putArchive`. */
export interface PutArchiveOptions {
  noOverwriteDirNonDir?: boolean;
  /** Own the files by the container's user (when it has one), as docker cp -a. */
  copyUIDGID?: boolean;
}

function isNotFound(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException).code;
  return code === "ENOENT" || code === "ENOTDIR";
}

function fileNotFound(path: string, ref: string, cause?: unknown) {
  return notFound(`Could not find the file ${path} in container ${ref}`, cause);
}

/** Release `release` once `stream` is finished, failed or dropped. */
function releaseAfter(stream: Readable, release: () => Promise<void>): Readable {
  let done = false;
  const once = () => {
    if (done) return;
    done = true;
    // Never an unhandled rejection: that would end the daemon. A mount left busy is
    // unmounted by the next release or at the container's start/removal.
    release().catch(() => undefined);
  };
  stream.once("end", once);
  stream.once("close", once);
  stream.once("error", once);
  return stream;
}

/** cp / export / diff over the container service's records. */
export class ContainerArchive {
  private readonly d: ContainerArchiveDeps;

  constructor(deps: ContainerArchiveDeps) {
    this.d = deps;
  }

  private publish(rec: ContainerRecord, action: string): void {
    this.d.events?.publish("container", action, rec.ID, { ...(rec.Config.Labels ?? {}), image: rec.Config.Image ?? "", name: rec.Name.replace(/^\//, "") });
  }

  /**
   * The root to work in, held until `release`. A running container's is its init's
   * `/proc/<pid>/root`: the container's own view, with its bind mounts (/etc/hosts,
   * volumes) in place, as docker cp sees them. A stopped container's writable layer is
   * mounted for the operation.
   */
  private async mounted(rec: ContainerRecord): Promise<{ root: string; release: () => Promise<void> }> {
    const rootfs = this.d.paths(rec.ID).rootfs;
    const release = await this.d.mounts.acquire(rec.ID, rootfs, rec.State.Running);
    const pid = rec.State.Pid;
    if (rec.State.Running && pid > 0) {
      const procRoot = `/proc/${pid}/root`;
      if (await lstat(procRoot).then(() => true, () => false)) return { root: procRoot, release };
    }
    try {
      const unbind = await this.bindMounts(rec, rootfs);
      return { root: rootfs, release: async () => { await unbind(); await release(); } };
    } catch (err) {
      await release();
      throw err;
    }
  }

  /**
   * A stopped container's volumes and bind mounts, bound at their destinations in the
   * mounted rootfs for the operation (as docker mounts them for cp), so a copy sees and
   * writes the volume's files. Returns the undo (reverse order).
   */
  private async bindMounts(rec: ContainerRecord, rootfs: string): Promise<() => Promise<void>> {
    const list = (this.d.containers.inspect?.(rec.ID).Mounts ?? []) as Array<{ Type?: string; Source?: string; Destination?: string; RW?: boolean }>;
    const mounts = list.filter((m) => (m.Type === "volume" || m.Type === "bind") && typeof m.Source === "string" && m.Source !== "" && typeof m.Destination === "string")
      .sort((a, b) => (a.Destination as string).split("/").length - (b.Destination as string).split("/").length);
    const done: string[] = [];
    const undo = async () => {
      for (const target of done.reverse()) await this.d.host.umount(target, MNT_DETACH).catch(() => undefined);
    };
    try {
      for (const m of mounts) {
        const source = await stat(m.Source as string).catch(() => undefined);
        if (source === undefined) continue;
        const target = hostPathOf(rootfs, await resolveInRoot(rootfs, m.Destination as string));
        if ((await lstat(target).catch(() => undefined)) === undefined) {
          if (source.isDirectory()) await mkdir(target, { recursive: true, mode: 0o755 });
          else {
            await mkdir(dirname(target), { recursive: true, mode: 0o755 });
            await writeFile(target, "", { flag: "a" });
          }
        }
        await this.d.host.mount(m.Source as string, target, "none", m.RW === false ? MS_BIND | MS_RDONLY : MS_BIND, "");
        done.push(target);
      }
    } catch (err) {
      await undo();
      throw err;
    }
    return undo;
  }

  /** moby's ResolvePath + StatPath: the stat of `path` (its last symlink not followed). */
  private async statIn(root: string, ref: string, path: string): Promise<{ stat: ContainerPathStat; resolved: string; abs: string }> {
    const abs = absContainerPath(path);
    const trailing = abs.endsWith("/") || abs.endsWith("/.");
    const resolved = await resolveInRoot(root, abs, trailing);
    let st;
    try {
      st = await lstat(hostPathOf(root, resolved));
    } catch (err) {
      if (isNotFound(err)) throw fileNotFound(path, ref, err);
      throw err;
    }
    if (trailing && !st.isDirectory()) throw invalidArgument(`stat path "${path}": not a directory`);
    const linkTarget = st.isSymbolicLink() ? await resolveInRoot(root, abs, true) : "";
    return {
      abs, resolved,
      stat: { name: baseName(abs), size: st.size, mode: goFileMode(st), mtime: st.mtime.toISOString(), linkTarget },
    };
  }

  /** HEAD /containers/{id}/archive. */
  async statPath(ref: string, path: string): Promise<ContainerPathStat> {
    const rec = this.d.containers.get(ref);
    const { root, release } = await this.mounted(rec);
    try {
      return (await this.statIn(root, ref, path)).stat;
    } finally {
      await release();
    }
  }

  /** GET /containers/{id}/archive: the stat and a tar of `path` (top entry named as asked). */
  async getArchive(ref: string, path: string): Promise<{ stat: ContainerPathStat; stream: Readable }> {
    const rec = this.d.containers.get(ref);
    const { root, release } = await this.mounted(rec);
    try {
      const { stat, resolved, abs } = await this.statIn(root, ref, path);
      const rebase = abs === "/" ? "" : baseName(abs);
      this.publish(rec, "archive-path");
      // A running container's /proc and /sys are kernel files whose sizes lie: archived empty, as docker's rootfs has them.
      const kernelDirs = new Set(root.startsWith("/proc/") ? [join(root, "proc"), join(root, "sys")] : []);
      return { stat, stream: releaseAfter(packPath(hostPathOf(root, resolved), rebase, kernelDirs), release) };
    } catch (err) {
      await release();
      throw err;
    }
  }

  /** PUT /containers/{id}/archive: extract the tar `input` into the directory `path`. */
  async putArchive(ref: string, path: string, input: Readable, o: PutArchiveOptions = {}): Promise<void> {
    const rec = this.d.containers.get(ref);
    const { root, release } = await this.mounted(rec);
    try {
      // The last element is followed too: extracting to a symlink to a directory is allowed.
      const resolved = await resolveInRoot(root, absContainerPath(path), true);
      let st;
      try {
        st = await lstat(hostPathOf(root, resolved));
      } catch (err) {
        if (isNotFound(err)) throw fileNotFound(path, ref, err);
        throw err;
      }
      if (!st.isDirectory()) throw invalidArgument("extraction point is not a directory");
      if (rec.HostConfig.ReadonlyRootfs === true) throw new BerthError("permission-denied", "container rootfs is marked read-only");
      let chown: { uid: number; gid: number } | undefined;
      const user = rec.Config.User ?? "";
      if (o.copyUIDGID === true && user !== "") {
        const [passwd, group] = await Promise.all([
          readFile(`${root}/etc/passwd`, "utf8").catch(() => ""), readFile(`${root}/etc/group`, "utf8").catch(() => ""),
        ]);
        const u = resolveUser(user, passwd, group);
        chown = { uid: u.uid, gid: u.gid };
      }
      await extractArchive(input, root, resolved, this.d.host, { noOverwriteDirNonDir: o.noOverwriteDirNonDir === true, chown }).catch((err: unknown) => {
        // Only a read-only mount (a volume or bind mounted :ro) refuses writes this way.
        if ((err as NodeJS.ErrnoException).code === "EROFS") throw new BerthError("permission-denied", "mounted volume is marked read-only", { cause: err });
        throw err;
      });
      this.publish(rec, "extract-to-dir");
    } finally {
      input.resume();
      await release();
    }
  }

  /** GET /containers/{id}/export: the merged root filesystem as a tar. */
  async export(ref: string): Promise<Readable> {
    const rec = this.d.containers.get(ref);
    // The writable layer over the image, without the container's mounts (as docker exports).
    const rootfs = this.d.paths(rec.ID).rootfs;
    const release = await this.d.mounts.acquire(rec.ID, rootfs, rec.State.Running);
    this.publish(rec, "export");
    return releaseAfter(packPath(rootfs, ""), release);
  }

  /** GET /containers/{id}/changes: what the writable layer added, changed and deleted. */
  async changes(ref: string): Promise<ContainerChange[]> {
    const rec = this.d.containers.get(ref);
    const upper = rec.UpperDir;
    if (upper === undefined) return [];
    return upperChanges(upper, await this.d.lowers(rec));
  }
}
