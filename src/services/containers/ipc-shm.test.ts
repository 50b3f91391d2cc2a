import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Spec } from "../../runtime/spec/types.js";
import type { ContainerRecord, ContainerPaths } from "./container-record.js";
import type { DeepMutable } from "./container-extension.js";
import { ipcShmExtension, shmPath } from "./ipc-shm.js";

const rec = (id: string, hc: Record<string, unknown>) => ({ ID: id, HostConfig: hc }) as unknown as ContainerRecord;

test("shareable: a host tmpfs per run bound at /dev/shm; joiners bind the donor's; private donors refused", async (t) => {
  const root = await mkdtemp(join(tmpdir(), "berth-ipc-"));
  t.after(() => rm(root, { recursive: true, force: true }));
  const calls: string[] = [];
  const mounted = new Set<string>();
  const recs = new Map([["don", rec("d".repeat(64), { IpcMode: "shareable", ShmSize: 8 << 20 })], ["priv", rec("p".repeat(64), { IpcMode: "private" })]]);
  const x = ipcShmExtension({
    containersRoot: root,
    lookup: (r) => {
      const found = recs.get(r);
      if (found === undefined) throw new Error(`No such container: ${r}`);
      return found;
    },
    mounted: async () => mounted,
    host: {
      mount: async (src, target, fstype, _flags, data) => { calls.push(`mount ${src} ${target} ${fstype} ${data}`); mounted.add(target); },
      umount: async (target) => { calls.push(`umount ${target}`); mounted.delete(target); },
    },
  });
  const donor = recs.get("don") as ContainerRecord;
  const dir = shmPath(root, donor.ID);
  const patch = await x.prepare?.(donor, {} as ContainerPaths);
  assert.deepEqual(calls, [`mount shm ${dir} tmpfs mode=1777,size=${8 << 20}`]);
  const spec = { mounts: [{ destination: "/dev/shm", type: "tmpfs", source: "shm" }] } as unknown as DeepMutable<Spec>;
  patch?.(spec);
  assert.deepEqual(spec.mounts, [{ destination: "/dev/shm", type: "bind", source: dir, options: ["rbind", "rprivate"] }]);
  await x.prepare?.(donor, {} as ContainerPaths);
  assert.equal(calls.length, 1, "an existing mount is used again");
  const joiner = rec("j".repeat(64), { IpcMode: "container:don" });
  await x.create?.(joiner, { HostConfig: { IpcMode: "container:don" } });
  const jspec = { mounts: [] } as unknown as DeepMutable<Spec>;
  (await x.prepare?.(joiner, {} as ContainerPaths))?.(jspec);
  assert.equal(jspec.mounts?.[0]?.source, dir);
  await assert.rejects(async () => x.create?.(rec("k".repeat(64), {}), { HostConfig: { IpcMode: "container:priv" } }), /container priv: non-shareable IPC/);
  await assert.rejects(async () => x.create?.(rec("k".repeat(64), {}), { HostConfig: { IpcMode: "container:gone" } }), (e: Error & { kind?: string }) => e.kind === "invalid-argument");
  await x.release?.(joiner);
  assert.equal(calls.length, 1, "only the donor's own release unmounts");
  await x.release?.(donor);
  assert.deepEqual(calls.slice(1), [`umount ${dir}`]);
});
