/**
 * The mounts of a create body, parsed and checked as dockerd's linux mount parser does
 * (volume/mounts/linux_parser.go): `HostConfig.Binds` (`name:/dst[:mode]`,
 * `/host:/dst[:mode]`, `/dst`), `HostConfig.Mounts`, `HostConfig.Tmpfs`, `VolumesFrom`
 * modes and image `Config.Volumes`. Pure: nothing on disk is touched except the
 * existence check of `--mount type=bind` sources (injected).
 */
import { posix } from "node:path";
import type { MountSpec } from "../../api/volumes.js";
import { invalidArgument } from "../../shared/errors.js";

/** A mount the container will get, before volumes are resolved to host paths. */
export interface PlannedMount {
  Type: "volume" | "bind" | "tmpfs";
  /** Clean absolute path inside the container. */
  Destination: string;
  /** bind: the host path. volume: "" (filled from the volume). tmpfs: "". */
  Source: string;
  /** volume: its name; "" for a new anonymous volume. */
  Name: string;
  RW: boolean;
  /** The user's mode string (`-v`), shown in inspect. */
  Mode: string;
  /** bind: the propagation (default rprivate); "" otherwise. */
  Propagation: string;
  /** volume: populate a new, empty volume from the image. */
  CopyData: boolean;
  /** tmpfs: filesystem data (`size=…,mode=…`). */
  Data: string;
  /** bind from `-v`: a missing host directory is created (as dockerd does). */
  CreateSource: boolean;
  /** bind: MS_BIND without MS_REC. */
  NonRecursive: boolean;
  /**
   * From `HostConfig.Tmpfs`: dockerd keeps these out of the container's mount points, so
   * they are not in inspect's `Mounts` and not passed on by `--volumes-from`.
   */
  TmpfsMap?: boolean;
  /** volume from `--mount`: options for a volume created by this mount. */
  VolumeLabels?: Record<string, string>;
  VolumeDriverOpts?: Record<string, string>;
}

const RW_MODES = new Set(["rw", "ro"]);
const LABEL_MODES = new Set(["z", "Z"]);
/** Propagation modes Linux has. */
export const PROPAGATION_MODES = new Set(["private", "rprivate", "shared", "rshared", "slave", "rslave"]);
const CONSISTENCY_MODES = new Set(["consistent", "cached", "delegated"]);

/** dockerd's ValidMountMode: each kind at most once. */
export function validMountMode(mode: string): boolean {
  if (mode === "") return true;
  const seen = new Set<string>();
  for (const o of mode.split(",")) {
    let kind: string;
    if (RW_MODES.has(o)) kind = "rw";
    else if (LABEL_MODES.has(o)) kind = "label";
    else if (PROPAGATION_MODES.has(o)) kind = "propagation";
    else if (o === "nocopy") kind = "copy";
    else if (CONSISTENCY_MODES.has(o)) kind = "consistency";
    else return false;
    if (seen.has(kind)) return false;
    seen.add(kind);
  }
  return true;
}

function modeHas(mode: string, set: ReadonlySet<string>): string | undefined {
  return mode.split(",").find((o) => set.has(o));
}

/** Whether `mode` is read-write (no `ro`). */
export function modeReadWrite(mode: string): boolean {
  return !mode.split(",").includes("ro");
}

class MountConfigError extends Error {
  constructor(type: string, detail: string) {
    super(`invalid mount config for type "${type}": ${detail}`);
  }
}

function checkTarget(type: string, target: string): string {
  if (target === "") throw new MountConfigError(type, "field Target must not be empty");
  if (posix.normalize(target) === "/" || target === "/") throw new MountConfigError(type, "invalid specification: destination can't be '/'");
  if (!target.startsWith("/")) throw new MountConfigError(type, `invalid mount path: '${target}' mount path must be absolute`);
  return posix.normalize(target).replace(/\/+$/, "");
}

/** Size in the largest unit that divides it (dockerd's ConvertTmpfsOptions). */
function tmpfsSize(bytes: number): string {
  for (const [suffix, div] of [["g", 2 ** 30], ["m", 2 ** 20], ["k", 2 ** 10]] as const) {
    if (bytes % div === 0) return `${bytes / div}${suffix}`;
  }
  return String(bytes);
}

/** One `HostConfig.Mounts` entry; `exists` checks bind sources. Throws Docker's messages. */
export function parseMount(m: MountSpec, exists: (path: string) => boolean): PlannedMount {
  if (m === null || typeof m !== "object") throw invalidArgument("invalid JSON: HostConfig.Mounts entries must be objects");
  const type = m.Type ?? "";
  try {
    const dst = checkTarget(type, m.Target ?? "");
    const base: PlannedMount = {
      Type: "volume", Destination: dst, Source: "", Name: "", RW: m.ReadOnly !== true, Mode: "", Propagation: "",
      CopyData: true, Data: "", CreateSource: false, NonRecursive: false,
    };
    switch (type) {
      case "bind": {
        const src = m.Source ?? "";
        if (src === "") throw new MountConfigError(type, "field Source must not be empty");
        const prop = m.BindOptions?.Propagation ?? "";
        if (prop !== "" && !PROPAGATION_MODES.has(prop)) throw new MountConfigError(type, `invalid propagation mode: ${prop}`);
        if (m.VolumeOptions !== undefined && m.VolumeOptions !== null) throw new MountConfigError(type, "field VolumeOptions must not be specified");
        if (m.TmpfsOptions !== undefined && m.TmpfsOptions !== null) throw new MountConfigError(type, "field TmpfsOptions must not be specified");
        if (!src.startsWith("/")) throw new MountConfigError(type, `invalid mount path: '${src}' mount path must be absolute`);
        const clean = posix.normalize(src);
        const create = m.BindOptions?.CreateMountpoint === true;
        if (!create && !exists(clean)) throw new MountConfigError(type, `bind source path does not exist: ${clean}`);
        return { ...base, Type: "bind", Source: clean, Propagation: prop !== "" ? prop : "rprivate", CopyData: false, CreateSource: create, NonRecursive: m.BindOptions?.NonRecursive === true };
      }
      case "volume": {
        if (m.BindOptions !== undefined && m.BindOptions !== null) throw new MountConfigError(type, "field BindOptions must not be specified");
        if (m.TmpfsOptions !== undefined && m.TmpfsOptions !== null) throw new MountConfigError(type, "field TmpfsOptions must not be specified");
        const name = m.Source ?? "";
        if (name === "" && m.ReadOnly === true) throw new MountConfigError(type, "must not set ReadOnly mode when using anonymous volumes");
        if ((m.VolumeOptions?.Subpath ?? "") !== "") throw new MountConfigError(type, "field VolumeOptions.Subpath is not supported by berth");
        const drv = m.VolumeOptions?.DriverConfig?.Name ?? "";
        if (drv !== "" && drv !== "local") throw new MountConfigError(type, `volume driver "${drv}" is not supported by berth (only "local")`);
        const out: PlannedMount = { ...base, Name: name, CopyData: m.VolumeOptions?.NoCopy !== true };
        const labels = m.VolumeOptions?.Labels;
        const opts = m.VolumeOptions?.DriverConfig?.Options;
        if (labels !== undefined && labels !== null) out.VolumeLabels = { ...labels };
        if (opts !== undefined && opts !== null) out.VolumeDriverOpts = { ...opts };
        return out;
      }
      case "tmpfs": {
        if ((m.Source ?? "") !== "") throw new MountConfigError(type, "field Source must not be specified");
        if (m.BindOptions !== undefined && m.BindOptions !== null) throw new MountConfigError(type, "field BindOptions must not be specified");
        if (m.VolumeOptions !== undefined && m.VolumeOptions !== null) throw new MountConfigError(type, "field VolumeOptions must not be specified");
        const data: string[] = [];
        if (m.ReadOnly === true) data.push("ro");
        const size = m.TmpfsOptions?.SizeBytes ?? 0;
        if (!Number.isInteger(size) || size < 0) throw new MountConfigError(type, `invalid tmpfs size: ${size}`);
        if (size > 0) data.push(`size=${tmpfsSize(size)}`);
        const mode = m.TmpfsOptions?.Mode ?? 0;
        if (!Number.isInteger(mode) || mode < 0 || mode > 0o7777) throw new MountConfigError(type, `invalid tmpfs mode: ${mode}`);
        if (mode !== 0) data.push(`mode=${mode.toString(8)}`);
        return { ...base, Type: "tmpfs", CopyData: false, Data: data.join(","), RW: true };
      }
      case "":
        throw new MountConfigError(type, "field Type must not be empty");
      default:
        throw new MountConfigError(type, "mount type unknown");
    }
  } catch (err) {
    if (err instanceof MountConfigError) throw invalidArgument(err.message);
    throw err;
  }
}

/** One `HostConfig.Binds` entry (dockerd's parseMountRaw). */
export function parseBind(raw: string): PlannedMount {
  const spec = `invalid volume specification: '${raw}'`;
  if ((raw.match(/:/g) ?? []).length > 2) throw invalidArgument(spec);
  const arr = raw.split(":");
  if (arr[0] === "" || arr[0] === undefined) throw invalidArgument(spec);
  let src = "";
  let dst: string;
  let mode = "";
  if (arr.length === 1) dst = arr[0];
  else if (arr.length === 2) {
    // "/foo:rw" is a destination with a mode, which a volume cannot have.
    if (validMountMode(arr[1] ?? "")) throw invalidArgument(spec);
    src = arr[0];
    dst = arr[1] ?? "";
  } else {
    src = arr[0];
    dst = arr[1] ?? "";
    mode = arr[2] ?? "";
  }
  if (!validMountMode(mode)) throw invalidArgument(`invalid mode: ${mode}`);
  const type = src.startsWith("/") ? "bind" : "volume";
  let target: string;
  try {
    target = checkTarget(type, dst);
  } catch (err) {
    throw invalidArgument(`${spec}: ${(err as Error).message}`);
  }
  const rw = modeReadWrite(mode);
  if (type === "bind") {
    return {
      Type: "bind", Destination: target, Source: posix.normalize(src), Name: "", RW: rw, Mode: mode,
      Propagation: modeHas(mode, PROPAGATION_MODES) ?? "rprivate", CopyData: false, Data: "", CreateSource: true, NonRecursive: false,
    };
  }
  if (modeHas(mode, PROPAGATION_MODES) !== undefined) {
    throw invalidArgument(`${spec}: invalid mount config for type "volume": field BindOptions must not be specified`);
  }
  return {
    Type: "volume", Destination: target, Source: "", Name: src, RW: rw, Mode: mode, Propagation: "",
    CopyData: !mode.split(",").includes("nocopy"), Data: "", CreateSource: false, NonRecursive: false,
  };
}

const TMPFS_FLAGS = new Set([
  "ro", "rw", "suid", "nosuid", "dev", "nodev", "exec", "noexec", "sync", "async", "dirsync", "remount", "mand", "nomand",
  "atime", "noatime", "diratime", "nodiratime", "relatime", "norelatime", "strictatime", "nostrictatime", "lazytime", "nolazytime",
  "private", "rprivate", "shared", "rshared", "slave", "rslave", "unbindable", "runbindable", "defaults",
]);
const TMPFS_DATA = new Set(["size", "mode", "uid", "gid", "nr_inodes", "nr_blocks", "mpol", "huge", "tmpcopyup", "notmpcopyup"]);

/** One `HostConfig.Tmpfs` entry: destination and its options. */
export function parseTmpfs(dest: string, options: string): PlannedMount {
  let target: string;
  try {
    target = checkTarget("tmpfs", dest);
  } catch (err) {
    throw invalidArgument((err as Error).message);
  }
  const opts = options.split(",").map((o) => o.trim()).filter((o) => o !== "");
  for (const o of opts) {
    const key = o.split("=", 1)[0] ?? "";
    if (!TMPFS_FLAGS.has(o) && !(o.includes("=") && TMPFS_DATA.has(key))) throw invalidArgument(`invalid tmpfs option ["${o}"]`);
  }
  return {
    Type: "tmpfs", Destination: target, Source: "", Name: "", RW: !opts.includes("ro"), Mode: "", Propagation: "",
    CopyData: false, Data: opts.join(","), CreateSource: false, NonRecursive: false, TmpfsMap: true,
  };
}

/** One `VolumesFrom` entry: container reference and mode ("rw" by default). */
export function parseVolumesFrom(spec: string): { container: string; mode: string } {
  if (spec === "") throw invalidArgument("volumes-from specification cannot be an empty string");
  const i = spec.indexOf(":");
  const container = i === -1 ? spec : spec.slice(0, i);
  const mode = i === -1 ? "" : spec.slice(i + 1);
  if (mode === "") return { container, mode: "rw" };
  if (!validMountMode(mode) || modeHas(mode, PROPAGATION_MODES) !== undefined || mode.split(",").includes("nocopy")) {
    throw invalidArgument(`invalid mode: ${mode}`);
  }
  return { container, mode };
}

/** An image/config `Volumes` key: an anonymous volume destination. */
export function parseConfigVolume(dest: string): PlannedMount {
  let target: string;
  try {
    target = checkTarget("volume", dest);
  } catch (err) {
    throw invalidArgument(`invalid volume specification: '${dest}': ${(err as Error).message}`);
  }
  return {
    Type: "volume", Destination: target, Source: "", Name: "", RW: true, Mode: "", Propagation: "",
    CopyData: true, Data: "", CreateSource: false, NonRecursive: false,
  };
}
