/**
 * Extensions of the container lifecycle owned by other services (networks, volumes,
 * healthchecks...), in the spirit of containerd's plugins: the container service calls each
 * registered extension at fixed points and knows nothing of what they do. An extension keeps
 * its per-container state in fields it adds to the record (saved by the service right after
 * the hook) or in its own store.
 *
 * Order: extensions run in registration order; undo hooks (`release`, `remove`) in reverse.
 */
import type { ContainerCreateBody, ContainerInspect, ContainerSummary } from "../../api/containers.js";
import type { Spec } from "../../runtime/spec/types.js";
import type { ContainerPaths, ContainerRecord } from "./container-record.js";

/** A writable view of a spec: `buildSpec` output is plain JSON that a patch may change in place. */
export type DeepMutable<T> = T extends ReadonlyArray<infer U> ? DeepMutable<U>[] : T extends object ? { -readonly [K in keyof T]: DeepMutable<T[K]> } : T;

/** Mutates the container's OCI spec after `buildSpec` (mounts, namespace paths...). */
export type SpecPatch = (spec: DeepMutable<Spec>) => void;

/** One lifecycle extension. Every hook is optional. */
export interface ContainerExtension {
  /** Short name for logs ("networks", "volumes"). */
  readonly name: string;
  /**
   * POST /containers/create, after the body is merged with the image config and before the
   * record is first saved: validate (throw a BerthError to refuse: nothing is kept) and add
   * fields to `rec`. `imageRootfs` is not mounted yet.
   */
  create?(rec: ContainerRecord, body: ContainerCreateBody): Promise<void>;
  /**
   * Undo `create` when the container is removed (or its creation failed after this hook
   * succeeded). `volumes` is `rm -v`.
   */
  remove?(rec: ContainerRecord, o: { volumes: boolean }): Promise<void>;
  /**
   * Before the runtime starts the container's process, with the rootfs mounted at
   * `paths.rootfs`: make what the run needs (a network namespace, volume copy-up) and return
   * how the spec must change. A throw fails the start (the service then calls `release`).
   */
  prepare?(rec: ContainerRecord, paths: ContainerPaths): Promise<SpecPatch | undefined>;
  /**
   * `prepare` neither reads nor writes under `paths.rootfs` (a network namespace, files in
   * the container's directory): it then runs while the rootfs is being mounted, which
   * takes a host command. Absent: after the mount.
   */
  readonly prepareWithoutRootfs?: boolean;
  /** The container started: `pid` is its init in the host's pid namespace. */
  started?(rec: ContainerRecord, pid: number): Promise<void>;
  /**
   * The run is over (exit, failed start, or found dead at daemon start): free what `prepare`
   * made. Must be idempotent and must not throw.
   */
  release?(rec: ContainerRecord): Promise<void>;
  /** Fill this extension's part of the inspect view. */
  inspect?(rec: ContainerRecord, out: ContainerInspect): void;
  /** Fill this extension's part of the list view. */
  summary?(rec: ContainerRecord, out: ContainerSummary): void;
}
