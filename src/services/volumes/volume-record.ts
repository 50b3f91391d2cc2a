/**
 * A volume's record, `<dataRoot>/volumes/<name>/volume.json`, written atomically, beside
 * its data directory `_data`. The record also holds the ids of the containers that use the
 * volume, so "in use" survives a daemon restart or a `kill -9`.
 */
import { invalidArgument } from "../../shared/errors.js";

/** Label Docker (23+) puts on anonymous volumes; prune without `all` removes only these. */
export const ANONYMOUS_LABEL = "com.docker.volume.anonymous";

/** What berth stores per volume. */
export interface VolumeRecord {
  Name: string;
  Driver: "local";
  /** RFC 3339 with the local offset, as dockerd prints it. */
  CreatedAt: string;
  Labels: Record<string, string>;
  /** Local driver options (`type`, `device`, `o`); empty for a plain directory volume. */
  Options: Record<string, string>;
  /** Containers (ids) whose mount points name this volume. */
  Users: string[];
}

const NAME_RE = /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;

/** Docker's local volume name rule; the error text is dockerd's (it hints at host paths). */
export function validateVolumeName(name: string): void {
  if (!NAME_RE.test(name)) {
    throw invalidArgument(`create ${name}: "${name}" includes invalid characters for a local volume name, only "[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed. If you intended to pass a host directory, use absolute path`);
  }
}

/** Whether `name` could be a volume name (used when loading records). */
export function isVolumeName(name: string): boolean {
  return NAME_RE.test(name);
}

/** Check a record read from disk; undefined when it is not a volume record. */
export function checkRecord(v: unknown, name: string): VolumeRecord | undefined {
  if (v === null || typeof v !== "object") return undefined;
  const r = v as Partial<VolumeRecord>;
  if (r.Name !== name || r.Driver !== "local" || typeof r.CreatedAt !== "string") return undefined;
  return {
    Name: r.Name, Driver: "local", CreatedAt: r.CreatedAt,
    Labels: r.Labels !== null && typeof r.Labels === "object" ? r.Labels : {},
    Options: r.Options !== null && typeof r.Options === "object" ? r.Options : {},
    Users: Array.isArray(r.Users) ? r.Users.filter((u): u is string => typeof u === "string") : [],
  };
}
