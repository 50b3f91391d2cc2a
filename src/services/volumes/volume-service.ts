/**
 * The volume service with the `local` driver: volumes are directories
 * `<root>/<name>/_data` with an atomic record `<root>/<name>/volume.json` (labels, driver
 * options, and the containers using the volume). Docker's rules: names
 * `[a-zA-Z0-9][a-zA-Z0-9_.-]+`, 64-hex names for anonymous volumes, removal refused (409)
 * while a container uses the volume, prune removes anonymous volumes unless `all`.
 */
import { randomBytes } from "node:crypto";
import { lstat, mkdir, readdir, rm, rename } from "node:fs/promises";
import { join } from "node:path";
import type { Volume, VolumeCreateOptions, VolumePruneResponse } from "../../api/volumes.js";
import type { Host } from "../../kernel/host.js";
import { MNT_DETACH } from "../../kernel/host.js";
import { conflict, internal, invalidArgument, notFound } from "../../shared/errors.js";
import { nullLogger, type Logger } from "../../shared/logger.js";
import { readJson, writeJsonAtomic } from "../../store/records/atomic-file.js";
import { mountLocal, mountsUnder, needsMount, validateLocalOptions } from "./local-driver.js";
import { ANONYMOUS_LABEL, checkRecord, isVolumeName, validateVolumeName, type VolumeRecord } from "./volume-record.js";

/** Dependencies of the volume service. */
export interface VolumeServiceDeps {
  /** `<dataRoot>/volumes`. */
  root: string;
  /** Mounts for volumes with driver options (tmpfs, bind-style). */
  host: Host;
  log?: Logger;
  /** Where `create`/`destroy` volume events go (dockerd's). @default none */
  events?: VolumeEvents;
  /** Mount points at or under a directory. @default from /proc/self/mountinfo */
  mountsUnder?: (dir: string) => Promise<string[]>;
  /** @default Date.now */
  now?: () => number;
}

/** The event bus as the volume code publishes to it (EventBus satisfies it). */
export interface VolumeEvents {
  publish(type: string, action: string, id: string, attributes?: Record<string, string>): unknown;
}

/** Options of `create`. */
export interface VolumeCreateRequest extends VolumeCreateOptions {
  /** Create an anonymous volume (generated name, Docker's anonymous label). */
  anonymous?: boolean;
}

const LIST_FILTERS = new Set(["dangling", "name", "label", "driver"]);
const PRUNE_FILTERS = new Set(["label", "label!", "all"]);

function boolFilter(key: string, v: string): boolean {
  const l = v.toLowerCase();
  if (l === "true" || l === "1") return true;
  if (l === "false" || l === "0") return false;
  throw invalidArgument(`invalid filter '${key}=${v}'`);
}

function labelMatch(labels: Record<string, string>, f: string): boolean {
  const i = f.indexOf("=");
  return i === -1 ? labels[f] !== undefined : labels[f.slice(0, i)] === f.slice(i + 1);
}

/** Docker's filter Match: an exact value or a regular expression. */
function matches(pattern: string, value: string): boolean {
  if (pattern === value) return true;
  try {
    return new RegExp(pattern).test(value);
  } catch {
    return false;
  }
}

/** Volumes of one data root. */
export class VolumeService {
  readonly root: string;
  private readonly host: Host;
  private readonly log: Logger;
  private readonly now: () => number;
  private readonly mountsUnder: (dir: string) => Promise<string[]>;
  private readonly events: VolumeEvents | undefined;
  private readonly records = new Map<string, VolumeRecord>();
  /** Containers that have an option-mounted volume mounted now (in-memory). */
  private readonly active = new Map<string, Set<string>>();
  private chain: Promise<unknown> = Promise.resolve();

  private constructor(d: VolumeServiceDeps) {
    this.root = d.root;
    this.host = d.host;
    this.log = d.log ?? nullLogger;
    this.now = d.now ?? Date.now;
    this.mountsUnder = d.mountsUnder ?? mountsUnder;
    this.events = d.events;
  }

  /** Load the records; directories without a record are crash leftovers and removed. */
  static async open(d: VolumeServiceDeps): Promise<VolumeService> {
    const svc = new VolumeService(d);
    await mkdir(d.root, { recursive: true, mode: 0o701 });
    for (const name of await readdir(d.root)) {
      const dir = join(d.root, name);
      if (name.startsWith(".trash-")) {
        await svc.removeDir(dir).catch((err: unknown) => svc.log.warn({ err, dir }, "remove volume leftover"));
        continue;
      }
      if (!isVolumeName(name)) continue;
      const rec = checkRecord(await readJson(join(dir, "volume.json")).catch(() => undefined), name);
      if (rec === undefined) {
        await svc.removeDir(dir).catch((err: unknown) => svc.log.warn({ err, dir }, "remove volume leftover"));
        continue;
      }
      svc.records.set(name, rec);
    }
    return svc;
  }

  /** Run `fn` after every earlier mutation (one at a time: create/remove/refs never interleave). */
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const p = this.chain.then(fn, fn);
    this.chain = p.catch(() => undefined);
    return p;
  }

  /** The data directory of volume `name`. */
  dataPath(name: string): string {
    return join(this.root, name, "_data");
  }

  private view(r: VolumeRecord): Volume {
    return {
      CreatedAt: r.CreatedAt,
      Driver: r.Driver,
      Labels: { ...r.Labels },
      Mountpoint: this.dataPath(r.Name),
      Name: r.Name,
      Options: Object.keys(r.Options).length > 0 ? { ...r.Options } : null,
      Scope: "local",
    };
  }

  private getRecord(name: string, op = "get"): VolumeRecord {
    const r = this.records.get(name);
    if (r === undefined) throw notFound(`${op} ${name}: no such volume`);
    return r;
  }

  /** Whether volume `name` exists. */
  has(name: string): boolean {
    return this.records.has(name);
  }

  /** Whether volume `name` is anonymous (Docker's anonymous label). */
  isAnonymous(name: string): boolean {
    return this.records.get(name)?.Labels[ANONYMOUS_LABEL] !== undefined;
  }

  /** Check a create request without creating anything. */
  validate(req: VolumeCreateRequest): void {
    const driver = req.Driver ?? "";
    if (driver !== "" && driver !== "local") throw notFound(`error looking up volume plugin ${driver}: plugin "${driver}" not found`);
    if (req.Name !== undefined && req.Name !== "") validateVolumeName(req.Name);
    validateLocalOptions(req.DriverOpts ?? {});
  }

  /**
   * POST /volumes/create. An existing volume of that name is returned as it is (dockerd
   * does the same); a new one gets its directory and its record before it is visible.
   */
  async create(req: VolumeCreateRequest = {}): Promise<Volume> {
    this.validate(req);
    return this.serial(async () => {
      const name = req.Name !== undefined && req.Name !== "" ? req.Name : randomBytes(32).toString("hex");
      const existing = this.records.get(name);
      if (existing !== undefined) return this.view(existing);
      const labels = { ...(req.Labels ?? {}) };
      if (req.anonymous === true) labels[ANONYMOUS_LABEL] = "";
      const rec: VolumeRecord = {
        Name: name, Driver: "local", CreatedAt: new Date(this.now()).toISOString().replace(/\.\d+Z$/, "Z"),
        Labels: labels, Options: { ...(req.DriverOpts ?? {}) }, Users: [],
      };
      const dir = join(this.root, name);
      await mkdir(dir, { mode: 0o755 }).catch(async (err: NodeJS.ErrnoException) => {
        // A directory without a record (an interrupted create): reuse it.
        if (err.code !== "EEXIST") throw err;
      });
      await mkdir(join(dir, "_data"), { mode: 0o755 }).catch((err: NodeJS.ErrnoException) => {
        if (err.code !== "EEXIST") throw err;
      });
      await writeJsonAtomic(join(dir, "volume.json"), rec);
      this.records.set(name, rec);
      this.events?.publish("volume", "create", name, { driver: "local" });
      return this.view(rec);
    });
  }

  /** GET /volumes/{name}. */
  inspect(name: string): Volume {
    return this.view(this.getRecord(name));
  }

  /** GET /volumes with Docker's filters (dangling, name, label, driver). */
  list(filters: Record<string, string[]> = {}): Volume[] {
    for (const k of Object.keys(filters)) if (!LIST_FILTERS.has(k)) throw invalidArgument(`invalid filter '${k}'`);
    const dangling = (filters.dangling ?? []).map((v) => boolFilter("dangling", v));
    const out: Volume[] = [];
    for (const r of [...this.records.values()].sort((a, b) => (a.Name < b.Name ? -1 : 1))) {
      if (dangling.length > 0 && !dangling.includes(r.Users.length === 0)) continue;
      if ((filters.name ?? []).length > 0 && !(filters.name ?? []).some((p) => matches(p, r.Name))) continue;
      if ((filters.driver ?? []).length > 0 && !(filters.driver ?? []).some((p) => matches(p, r.Driver))) continue;
      if (!(filters.label ?? []).every((l) => labelMatch(r.Labels, l))) continue;
      out.push(this.view(r));
    }
    return out;
  }

  /**
   * DELETE /volumes/{name}: 409 while a container uses it (also with `force`, as dockerd:
   * force only ignores a volume that does not exist).
   */
  remove(name: string, o: { force?: boolean } = {}): Promise<void> {
    return this.serial(async () => {
      const r = this.records.get(name);
      if (r === undefined) {
        if (o.force === true) return;
        throw notFound(`get ${name}: no such volume`);
      }
      if (r.Users.length > 0) throw conflict(`remove ${name}: volume is in use - [${r.Users.join(", ")}]`);
      await this.destroy(r);
    });
  }

  /** Remove a volume's directory: renamed away first (so a crash leaves no half volume), then deleted. */
  private async destroy(r: VolumeRecord): Promise<void> {
    const dir = join(this.root, r.Name);
    await this.unmountData(r.Name);
    const trash = join(this.root, `.trash-${r.Name}-${randomBytes(4).toString("hex")}`);
    await rename(dir, trash);
    this.records.delete(r.Name);
    this.active.delete(r.Name);
    this.events?.publish("volume", "destroy", r.Name, { driver: "local" });
    await this.removeDir(trash);
  }

  /** rm -rf that never crosses into a mount (a bind-style volume's host directory). */
  private async removeDir(dir: string): Promise<void> {
    for (const m of (await this.mountsUnder(dir)).reverse()) await this.host.umount(m, MNT_DETACH).catch(() => undefined);
    if ((await this.mountsUnder(dir)).length > 0) throw internal(`remove volume directory ${dir}: still mounted`);
    await rm(dir, { recursive: true, force: true });
  }

  private async unmountData(name: string): Promise<void> {
    const data = this.dataPath(name);
    for (const m of (await this.mountsUnder(data)).reverse()) await this.host.umount(m, MNT_DETACH);
  }

  /**
   * POST /volumes/prune: volumes no container uses; anonymous ones only unless the `all`
   * filter is true (API 1.42+; the route adds it for older clients).
   */
  async prune(filters: Record<string, string[]> = {}): Promise<VolumePruneResponse> {
    for (const k of Object.keys(filters)) if (!PRUNE_FILTERS.has(k)) throw invalidArgument(`invalid filter '${k}'`);
    const all = (filters.all ?? []).some((v) => boolFilter("all", v));
    return this.serial(async () => {
      const deleted: string[] = [];
      let space = 0;
      for (const r of [...this.records.values()]) {
        if (r.Users.length > 0) continue;
        if (!all && r.Labels[ANONYMOUS_LABEL] === undefined) continue;
        if (!(filters.label ?? []).every((l) => labelMatch(r.Labels, l))) continue;
        if ((filters["label!"] ?? []).some((l) => labelMatch(r.Labels, l))) continue;
        const size = needsMount(r.Options) ? 0 : await this.du(this.dataPath(r.Name));
        try {
          await this.destroy(r);
          deleted.push(r.Name);
          space += size;
        } catch (err) {
          this.log.warn({ err, volume: r.Name }, "prune volume");
        }
      }
      return { VolumesDeleted: deleted.length > 0 ? deleted : null, SpaceReclaimed: space };
    });
  }

  /**
   * Bytes in the files under `dir`, as dockerd's directory.Size counts them: directories
   * not counted, a hard-linked file once, other filesystems (mounts) not entered.
   */
  private async du(dir: string): Promise<number> {
    let total = 0;
    const seen = new Set<string>();
    const top = await lstat(dir).catch(() => undefined);
    if (top === undefined) return 0;
    const walk = async (d: string): Promise<void> => {
      const names = await readdir(d).catch(() => [] as string[]);
      for (const n of names) {
        const p = join(d, n);
        const st = await lstat(p).catch(() => undefined);
        if (st === undefined || st.dev !== top.dev) continue;
        if (st.isDirectory()) {
          await walk(p);
          continue;
        }
        const key = `${st.ino}`;
        if (st.nlink > 1) {
          if (seen.has(key)) continue;
          seen.add(key);
        }
        total += st.size;
      }
    };
    await walk(dir);
    return total;
  }

  /** Sizes and reference counts of every volume (for `system df`). */
  async usage(): Promise<{ name: string; size: number; refCount: number }[]> {
    const out: { name: string; size: number; refCount: number }[] = [];
    for (const r of [...this.records.values()].sort((a, b) => (a.Name < b.Name ? -1 : 1))) {
      out.push({ name: r.Name, size: needsMount(r.Options) ? -1 : await this.du(this.dataPath(r.Name)), refCount: r.Users.length });
    }
    return out;
  }

  /** Every volume in Docker's shape with UsageData (size -1 when unknown), for `system df`. */
  async listWithUsage(): Promise<Array<Volume & { UsageData: { Size: number; RefCount: number } }>> {
    const sizes = new Map((await this.usage()).map((u) => [u.name, u]));
    return this.list().map((v) => ({ ...v, UsageData: { Size: sizes.get(v.Name)?.size ?? -1, RefCount: sizes.get(v.Name)?.refCount ?? 0 } }));
  }

  /** Record that container `id` uses volume `name` (persisted). */
  acquire(name: string, id: string): Promise<void> {
    return this.serial(async () => {
      const r = this.getRecord(name);
      if (r.Users.includes(id)) return;
      r.Users = [...r.Users, id];
      await writeJsonAtomic(join(this.root, name, "volume.json"), r);
    });
  }

  /** Container `id` no longer uses volume `name` (persisted); unknown volumes are ignored. */
  release(name: string, id: string): Promise<void> {
    return this.serial(async () => {
      const r = this.records.get(name);
      if (r === undefined || !r.Users.includes(id)) return;
      r.Users = r.Users.filter((u) => u !== id);
      await writeJsonAtomic(join(this.root, name, "volume.json"), r);
    });
  }

  /** Drop users that are not containers any more (a crash between a volume write and a container write). */
  reconcile(containerIds: ReadonlySet<string>): Promise<void> {
    return this.serial(async () => {
      for (const r of this.records.values()) {
        const keep = r.Users.filter((u) => containerIds.has(u));
        if (keep.length === r.Users.length) continue;
        r.Users = keep;
        await writeJsonAtomic(join(this.root, r.Name, "volume.json"), r);
      }
    });
  }

  /** Remove volume `name` if it is anonymous and unused (`rm -v`, `--rm`). */
  removeIfAnonymous(name: string): Promise<boolean> {
    return this.serial(async () => {
      const r = this.records.get(name);
      if (r === undefined || r.Labels[ANONYMOUS_LABEL] === undefined || r.Users.length > 0) return false;
      await this.destroy(r);
      return true;
    });
  }

  /**
   * Make the volume usable by container `id` and return its host path: a volume with driver
   * options gets its device mounted on `_data` by its first user.
   */
  mount(name: string, id: string): Promise<string> {
    return this.serial(async () => {
      const r = this.getRecord(name);
      const data = this.dataPath(name);
      if (!needsMount(r.Options)) return data;
      const users = this.active.get(name) ?? new Set<string>();
      // After a daemon restart the device may still be mounted for a container that kept running.
      if (users.size === 0 && (await this.mountsUnder(data)).length === 0) {
        await mkdir(data, { recursive: true, mode: 0o755 });
        await mountLocal(this.host, r.Options, data);
      }
      users.add(id);
      this.active.set(name, users);
      return data;
    });
  }

  /**
   * Container `id` stopped using the volume: the device is unmounted when no other
   * running container (per `stillRunning`) uses it.
   */
  unmount(name: string, id: string, stillRunning: (containerId: string) => boolean): Promise<void> {
    return this.serial(async () => {
      const r = this.records.get(name);
      if (r === undefined || !needsMount(r.Options)) return;
      const users = this.active.get(name);
      users?.delete(id);
      const others = r.Users.filter((u) => u !== id && stillRunning(u));
      if (others.length > 0 || (users !== undefined && users.size > 0)) return;
      this.active.delete(name);
      await this.unmountData(name).catch((err: unknown) => this.log.warn({ err, volume: name }, "unmount volume"));
    });
  }
}
