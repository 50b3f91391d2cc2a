/**
 * The runtime's on-disk state: one directory per container under the runtime root
 * (`<root>/<id>/`), holding `state.json` (written atomically: temp file, fsync, rename)
 * and the exec fifo while the container is created but not started.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, readdirSync, renameSync, rmSync, writeSync, existsSync } from "node:fs";
import { join } from "node:path";
import { alreadyExists, invalidArgument, notFound } from "../shared/errors.js";

/** What berth keeps about a container between runtime invocations. */
export interface ContainerRecord {
  readonly id: string;
  readonly bundle: string;
  /** Absolute rootfs path. */
  readonly rootfs: string;
  /** Host pid of the container's init; 0 while creating. */
  readonly pid: number;
  /** Field 22 of /proc/<pid>/stat when the container was created: tells a reused pid apart. */
  readonly startTime: string;
  /** The status last recorded; the live status is derived from the process and cgroup. */
  readonly status: "creating" | "created" | "running" | "stopped";
  readonly cgroupsPath: string;
  readonly annotations?: { readonly [key: string]: string };
  /** ISO 8601 creation time. */
  readonly created: string;
  /** The uid of the creator. */
  readonly owner: string;
}

const ID = /^[A-Za-z0-9][A-Za-z0-9_.+-]*$/;

/** Check a container id (runc's rules: no slashes, no leading dot), throwing invalid-argument. */
export function checkId(id: string): void {
  if (!ID.test(id) || id.length > 1024) throw invalidArgument(`check container id "${id}": must match ${ID.source}`);
}

/**
 * Write a file atomically: temp file in the same directory, fsync (unless `durable` is
 * false: still atomic, but may be lost on power failure), rename.
 */
export function writeFileAtomic(path: string, data: string, opts: { durable?: boolean } = {}): void {
  const tmp = `${path}.tmp-${process.pid}`;
  const fd = openSync(tmp, "w", 0o600);
  try {
    writeSync(fd, data);
    if (opts.durable !== false) fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
}

/** The state directory of one runtime root. */
export class StateStore {
  constructor(readonly root: string) {}

  dir(id: string): string {
    return join(this.root, id);
  }

  fifo(id: string): string {
    return join(this.root, id, "exec.fifo");
  }

  /** Reserve the directory for a new container; already-exists when the id is taken. */
  reserve(id: string): string {
    checkId(id);
    mkdirSync(this.root, { recursive: true, mode: 0o711 });
    const dir = this.dir(id);
    try {
      mkdirSync(dir, { mode: 0o711 });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "EEXIST") throw alreadyExists(`create container "${id}": a container with this id exists`);
      throw err;
    }
    return dir;
  }

  write(rec: ContainerRecord, opts: { durable?: boolean } = {}): void {
    writeFileAtomic(join(this.dir(rec.id), "state.json"), `${JSON.stringify(rec)}\n`, opts);
  }

  /** The record of `id`, or not-found. */
  read(id: string): ContainerRecord {
    checkId(id);
    let text: string;
    try {
      text = readFileSync(join(this.dir(id), "state.json"), "utf8");
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") throw notFound(`container "${id}" does not exist`);
      throw err;
    }
    try {
      return JSON.parse(text) as ContainerRecord;
    } catch {
      // A placeholder lost to a crash: a container that never got created.
      return { id, bundle: "", rootfs: "", pid: 0, startTime: "", status: "creating", cgroupsPath: `/berth-runtime/${id}`, created: "", owner: "" };
    }
  }

  exists(id: string): boolean {
    return existsSync(join(this.dir(id), "state.json"));
  }

  /** Ids of all containers with a state file. */
  ids(): string[] {
    let names: string[];
    try {
      names = readdirSync(this.root);
    } catch {
      return [];
    }
    return names.filter((n) => ID.test(n) && existsSync(join(this.root, n, "state.json"))).sort();
  }

  remove(id: string): void {
    rmSync(this.dir(id), { recursive: true, force: true });
  }
}
