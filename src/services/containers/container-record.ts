/**
 * The container record (`<dataRoot>/containers/<id>/config.v2.json`, Docker's name and
 * roughly its shape), written atomically. The record is the daemon's truth for what was
 * asked; the live process state comes from the runtime and is folded into `State`.
 */
import { mkdir, readdir, rm } from "node:fs/promises";
import { join } from "node:path";
import type { ContainerState, HostConfig } from "../../api/containers.js";
import type { ImageContainerConfig } from "../../api/images.js";
import { readJson, writeJsonAtomic } from "../../store/records/atomic-file.js";

/** What berth stores per container. */
export interface ContainerRecord {
  ID: string;
  Created: string;
  Path: string;
  Args: string[];
  /** The merged config (image defaults + create body). */
  Config: ImageContainerConfig;
  HostConfig: HostConfig;
  State: ContainerState;
  /** Image id, "sha256:<hex>". */
  Image: string;
  /** The top layer chain id of the image (the rootfs lowers). */
  ImageChainId: string;
  /** Name with its leading "/". */
  Name: string;
  RestartCount: number;
  /** An explicit stop or kill ended the last run (moby's field; `unless-stopped` reads it). */
  HasBeenManuallyStopped?: boolean;
  LogPath: string;
  ResolvConfPath: string;
  HostnamePath: string;
  HostsPath: string;
  /** The writable layer's directories (overlay/rw/<id>). */
  UpperDir?: string;
  WorkDir?: string;
}

/** File layout of one container directory. */
export interface ContainerPaths {
  dir: string;
  record: string;
  log: string;
  rootfs: string;
  hostname: string;
  hosts: string;
  resolvConf: string;
}

/** Persistence of container records under `<dataRoot>/containers`. */
export class ContainerRecordStore {
  readonly root: string;
  /** Containers whose record is on disk (durably): later saves replace it. */
  private readonly onDisk = new Set<string>();

  constructor(root: string) {
    this.root = root;
  }

  /** Paths of container `id`. */
  paths(id: string): ContainerPaths {
    const dir = join(this.root, id);
    return {
      dir, record: join(dir, "config.v2.json"), log: join(dir, `${id}-json.log`), rootfs: join(dir, "rootfs"),
      hostname: join(dir, "hostname"), hosts: join(dir, "hosts"),
      resolvConf: join(dir, "resolv.conf"),
    };
  }

  /** Every record on disk (directories without a record are crash leftovers and removed). */
  async loadAll(): Promise<ContainerRecord[]> {
    await mkdir(this.root, { recursive: true, mode: 0o710 });
    // Read in parallel (a daemon start waits for them), kept in directory order.
    const ids = (await readdir(this.root)).filter((id) => /^[0-9a-f]{64}$/.test(id));
    const recs = await Promise.all(ids.map(async (id) => {
      const rec = await readJson<ContainerRecord>(this.paths(id).record).catch(() => undefined);
      if (rec === undefined) await rm(join(this.root, id), { recursive: true, force: true });
      return rec;
    }));
    const found = recs.filter((r): r is ContainerRecord => r !== undefined);
    for (const r of found) this.onDisk.add(r.ID);
    return found;
  }

  /** Create the container directory (with the rootfs mount point). */
  async create(id: string): Promise<ContainerPaths> {
    const p = this.paths(id);
    await mkdir(p.dir, { mode: 0o710 });
    await mkdir(p.rootfs);
    return p;
  }

  /**
   * Write the record atomically and durably. The first write also makes its directory entry
   * durable; a later one replaces a complete record and needs no directory fsync: after a
   * power loss the directory holds the old record or the new one, both whole (the new one
   * is fsynced before the rename). That saves one fsync per start, exit and update.
   */
  async save(rec: ContainerRecord): Promise<void> {
    const path = this.paths(rec.ID).record;
    if (!this.onDisk.has(rec.ID)) {
      await writeJsonAtomic(path, rec);
      this.onDisk.add(rec.ID);
      return;
    }
    await writeJsonAtomic(path, rec, { syncDir: false });
  }

  /** Remove the whole container directory. */
  async remove(id: string): Promise<void> {
    this.onDisk.delete(id);
    await rm(this.paths(id).dir, { recursive: true, force: true });
  }
}
