/** `berth images` / `berth image ls`: docker's image table. */
import { Command } from "commander";
import type { ImageSummary } from "../../../api/images.js";
import type { Cli } from "../../cli.js";
import { humanSize, shortId, timeAgo } from "../../format/human.js";
import { renderTemplate, resolveFormat, sortKeys } from "../../format/template.js";
import { parseFilterFlags } from "../filters.js";

/** Options of `images`. */
export interface ImagesOptions {
  quiet?: boolean;
  all?: boolean;
  noTrunc?: boolean;
  digests?: boolean;
  format?: string;
  filter?: string[];
}

const HEADERS = { Repository: "REPOSITORY", Tag: "TAG", Digest: "DIGEST", ID: "IMAGE ID", CreatedSince: "CREATED", CreatedAt: "CREATED AT", Size: "SIZE", Containers: "CONTAINERS" };

interface Row {
  SharedSize: string;
  UniqueSize: string;
  VirtualSize: string;
  Repository: string;
  Tag: string;
  Digest: string;
  ID: string;
  CreatedSince: string;
  CreatedAt: string;
  Size: string;
  Containers: string;
}

function splitRef(ref: string): [string, string] {
  const at = ref.indexOf("@");
  if (at !== -1) return [ref.slice(0, at), ref.slice(at + 1)];
  const colon = ref.lastIndexOf(":");
  return colon > ref.lastIndexOf("/") ? [ref.slice(0, colon), ref.slice(colon + 1)] : [ref, ""];
}

function createdAt(unix: number): string {
  return `${new Date(unix * 1000).toISOString().replace("T", " ").replace(/\.\d+Z$/, "")} +0000 UTC`;
}

/** Rows as docker's imageFormatTaggedAndDigest makes them (one per tag; digests per repo). */
export function imageRows(images: readonly ImageSummary[], o: ImagesOptions, now: number): Row[] {
  const rows: Row[] = [];
  for (const img of images) {
    const base = {
      ID: o.noTrunc === true ? img.Id : shortId(img.Id),
      CreatedSince: timeAgo(img.Created, now),
      CreatedAt: createdAt(img.Created),
      Size: humanSize(img.Size),
      Containers: img.Containers < 0 ? "N/A" : String(img.Containers),
      SharedSize: img.SharedSize < 0 ? "N/A" : humanSize(img.SharedSize),
      UniqueSize: "N/A",
      // docker prints VirtualSize with go-units HumanSize (4 significant digits).
      VirtualSize: humanSize(img.Size, 4),
    };
    const tags = new Map<string, string[]>();
    const digests = new Map<string, string[]>();
    for (const t of img.RepoTags) {
      const [repo, tag] = splitRef(t);
      tags.set(repo, [...(tags.get(repo) ?? []), tag]);
    }
    for (const d of img.RepoDigests) {
      const [repo, dg] = splitRef(d);
      digests.set(repo, [...(digests.get(repo) ?? []), dg]);
    }
    if (tags.size === 0 && digests.size === 0) {
      rows.push({ ...base, Repository: "<none>", Tag: "<none>", Digest: "<none>" });
      continue;
    }
    for (const [repo, ts] of tags) {
      const ds = o.digests === true ? digests.get(repo) ?? [] : [];
      digests.delete(repo);
      for (const tag of ts) {
        if (ds.length === 0) rows.push({ ...base, Repository: repo, Tag: tag, Digest: "<none>" });
        for (const d of ds) rows.push({ ...base, Repository: repo, Tag: tag, Digest: d });
      }
    }
    for (const [repo, ds] of digests) {
      if (o.digests === true) for (const d of ds) rows.push({ ...base, Repository: repo, Tag: "<none>", Digest: d });
      else rows.push({ ...base, Repository: repo, Tag: "<none>", Digest: "" });
    }
  }
  return rows;
}

/** Run `images`. */
export async function runImages(cli: Cli, o: ImagesOptions, repo: string | undefined): Promise<void> {
  const filters = parseFilterFlags(o.filter ?? []);
  if (repo !== undefined) filters.reference = [...(filters.reference ?? []), repo];
  const images = await cli.client().listImages({ all: o.all === true, digests: o.digests === true, filters });
  const rows = imageRows(images, o, cli.now()).map(sortKeys);
  let format = resolveFormat(o.format, o.digests === true
    ? "table {{.Repository}}\t{{.Tag}}\t{{.Digest}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}"
    : "table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}");
  if (o.quiet === true) format = "{{.ID}}";
  cli.out.write(renderTemplate(format, rows, HEADERS));
}

/** The `images` command (also `image ls`). */
export function createImagesCommand(cli: Cli, name = "images"): Command {
  return new Command(name)
    .description("List images")
    .argument("[repository]", "REPOSITORY[:TAG] to list")
    .option("-q, --quiet", "only show image IDs")
    .option("-a, --all", "show all images (default hides intermediate images)")
    .option("--no-trunc", "don't truncate output")
    .option("--digests", "show digests")
    .option("--format <format>", "format output using a Go-like template")
    .option("-f, --filter <filter>", "filter output based on conditions provided", (v: string, p: string[] = []) => [...p, v])
    .action(async (repo: string | undefined, o: ImagesOptions & { trunc?: boolean }) => {
      await runImages(cli, { ...o, noTrunc: o.trunc === false }, repo);
    });
}
