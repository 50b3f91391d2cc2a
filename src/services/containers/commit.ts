/**
 * `docker commit`: the container's writable layer becomes a new image layer (the upper
 * directory packed with overlay whiteouts turned into `.wh.` files) on top of the
 * container's image, with a config built as moby's commit does: the request's config
 * with the `changes` (Dockerfile instructions) applied, filled from the container's
 * config, and one history entry (created_by = the container's Cmd, comment, author).
 */
import type { Readable } from "node:stream";
import tar from "tar-stream";
import type { ImageContainerConfig } from "../../api/images.js";
import type { Host } from "../../kernel/host.js";
import { invalidArgument } from "../../shared/errors.js";
import { nullLogger, type Logger } from "../../shared/logger.js";
import { packLayerDiff } from "../../store/snapshots/pack-dir.js";
import type { EventBus } from "../events/event-bus.js";
import { applyChanges } from "../images/changes.js";
import type { ImageConfig } from "../images/image-config.js";
import { INIT_PATHS } from "./changes.js";
import type { ContainerRecord } from "./container-record.js";

/** Options of a commit (POST /commit query and body). */
export interface CommitOptions {
  repo?: string | undefined;
  tag?: string | undefined;
  comment?: string | undefined;
  author?: string | undefined;
  /** Freeze the container while its layer is read. @default true */
  pause?: boolean | undefined;
  /** Dockerfile instructions (CMD, ENV, LABEL…) applied to the new config. */
  changes?: readonly string[] | undefined;
  /** Config overrides (the request body). */
  config?: ImageContainerConfig | undefined;
}

/** Dependencies of `commitContainer`. */
export interface CommitDeps {
  containers: { get(ref: string): ContainerRecord };
  images: {
    createFromLayerTar(base: string, input: Readable, makeConfig: (diffId: string | undefined, parent: ImageConfig) => ImageConfig, ref?: string): Promise<string>;
  };
  host: Host;
  /** Freeze a running container; returns the thaw (absent: commit without pausing). */
  pause?: ((id: string) => Promise<() => Promise<void>>) | undefined;
  events?: EventBus | undefined;
  log?: Logger | undefined;
  /** @default Date.now */
  now?: () => number;
}

// Go's RFC3339Nano, as Docker writes config times: no trailing zero fraction.
function goTime(d: Date): string {
  return d.toISOString().replace(/\.?0+Z$/, "Z");
}

function isEmpty(v: unknown): boolean {
  if (v === undefined || v === null || v === "") return true;
  if (Array.isArray(v)) return v.length === 0;
  if (typeof v === "object") return Object.keys(v).length === 0;
  return false;
}

/** The layer tar without the init mount points (Docker keeps those in its init layer). */
function withoutInitPaths(input: Readable): Readable {
  const extract = tar.extract();
  const pack = tar.pack();
  extract.on("entry", (h, stream, next) => {
    if (INIT_PATHS.has(`/${h.name.replace(/\/$/, "")}`)) {
      stream.on("end", () => next());
      stream.resume();
      return;
    }
    stream.pipe(pack.entry(h, (err) => next(err)));
  });
  extract.on("finish", () => pack.finalize());
  extract.on("error", (err) => pack.destroy(err));
  input.on("error", (err) => extract.destroy(err));
  input.pipe(extract);
  return pack as unknown as Readable;
}

/** moby's commit `merge`: fill what the user's config leaves unset from the container's. */
export function mergeCommitConfig(user: ImageContainerConfig, ctr: ImageContainerConfig): ImageContainerConfig {
  const out: ImageContainerConfig = { ...ctr, ...Object.fromEntries(Object.entries(user).filter(([, v]) => !isEmpty(v))) };
  const env = [...(ctr.Env ?? [])];
  for (const e of user.Env ?? []) {
    const key = e.split("=", 1)[0];
    const i = env.findIndex((x) => x.split("=", 1)[0] === key);
    if (i === -1) env.push(e);
    else env[i] = e;
  }
  out.Env = env;
  out.Labels = { ...(ctr.Labels ?? {}), ...(user.Labels ?? {}) };
  if (ctr.ExposedPorts !== undefined || user.ExposedPorts !== undefined) out.ExposedPorts = { ...(ctr.ExposedPorts ?? {}), ...(user.ExposedPorts ?? {}) };
  if (ctr.Volumes !== undefined || user.Volumes !== undefined) out.Volumes = { ...(ctr.Volumes ?? {}), ...(user.Volumes ?? {}) };
  // A new entrypoint without a new command drops the container's command (moby's rule).
  if (isEmpty(user.Cmd)) {
    if (!isEmpty(user.Entrypoint)) out.Cmd = null;
    else out.Cmd = ctr.Cmd ?? null;
  }
  return out;
}

// The run-time parts of a container's config that do not belong in an image.
const CONTAINER_ONLY = ["Hostname", "Domainname", "AttachStdin", "AttachStdout", "AttachStderr", "Tty", "OpenStdin", "StdinOnce", "Image"] as const;

/** POST /commit: returns the new image id. */
export async function commitContainer(d: CommitDeps, ref: string, o: CommitOptions = {}): Promise<string> {
  const rec = d.containers.get(ref);
  if (rec.UpperDir === undefined) throw invalidArgument(`commit container ${rec.ID}: it has no writable layer`);
  if (o.config !== undefined && (o.config === null || typeof o.config !== "object" || Array.isArray(o.config))) {
    throw invalidArgument("invalid JSON: container config must be an object");
  }
  // Parsing the changes first: bad input fails before anything is written.
  const userConfig = applyChanges({ ...(o.config ?? {}) }, [...(o.changes ?? [])]);
  let reference: string | undefined;
  if (o.repo !== undefined && o.repo !== "") reference = o.tag !== undefined && o.tag !== "" ? `${o.repo}:${o.tag}` : o.repo;
  else if (o.tag !== undefined && o.tag !== "") throw invalidArgument("tag is specified without a repository");
  const ctrConfig: ImageContainerConfig = { ...rec.Config };
  for (const k of CONTAINER_ONLY) delete (ctrConfig as Record<string, unknown>)[k];
  const config = mergeCommitConfig(userConfig, ctrConfig);
  const thaw = o.pause !== false && rec.State.Running && !rec.State.Paused && d.pause !== undefined ? await d.pause(rec.ID) : undefined;
  let id: string;
  try {
    const layer = withoutInitPaths(await packLayerDiff(rec.UpperDir, d.host));
    const created = goTime(new Date((d.now ?? Date.now)()));
    id = await d.images.createFromLayerTar(rec.Image, layer, (diffId, parent) => {
      const cfg: ImageConfig = {
        architecture: parent.architecture,
        os: parent.os,
        ...(parent.variant !== undefined ? { variant: parent.variant } : {}),
        config,
        created,
        rootfs: { type: "layers", diff_ids: [...parent.rootfs.diff_ids, ...(diffId !== undefined ? [diffId] : [])] },
        history: [
          ...(parent.history ?? []),
          {
            created,
            created_by: (rec.Config.Cmd ?? []).join(" "),
            ...(o.author !== undefined && o.author !== "" ? { author: o.author } : {}),
            ...(o.comment !== undefined && o.comment !== "" ? { comment: o.comment } : {}),
            ...(diffId === undefined ? { empty_layer: true } : {}),
          },
        ],
      };
      if (o.author !== undefined && o.author !== "") cfg.author = o.author;
      if (o.comment !== undefined && o.comment !== "") cfg.comment = o.comment;
      return cfg;
    }, reference);
  } finally {
    await thaw?.().catch((err: unknown) => (d.log ?? nullLogger).warn({ err, container: rec.ID }, "unpause after commit"));
  }
  d.events?.publish("container", "commit", rec.ID, {
    ...(rec.Config.Labels ?? {}), comment: o.comment ?? "", imageID: id, imageRef: reference ?? "", name: rec.Name.replace(/^\//, ""),
  });
  return id;
}
