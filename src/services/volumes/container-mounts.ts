/**
 * The volumes extension of the container lifecycle: at create, the body's mounts (Binds,
 * Mounts, Tmpfs, VolumesFrom, image Volumes) are parsed and checked, named and anonymous
 * volumes are created and referenced, and the mount points are recorded on the container
 * record (`MountPoints`, keyed by destination, as dockerd's config.v2.json); at start the
 * volumes are made ready (copy-up, bind-style mounts) and a spec patch adds the mounts;
 * at rm the references go and, with `-v` or `--rm`, anonymous volumes too.
 */
import { existsSync } from "node:fs";
import { mkdir, stat } from "node:fs/promises";
import type { ContainerCreateBody, ContainerInspect, ContainerSummary } from "../../api/containers.js";
import type { MountPoint, MountSpec } from "../../api/volumes.js";
import { invalidArgument } from "../../shared/errors.js";
import { nullLogger, type Logger } from "../../shared/logger.js";
import type { ContainerExtension, SpecPatch } from "../containers/container-extension.js";
import type { ContainerPaths, ContainerRecord } from "../containers/container-record.js";
import { copyUp, resolveContainerPath } from "./copy-up.js";
import { modeReadWrite, parseBind, parseConfigVolume, parseMount, parseTmpfs, parseVolumesFrom, type PlannedMount } from "./mount-spec.js";
import type { VolumeEvents, VolumeService } from "./volume-service.js";

/** A mount point as stored on the container record. */
export interface StoredMount extends PlannedMount {
  Driver: string;
}

/** The record field this extension adds. */
export type WithMounts = ContainerRecord & { MountPoints?: Record<string, StoredMount> };

/** What the extension needs of the container service (late-bound: it is built after). */
export interface MountContainers {
  /** A container by id, name or prefix; throws "No such container: x" (404). */
  get(ref: string): ContainerRecord;
}

/** Dependencies of the volumes extension. */
export interface ContainerMountsDeps {
  volumes: VolumeService;
  containers: () => MountContainers | undefined;
  /** Where `mount`/`unmount` volume events go (dockerd's). @default none */
  events?: VolumeEvents;
  /** @default fs.existsSync */
  exists?: (path: string) => boolean;
  log?: Logger;
}

/** The mount points of a container record. */
export function mountPointsOf(rec: ContainerRecord): StoredMount[] {
  return Object.values((rec as WithMounts).MountPoints ?? {}).sort((a, b) => (a.Destination < b.Destination ? -1 : 1));
}

/** Docker's MountPoint view of a stored mount. */
export function mountPointView(m: StoredMount): MountPoint {
  const v: MountPoint = { Type: m.Type, Source: m.Source, Destination: m.Destination, Mode: m.Mode, RW: m.RW, Propagation: m.Propagation };
  if (m.Type === "volume") return { Type: m.Type, Name: m.Name, Source: m.Source, Destination: m.Destination, Driver: m.Driver, Mode: m.Mode, RW: m.RW, Propagation: m.Propagation };
  return v;
}

const OPPOSITE: Record<string, string> = {
  exec: "noexec", noexec: "exec", suid: "nosuid", nosuid: "suid", dev: "nodev", nodev: "dev", ro: "rw", rw: "ro",
};

/** moby's MergeTmpfsOptions: later options win over earlier ones of the same kind. */
export function mergeTmpfsOptions(opts: readonly string[]): string[] {
  const out: string[] = [];
  for (const o of opts) {
    const key = o.includes("=") ? `${o.split("=", 1)[0] ?? ""}=` : undefined;
    const i = out.findIndex((x) => (key !== undefined ? x.startsWith(key) : x === o || x === OPPOSITE[o]));
    if (i !== -1) out.splice(i, 1);
    out.push(o);
  }
  return out;
}

/** The OCI mount of a stored mount. */
export function ociMount(m: StoredMount): { destination: string; type: string; source: string; options: string[] } {
  if (m.Type === "tmpfs") {
    const data = m.Data === "" ? [] : m.Data.split(",");
    return { destination: m.Destination, type: "tmpfs", source: "tmpfs", options: mergeTmpfsOptions(["noexec", "nosuid", "nodev", "rprivate", ...data]) };
  }
  const opts = [m.NonRecursive ? "bind" : "rbind"];
  if (!m.RW) opts.push("ro");
  opts.push(m.Propagation !== "" ? m.Propagation : "rprivate");
  return { destination: m.Destination, type: "bind", source: m.Source, options: opts };
}

function depth(p: string): number {
  return p.split("/").length;
}

/**
 * The spec's mounts with the user's: a user mount replaces one at the same destination,
 * and mounts are ordered parents first (dockerd's sortMounts) among the user's mounts and
 * the spec's mounts below them, so `-v x:/etc` does not hide the `/etc/hosts` bind.
 */
export function withUserMounts<M extends { destination: string }>(specMounts: readonly M[], user: readonly M[]): M[] {
  const dests = user.map((m) => m.destination);
  const under = (d: string) => dests.some((u) => d.startsWith(`${u}/`));
  const rest = specMounts.filter((m) => !dests.includes(m.destination));
  const moved = rest.filter((m) => under(m.destination));
  // Array.prototype.sort is stable: equal depths keep their order.
  const tail = [...user, ...moved].sort((a, b) => depth(a.destination) - depth(b.destination));
  return [...rest.filter((m) => !under(m.destination)), ...tail];
}

function checkHostConfig(hc: Record<string, unknown>): void {
  const m = hc.Mounts;
  if (m !== undefined && m !== null && (!Array.isArray(m) || m.some((x) => x === null || typeof x !== "object"))) {
    throw invalidArgument("invalid JSON: HostConfig.Mounts must be a list of objects");
  }
  const t = hc.Tmpfs;
  if (t !== undefined && t !== null && (typeof t !== "object" || Array.isArray(t) || Object.values(t).some((v) => typeof v !== "string"))) {
    throw invalidArgument("invalid JSON: HostConfig.Tmpfs must map paths to option strings");
  }
  const vf = hc.VolumesFrom;
  if (vf !== undefined && vf !== null && (!Array.isArray(vf) || vf.some((x) => typeof x !== "string"))) {
    throw invalidArgument("invalid JSON: HostConfig.VolumesFrom must be a list of strings");
  }
}

/** Build the volumes extension. */
export function containerMounts(d: ContainerMountsDeps): ContainerExtension {
  const exists = d.exists ?? existsSync;
  const log = d.log ?? nullLogger;
  const vols = d.volumes;

  const running = (id: string): boolean => {
    const containers = d.containers();
    // While the container service opens (a container found dead after a crash) nobody can
    // say: count the other users as running, so a shared device stays mounted.
    if (containers === undefined) return true;
    try {
      return containers.get(id).State.Running;
    } catch {
      return false;
    }
  };

  /** Parse everything first: a bad mount refuses the create before any volume exists. */
  const plan = (rec: ContainerRecord, body: ContainerCreateBody): Map<string, PlannedMount> => {
    const hc = (body.HostConfig ?? {}) as Record<string, unknown>;
    checkHostConfig(hc);
    const out = new Map<string, PlannedMount>();
    const user = new Set<string>();
    const addUser = (m: PlannedMount) => {
      if (user.has(m.Destination)) throw invalidArgument(`Duplicate mount point: ${m.Destination}`);
      user.add(m.Destination);
      out.set(m.Destination, m);
    };
    const binds = (hc.Binds as string[] | null | undefined) ?? [];
    const mounts = (hc.Mounts as MountSpec[] | null | undefined) ?? [];
    const tmpfs = (hc.Tmpfs as Record<string, string> | null | undefined) ?? {};
    const from = (hc.VolumesFrom as string[] | null | undefined) ?? [];
    const parsed = [
      ...binds.map(parseBind),
      ...mounts.map((m) => parseMount(m, exists)),
      ...Object.entries(tmpfs).map(([k, v]) => parseTmpfs(k, v)),
    ];
    // Volumes of other containers first: the container's own mounts win over them.
    const fromMounts: PlannedMount[] = [];
    for (const spec of from) {
      const { container, mode } = parseVolumesFrom(spec);
      const src = d.containers()?.get(container);
      if (src === undefined) throw invalidArgument(`No such container: ${container}`);
      for (const m of mountPointsOf(src)) {
        if (m.TmpfsMap === true) continue;
        fromMounts.push({ ...m, RW: m.RW && modeReadWrite(mode), CopyData: false, CreateSource: false });
      }
    }
    for (const m of fromMounts) out.set(m.Destination, m);
    for (const m of parsed) addUser(m);
    for (const dest of Object.keys(rec.Config.Volumes ?? {})) {
      const m = parseConfigVolume(dest);
      if (!out.has(m.Destination)) out.set(m.Destination, m);
    }
    for (const m of out.values()) {
      if (m.Type === "volume" && m.Name !== "" && !vols.has(m.Name)) {
        vols.validate({ Name: m.Name, ...(m.VolumeDriverOpts !== undefined ? { DriverOpts: m.VolumeDriverOpts } : {}) });
      }
    }
    return out;
  };

  const removeMounts = async (rec: ContainerRecord, removeAnonymous: boolean): Promise<void> => {
    for (const m of mountPointsOf(rec)) {
      if (m.Type !== "volume") continue;
      await vols.release(m.Name, rec.ID).catch((err: unknown) => log.warn({ err, container: rec.ID, volume: m.Name }, "release volume"));
      if (removeAnonymous) {
        await vols.removeIfAnonymous(m.Name).catch((err: unknown) => log.warn({ err, container: rec.ID, volume: m.Name }, "remove anonymous volume"));
      }
    }
  };

  return {
    name: "volumes",

    async create(rec, body) {
      const planned = plan(rec, body);
      const stored: Record<string, StoredMount> = {};
      const made: string[] = [];
      const acquired: string[] = [];
      try {
        for (const m of [...planned.values()].sort((a, b) => (a.Destination < b.Destination ? -1 : 1))) {
          if (m.Type !== "volume") {
            stored[m.Destination] = { ...m, Driver: "" };
            continue;
          }
          let name = m.Name;
          if (name === "" || !vols.has(name)) {
            const v = await vols.create({
              ...(name !== "" ? { Name: name } : { anonymous: true }),
              ...(m.VolumeLabels !== undefined ? { Labels: m.VolumeLabels } : {}),
              ...(m.VolumeDriverOpts !== undefined ? { DriverOpts: m.VolumeDriverOpts } : {}),
            });
            name = v.Name;
            made.push(name);
          }
          await vols.acquire(name, rec.ID);
          acquired.push(name);
          const { VolumeLabels: _l, VolumeDriverOpts: _o, ...rest } = m;
          stored[m.Destination] = { ...rest, Name: name, Source: vols.dataPath(name), Driver: "local" };
        }
      } catch (err) {
        for (const n of acquired) await vols.release(n, rec.ID).catch(() => undefined);
        for (const n of made) await vols.remove(n, { force: true }).catch(() => undefined);
        throw err;
      }
      (rec as WithMounts).MountPoints = stored;
    },

    async prepare(rec: ContainerRecord, paths: ContainerPaths): Promise<SpecPatch | undefined> {
      const mounts = mountPointsOf(rec);
      if (mounts.length === 0) return undefined;
      for (const m of mounts) {
        if (m.Type === "volume") {
          const src = await vols.mount(m.Name, rec.ID);
          if (m.CopyData) await copyUp(paths.rootfs, m.Destination, src);
          d.events?.publish("volume", "mount", m.Name, {
            container: rec.ID, destination: m.Destination, driver: m.Driver, propagation: m.Propagation, "read/write": String(m.RW),
          });
        } else if (m.Type === "bind") {
          const there = await stat(m.Source).then(() => true, () => false);
          if (!there && m.CreateSource) await mkdir(m.Source, { recursive: true, mode: 0o755 });
          else if (!there) throw invalidArgument(`invalid mount config for type "bind": bind source path does not exist: ${m.Source}`);
        }
      }
      // Destinations through image symlinks are resolved inside the rootfs (runc's securejoin).
      const extra = await Promise.all(mounts.map(async (m) => ({ ...ociMount(m), destination: await resolveContainerPath(paths.rootfs, m.Destination) })));
      return (spec) => {
        spec.mounts = withUserMounts(spec.mounts ?? [], extra);
      };
    },

    async release(rec) {
      for (const m of mountPointsOf(rec)) {
        if (m.Type !== "volume") continue;
        await vols.unmount(m.Name, rec.ID, running).catch((err: unknown) => log.warn({ err, container: rec.ID, volume: m.Name }, "unmount volume"));
        d.events?.publish("volume", "unmount", m.Name, { container: rec.ID, driver: m.Driver });
      }
    },

    async remove(rec, o) {
      // --rm removes anonymous volumes as rm -v does (dockerd's AutoRemove).
      await removeMounts(rec, o.volumes || rec.HostConfig.AutoRemove === true);
    },

    inspect(rec: ContainerRecord, out: ContainerInspect) {
      out.Mounts = mountPointsOf(rec).filter((m) => m.TmpfsMap !== true).map(mountPointView);
    },

    summary(rec: ContainerRecord, out: ContainerSummary) {
      out.Mounts = mountPointsOf(rec).filter((m) => m.TmpfsMap !== true).map(mountPointView);
    },
  };
}
