/**
 * Reference-counted rootfs mounts (Docker's graphdriver keeps the same count per layer):
 * the container service mounts a container's writable layer for a run, and `cp`, `export`
 * or `diff` on a stopped container mount it for a moment. With the count, a copy that
 * overlaps a start or an exit neither mounts twice nor has the rootfs unmounted under it.
 */
import type { ContainerLayers } from "./container-service.js";

/** The layer store operations wrapped (OverlayStore satisfies it). */
export type MountableLayers = ContainerLayers;

/** A `ContainerLayers` whose `mountRwLayer`/`unmount` pairs are counted per target. */
export class RootfsMounts implements ContainerLayers {
  private readonly layers: MountableLayers;
  private readonly counts = new Map<string, number>();
  private readonly pending = new Map<string, Promise<unknown>>();
  /**
   * Targets this object unmounted itself and has not mounted since: a later unmount of one
   * (the removal after an exit already unmounted) needs no `umount` command, which would
   * only fail. Entries go at that second unmount or the next mount.
   */
  private readonly unmountedHere = new Set<string>();

  constructor(layers: MountableLayers) {
    this.layers = layers;
  }

  /** Serialise mount changes per target. */
  private serial<T>(target: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.pending.get(target) ?? Promise.resolve();
    const next = prev.then(fn, fn);
    const tail = next.catch(() => undefined);
    this.pending.set(target, tail);
    void tail.then(() => {
      if (this.pending.get(target) === tail) this.pending.delete(target);
    });
    return next;
  }

  createRwLayer(key: string, parent: string): Promise<{ upper: string; work: string }> {
    return this.layers.createRwLayer(key, parent);
  }

  removeRwLayer(key: string): Promise<void> {
    return this.layers.removeRwLayer(key);
  }

  /** Mount (or take one more reference on the mount already at `target`). */
  mountRwLayer(key: string, target: string): Promise<string> {
    return this.serial(target, async () => {
      const n = this.counts.get(target) ?? 0;
      if (n === 0) await this.layers.mountRwLayer(key, target);
      this.unmountedHere.delete(target);
      this.counts.set(target, n + 1);
      return target;
    });
  }

  /**
   * Drop a reference; the last one unmounts. An uncounted target is unmounted (crash
   * leftovers), unless this object unmounted it last.
   */
  unmount(target: string): Promise<void> {
    return this.serial(target, async () => {
      const n = this.counts.get(target) ?? 0;
      if (n > 1) {
        this.counts.set(target, n - 1);
        return;
      }
      this.counts.delete(target);
      if (n === 0 && this.unmountedHere.delete(target)) return;
      await this.layers.unmount(target);
      this.unmountedHere.add(target);
    });
  }

  /** Whether `target` is mounted through this object. */
  isMounted(target: string): boolean {
    return (this.counts.get(target) ?? 0) > 0;
  }

  /**
   * Mount the writable layer `key` at `target` for a moment; returns the release.
   * `running`: the container runs, so its rootfs is mounted already, perhaps by a daemon
   * before a restart (then the running container's reference is counted first).
   */
  async acquire(key: string, target: string, running: boolean): Promise<() => Promise<void>> {
    if (running) {
      await this.serial(target, async () => {
        if ((this.counts.get(target) ?? 0) === 0) this.counts.set(target, 1);
      });
    }
    await this.mountRwLayer(key, target);
    let released = false;
    return async () => {
      if (released) return;
      released = true;
      // A client that goes away mid-copy leaves the archive's file descriptors under the
      // mount open for a moment: the first unmount can be EBUSY. Later attempts find the
      // target uncounted and unmount it (or give up and throw).
      for (let attempt = 1; ; attempt++) {
        try {
          await this.unmount(target);
          return;
        } catch (err) {
          if (attempt >= 20) throw err;
          await new Promise((r) => setTimeout(r, 100));
        }
      }
    };
  }

  /** Run `fn` with the writable layer mounted (see `acquire`), unmounting after. */
  async withMounted<T>(key: string, target: string, running: boolean, fn: () => Promise<T>): Promise<T> {
    const release = await this.acquire(key, target, running);
    try {
      return await fn();
    } finally {
      await release();
    }
  }
}
