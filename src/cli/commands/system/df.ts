/** `berth system df [-v]`: disk use of images, containers, volumes and build cache, as docker prints it. */
import { Command } from "commander";
import type { SystemDataUsage } from "../../../api/disk-usage.js";
import { FilesClient } from "../../../client/files-client.js";
import type { Cli } from "../../cli.js";
import { ellipsis, humanSize, shortId, timeAgo } from "../../format/human.js";
import { renderTemplate, resolveFormat, sortKeys } from "../../format/template.js";

/** Options of `system df`. */
export interface DfOptions {
  verbose?: boolean;
  format?: string;
}

function withPercent(reclaimable: number, total: number): string {
  return total > 0 ? `${humanSize(reclaimable, 4)} (${Math.floor((reclaimable * 100) / total)}%)` : humanSize(reclaimable, 4);
}

const ACTIVE = /running|paused|restarting/;

/** The summary rows (docker's diskUsage*Context). */
export function summaryRows(du: SystemDataUsage): Array<Record<string, string>> {
  const images = du.Images ?? [];
  let used = 0;
  for (const i of images) if (i.Containers > 0 && i.Size !== -1 && i.SharedSize !== -1) used += i.Size - i.SharedSize;
  const containers = du.Containers ?? [];
  const cSize = containers.reduce((a, c) => a + (c.SizeRw ?? 0), 0);
  const cFree = containers.filter((c) => !ACTIVE.test(c.State)).reduce((a, c) => a + (c.SizeRw ?? 0), 0);
  const volumes = du.Volumes ?? [];
  const vSize = volumes.reduce((a, v) => a + Math.max(0, v.UsageData?.Size ?? 0), 0);
  const vFree = volumes.filter((v) => (v.UsageData?.RefCount ?? 0) === 0).reduce((a, v) => a + Math.max(0, v.UsageData?.Size ?? 0), 0);
  return [
    { Type: "Images", TotalCount: String(images.length), Active: String(images.filter((i) => i.Containers > 0).length), Size: humanSize(du.LayersSize, 4), Reclaimable: withPercent(du.LayersSize - used, du.LayersSize) },
    { Type: "Containers", TotalCount: String(containers.length), Active: String(containers.filter((c) => ACTIVE.test(c.State)).length), Size: humanSize(cSize, 4), Reclaimable: withPercent(cFree, cSize) },
    { Type: "Local Volumes", TotalCount: String(volumes.length), Active: String(volumes.filter((v) => (v.UsageData?.RefCount ?? 0) > 0).length), Size: humanSize(vSize, 4), Reclaimable: withPercent(vFree, vSize) },
    { Type: "Build Cache", TotalCount: "0", Active: "0", Size: "0B", Reclaimable: "0B" },
  ];
}

function verbose(du: SystemDataUsage, now: number): string {
  const imgRows = (du.Images ?? []).flatMap((i) => {
    const tags = i.RepoTags.length > 0 ? i.RepoTags : ["<none>:<none>"];
    return tags.map((t) => {
      const c = t.lastIndexOf(":");
      return {
        Repository: t.slice(0, c), Tag: t.slice(c + 1), ID: shortId(i.Id), CreatedSince: timeAgo(i.Created, now),
        Size: humanSize(i.Size, 3), SharedSize: humanSize(i.SharedSize, 4), UniqueSize: humanSize(i.Size - i.SharedSize, 4), Containers: String(i.Containers),
      };
    });
  });
  const ctrRows = (du.Containers ?? []).map((c) => ({
    ID: shortId(c.Id), Image: c.Image.startsWith("sha256:") ? shortId(c.Image) : c.Image, Command: JSON.stringify(ellipsis(c.Command, 20)),
    LocalVolumes: String((c.Mounts as Array<{ Type?: string }>).filter((m) => m.Type === "volume").length),
    Size: humanSize(c.SizeRw ?? 0, 3), RunningFor: timeAgo(c.Created, now), Status: c.Status, Names: (c.Names[0] ?? "").replace(/^\//, ""),
  }));
  const volRows = (du.Volumes ?? []).map((v) => ({ Name: v.Name, Links: String(v.UsageData?.RefCount ?? 0), Size: humanSize(Math.max(0, v.UsageData?.Size ?? 0), 4) }));
  return [
    "Images space usage:\n\n",
    renderTemplate("table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}\t{{.SharedSize}}\t{{.UniqueSize}}\t{{.Containers}}", imgRows,
      { Repository: "REPOSITORY", Tag: "TAG", ID: "IMAGE ID", CreatedSince: "CREATED", Size: "SIZE", SharedSize: "SHARED SIZE", UniqueSize: "UNIQUE SIZE", Containers: "CONTAINERS" }),
    "\nContainers space usage:\n\n",
    renderTemplate("table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.LocalVolumes}}\t{{.Size}}\t{{.RunningFor}}\t{{.Status}}\t{{.Names}}", ctrRows,
      { ID: "CONTAINER ID", Image: "IMAGE", Command: "COMMAND", LocalVolumes: "LOCAL VOLUMES", Size: "SIZE", RunningFor: "CREATED", Status: "STATUS", Names: "NAMES" }),
    "\nLocal Volumes space usage:\n\n",
    renderTemplate("table {{.Name}}\t{{.Links}}\t{{.Size}}", volRows, { Name: "VOLUME NAME", Links: "LINKS", Size: "SIZE" }),
    "\nBuild cache usage: 0B\n\n",
    renderTemplate("table {{.ID}}\t{{.CacheType}}\t{{.Size}}\t{{.CreatedSince}}\t{{.LastUsedSince}}\t{{.UsageCount}}\t{{.Shared}}", [],
      { ID: "CACHE ID", CacheType: "CACHE TYPE", Size: "SIZE", CreatedSince: "CREATED", LastUsedSince: "LAST USED", UsageCount: "USAGE", Shared: "SHARED" }),
  ].join("");
}

/** Run `system df`. */
export async function runDf(cli: Cli, o: DfOptions): Promise<void> {
  const du = await new FilesClient(cli.client().host).diskUsage();
  if (o.verbose === true && o.format === undefined) {
    cli.out.write(verbose(du, cli.now()));
    return;
  }
  const format = resolveFormat(o.format, "table {{.Type}}\t{{.TotalCount}}\t{{.Active}}\t{{.Size}}\t{{.Reclaimable}}");
  cli.out.write(renderTemplate(format, summaryRows(du).map(sortKeys), { Type: "TYPE", TotalCount: "TOTAL", Active: "ACTIVE", Size: "SIZE", Reclaimable: "RECLAIMABLE" }));
}

/** The `system df` command. */
export function createDfCommand(cli: Cli): Command {
  return new Command("df")
    .description("Show docker disk usage")
    .option("-v, --verbose", "show detailed information on space usage")
    .option("--format <format>", "format output using a Go-like template")
    .action(async (o: DfOptions) => runDf(cli, o));
}
