import { invalidArgument } from "../../shared/errors.js";

/** A parsed OCI `linux.cgroupsPath`. */
export interface ParsedCgroupsPath {
  /** Absolute paths are below each hierarchy's root; relative ones below this process's own cgroup. */
  readonly absolute: boolean;
  /** Non-empty path components, none of them "." or "..". */
  readonly segments: readonly string[];
}

const SYSTEMD_FORM = /^([^/:]*):([^/:]*):([^/:]+)$/;

/**
 * Parses an OCI cgroupsPath:
 * - `/a/b`: absolute, relative to the root of every hierarchy;
 * - `a/b`: relative to the runtime's own cgroup (as runc does);
 * - `slice:prefix:name` (systemd form): taken as the path `/slice/prefix-name.scope`
 *   (`name` itself when it ends in `.slice`; slice defaults to `system.slice`). berth does
 *   not talk to systemd: no unit is created, the directories are made directly.
 *
 * @example parseCgroupsPath("system.slice:berth:abc") // { absolute: true, segments: ["system.slice", "berth-abc.scope"] }
 */
export function parseCgroupsPath(cgroupsPath: string): ParsedCgroupsPath {
  let path = cgroupsPath;
  const systemd = SYSTEMD_FORM.exec(path);
  if (systemd) {
    const slice = systemd[1] || "system.slice";
    const prefix = systemd[2] ?? "";
    const name = systemd[3] ?? "";
    const unit = name.endsWith(".slice") ? name : prefix === "" ? `${name}.scope` : `${prefix}-${name}.scope`;
    path = `/${slice}/${unit}`;
  }
  const segments = path.split("/").filter((s) => s !== "" && s !== ".");
  if (segments.includes("..")) {
    throw invalidArgument(`parse cgroupsPath "${cgroupsPath}": ".." is not allowed`);
  }
  if (segments.length === 0) {
    throw invalidArgument(`parse cgroupsPath "${cgroupsPath}": must name a cgroup below the root`);
  }
  return { absolute: path.startsWith("/"), segments };
}
