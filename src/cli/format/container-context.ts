/**
 * The fields `docker ps --format` offers (cli/command/formatter/container.go's
 * containerContext), as strings computed the way docker computes them, plus the
 * `.Label "key"` method. Its `{{json .}}` is the sorted map docker marshals.
 */
import type { ContainerSummary } from "../../api/containers.js";
import { ellipsis, humanDuration, humanSize, shortId } from "./human.js";

/** Header titles of the ps table. */
export const PS_HEADERS: Readonly<Record<string, string>> = {
  ID: "CONTAINER ID", Image: "IMAGE", Command: "COMMAND", CreatedAt: "CREATED AT", RunningFor: "CREATED", Ports: "PORTS",
  State: "STATE", Status: "STATUS", Size: "SIZE", Names: "NAMES", Labels: "LABELS", Mounts: "MOUNTS", Networks: "NETWORKS",
  LocalVolumes: "LOCAL VOLUMES",
};

/** docker's default ps table. */
export const PS_TABLE = "table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}\t{{.Names}}";

/** Go's time.Time.String() in the local zone: "2006-01-02 15:04:05 -0700 MST". */
export function goTimeString(unixSeconds: number): string {
  const d = new Date(unixSeconds * 1000);
  const off = -d.getTimezoneOffset();
  const sign = off < 0 ? "-" : "+";
  const hhmm = `${String(Math.floor(Math.abs(off) / 60)).padStart(2, "0")}${String(Math.abs(off) % 60).padStart(2, "0")}`;
  const p = (n: number) => String(n).padStart(2, "0");
  let zone = `${sign}${hhmm}`;
  try {
    const part = new Intl.DateTimeFormat("en-US", { timeZoneName: "short" }).formatToParts(d).find((x) => x.type === "timeZoneName")?.value;
    if (part !== undefined && /^[A-Z]{2,5}$/.test(part)) zone = part;
  } catch {
    // no Intl zone data: Go prints the numeric offset then too
  }
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())} ${sign}${hhmm} ${zone}`;
}

/** docker requests sizes when the template shows them (`.Size`, or every field with `json`). */
export function wantsSize(format: string | undefined): boolean {
  if (format === undefined) return false;
  return format === "json" || /\.Size\b|\{\{-?\s*json\s+\.\s*-?\}\}/.test(format);
}

interface MountLike { Type?: string; Name?: string; Source?: string; Driver?: string }

/** The context of one container; `ports` is the PORTS column text. */
export function psContext(c: ContainerSummary, o: { trunc: boolean; now: number; ports: string }): Record<string, unknown> {
  const labels = c.Labels ?? {};
  const mounts = (c.Mounts ?? []) as MountLike[];
  const names = c.Names.map((n) => n.replace(/^\//, "")).filter((n) => !n.includes("/"));
  return {
    Command: JSON.stringify(o.trunc ? ellipsis(c.Command, 20) : c.Command),
    CreatedAt: goTimeString(c.Created),
    ID: o.trunc ? shortId(c.Id) : c.Id,
    Image: o.trunc && c.Image.startsWith("sha256:") ? shortId(c.Image) : c.Image,
    Labels: Object.keys(labels).sort().map((k) => `${k}=${labels[k] ?? ""}`).join(","),
    LocalVolumes: String(mounts.filter((m) => m.Driver === "local").length),
    Mounts: mounts.map((m) => {
      const n = m.Type === "volume" && m.Name !== undefined ? m.Name : m.Source ?? "";
      return o.trunc ? ellipsis(n, 15) : n;
    }).join(","),
    Names: names.join(","),
    Networks: Object.keys(c.NetworkSettings?.Networks ?? {}).sort().join(","),
    Platform: null,
    Ports: o.ports,
    RunningFor: `${humanDuration(o.now - c.Created * 1000)} ago`,
    Size: `${humanSize(c.SizeRw ?? 0)}${(c.SizeRootFs ?? 0) > 0 ? ` (virtual ${humanSize(c.SizeRootFs ?? 0)})` : ""}`,
    State: c.State,
    Status: c.Status,
    Label: (key: unknown) => labels[String(key)] ?? "",
  };
}
