/**
 * `--ipc shareable` and `--ipc container:X` as moby does them: a shareable container's
 * /dev/shm is a tmpfs mounted on the host at `<container dir>/mounts/shm` (ShmSize, default
 * 64 MiB) and bind-mounted into it, so a container joining its IPC namespace binds the same
 * tmpfs and sees the same POSIX shared memory. The mount is made before each run and
 * removed after it. A lifecycle extension: the container service knows nothing of it.
 */
import { mkdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { MNT_DETACH, MS_NODEV, MS_NOEXEC, MS_NOSUID } from "../../kernel/host.js";
import { invalidArgument } from "../../shared/errors.js";
import type { ContainerExtension, SpecPatch } from "./container-extension.js";
import type { ContainerRecord } from "./container-record.js";
import { peerRef } from "./run-options.js";

/** The host calls the extension needs (`Host` satisfies it). */
export interface ShmHost {
  mount(source: string, target: string, fstype: string, flags: number, data: string): Promise<void>;
  umount(target: string, flags?: number): Promise<void>;
}

/** Dependencies of the extension. */
export interface IpcShmDeps {
  host: ShmHost;
  /** `<dataRoot>/containers`. */
  containersRoot: string;
  /** Another container by reference (throws "No such container"). */
  lookup: (ref: string) => ContainerRecord;
  /** Mount points now mounted. @default read from /proc/self/mountinfo */
  mounted?: () => Promise<ReadonlySet<string>>;
}

const DEFAULT_SHM = 64 * 1024 * 1024;

/** The host directory holding a shareable container's /dev/shm tmpfs. */
export function shmPath(containersRoot: string, id: string): string {
  return join(containersRoot, id, "mounts", "shm");
}

async function mountPoints(): Promise<ReadonlySet<string>> {
  const text = await readFile("/proc/self/mountinfo", "utf8").catch(() => "");
  // Field 5 is the mount point, with spaces and such octal-escaped.
  return new Set(text.split("\n").map((l) => (l.split(" ")[4] ?? "").replace(/\\([0-7]{3})/g, (_m, o: string) => String.fromCharCode(parseInt(o, 8)))));
}

/** moby's check of an IPC donor: it must be shareable (or use the host's IPC). */
export function checkIpcDonor(ref: string, donor: ContainerRecord): void {
  const mode = donor.HostConfig.IpcMode ?? "";
  if (mode !== "shareable" && mode !== "host") {
    throw invalidArgument(`container ${ref}: non-shareable IPC (hint: use IpcMode:shareable for the donor container)`);
  }
}

/** The extension for `wire.ts`. */
export function ipcShmExtension(d: IpcShmDeps): ContainerExtension {
  const mounted = d.mounted ?? mountPoints;
  const bindShm = (source: string): SpecPatch => (spec) => {
    const mounts = (spec.mounts ??= []);
    const m = { destination: "/dev/shm", type: "bind", source, options: ["rbind", "rprivate"] };
    const i = mounts.findIndex((x) => x.destination === "/dev/shm");
    if (i === -1) mounts.push(m);
    else mounts[i] = m;
  };
  return {
    name: "ipc-shm",
    // The shm tmpfs lives in the container's directory, not under its rootfs.
    prepareWithoutRootfs: true,
    async create(_rec, body) {
      const ref = peerRef(body.HostConfig?.IpcMode);
      if (ref === undefined) return;
      let donor: ContainerRecord;
      try {
        donor = d.lookup(ref);
      } catch (err) {
        throw invalidArgument(`join IPC namespace of container "${ref}": ${(err as Error).message}`, err);
      }
      checkIpcDonor(ref, donor);
    },
    async prepare(rec) {
      const mode = rec.HostConfig.IpcMode ?? "";
      if (mode === "shareable") {
        const dir = shmPath(d.containersRoot, rec.ID);
        await mkdir(dir, { recursive: true, mode: 0o700 });
        // A daemon killed during a run leaves the tmpfs mounted: use it again.
        if (!(await mounted()).has(dir)) {
          const size = rec.HostConfig.ShmSize !== undefined && rec.HostConfig.ShmSize > 0 ? rec.HostConfig.ShmSize : DEFAULT_SHM;
          await d.host.mount("shm", dir, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, `mode=1777,size=${size}`);
        }
        return bindShm(dir);
      }
      const ref = peerRef(mode);
      if (ref === undefined) return undefined;
      const donor = d.lookup(ref);
      if (donor.HostConfig.IpcMode === "host") return bindShm("/dev/shm");
      checkIpcDonor(ref, donor);
      return bindShm(shmPath(d.containersRoot, donor.ID));
    },
    async release(rec) {
      if (rec.HostConfig.IpcMode !== "shareable") return;
      const dir = shmPath(d.containersRoot, rec.ID);
      if ((await mounted()).has(dir)) await d.host.umount(dir).catch(() => d.host.umount(dir, MNT_DETACH).catch(() => undefined));
    },
  };
}
