import { test } from "node:test";
import assert from "node:assert/strict";
import { RootfsMounts } from "./rootfs-mounts.js";

function fakeLayers(): { calls: string[]; layers: ConstructorParameters<typeof RootfsMounts>[0] } {
  const calls: string[] = [];
  return {
    calls,
    layers: {
      createRwLayer: async () => ({ upper: "u", work: "w" }),
      removeRwLayer: async () => undefined,
      mountRwLayer: async (key, target) => {
        calls.push(`mount ${key} ${target}`);
        await new Promise((r) => setTimeout(r, 5));
        return target;
      },
      unmount: async (target) => { calls.push(`unmount ${target}`); },
    },
  };
}

test("RootfsMounts: one mount per target however many users, the last release unmounts", async () => {
  const f = fakeLayers();
  const m = new RootfsMounts(f.layers);
  // A copy and a start at the same moment mount once.
  const [release] = await Promise.all([m.acquire("c1", "/r1", false), m.mountRwLayer("c1", "/r1")]);
  assert.deepEqual(f.calls, ["mount c1 /r1"]);
  await m.unmount("/r1"); // the container exits while the copy still reads
  assert.deepEqual(f.calls, ["mount c1 /r1"]);
  assert.equal(m.isMounted("/r1"), true);
  await release();
  await release(); // a second release is a no-op
  assert.deepEqual(f.calls, ["mount c1 /r1", "unmount /r1"]);
  assert.equal(m.isMounted("/r1"), false);
  // An uncounted target (a mount left from before a restart) is unmounted when asked.
  await m.unmount("/r2");
  assert.deepEqual(f.calls.at(-1), "unmount /r2");
});

test("RootfsMounts: a running container's mount is adopted, never mounted twice", async () => {
  const f = fakeLayers();
  const m = new RootfsMounts(f.layers);
  const out = await m.withMounted("c1", "/r1", true, async () => "read");
  assert.equal(out, "read");
  assert.deepEqual(f.calls, [], "the running container's own mount is used as it is");
  await m.unmount("/r1"); // the container exits
  assert.deepEqual(f.calls, ["unmount /r1"]);
  await assert.rejects(m.withMounted("c1", "/r1", false, async () => { throw new Error("copy failed"); }), /copy failed/);
  assert.deepEqual(f.calls, ["unmount /r1", "mount c1 /r1", "unmount /r1"]);
});

test("RootfsMounts: a target unmounted here is not unmounted again (the removal after an exit)", async () => {
  const f = fakeLayers();
  const m = new RootfsMounts(f.layers);
  await m.mountRwLayer("c1", "/r1");
  await m.unmount("/r1"); // the exit
  await m.unmount("/r1"); // the removal
  assert.deepEqual(f.calls, ["mount c1 /r1", "unmount /r1"]);
  // Mounted again (a restart), unmounted twice again: one command per real mount.
  await m.mountRwLayer("c1", "/r1");
  await m.unmount("/r1");
  await m.unmount("/r1");
  assert.deepEqual(f.calls, ["mount c1 /r1", "unmount /r1", "mount c1 /r1", "unmount /r1"]);
  // After that second call the target is unknown again: a third asks the kernel.
  await m.unmount("/r1");
  assert.deepEqual(f.calls.at(-1), "unmount /r1");
});

test("RootfsMounts: a failed unmount is tried again by the next call", async () => {
  const calls: string[] = [];
  let fail = true;
  const m = new RootfsMounts({
    createRwLayer: async () => ({ upper: "u", work: "w" }),
    removeRwLayer: async () => undefined,
    mountRwLayer: async (_k, target) => target,
    unmount: async (target) => {
      calls.push(target);
      if (fail) throw new Error("umount: target is busy");
    },
  });
  await m.mountRwLayer("c1", "/r1");
  await assert.rejects(m.unmount("/r1"), /busy/);
  fail = false;
  await m.unmount("/r1");
  assert.deepEqual(calls, ["/r1", "/r1"]);
});
