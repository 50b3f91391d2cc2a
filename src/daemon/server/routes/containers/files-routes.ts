/**
 * The container file endpoints: archive (cp: HEAD/GET/PUT), changes (diff), export, commit,
 * and the prune / disk use endpoints (POST /containers/prune, /images/prune, GET /system/df).
 */
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { ContainerChange, ContainerPathStat } from "../../../../api/container-files.js";
import type { ContainersPruneResponse, ImagesPruneResponse, SystemDataUsage } from "../../../../api/disk-usage.js";
import type { ImageContainerConfig } from "../../../../api/images.js";
import { invalidArgument } from "../../../../shared/errors.js";
import type { Route } from "../../router.js";
import { boolParam, filtersParam, readJsonBody, sendJson } from "../../http-util.js";

/** What the file routes need (ContainerArchive and commitContainer behind it). */
export interface ContainerFilesBackend {
  statPath(ref: string, path: string): Promise<ContainerPathStat>;
  getArchive(ref: string, path: string): Promise<{ stat: ContainerPathStat; stream: Readable }>;
  putArchive(ref: string, path: string, input: Readable, o: { noOverwriteDirNonDir?: boolean; copyUIDGID?: boolean }): Promise<void>;
  export(ref: string): Promise<Readable>;
  changes(ref: string): Promise<ContainerChange[]>;
  commit(ref: string, o: {
    repo?: string | undefined; tag?: string | undefined; comment?: string | undefined; author?: string | undefined;
    pause?: boolean | undefined; changes?: string[] | undefined; config?: ImageContainerConfig | undefined;
  }): Promise<string>;
}

/** What the prune and disk use routes need (DiskService satisfies it). */
export interface DiskBackend {
  pruneContainers(filters: Record<string, string[]>): Promise<ContainersPruneResponse>;
  pruneImages(filters: Record<string, string[]>): Promise<ImagesPruneResponse>;
  diskUsage(types: readonly string[]): Promise<SystemDataUsage>;
}

/** The stat header value: base64 of the JSON, keys in moby's order. */
export function encodePathStat(s: ContainerPathStat): string {
  const json = JSON.stringify({ name: s.name, size: s.size, mode: s.mode, mtime: s.mtime, linkTarget: s.linkTarget });
  return Buffer.from(json).toString("base64");
}

function pathParam(q: URLSearchParams): string {
  const p = q.get("path") ?? "";
  if (p === "") throw invalidArgument("bad parameter: 'path' cannot be empty");
  return p;
}

/** The file route table. */
export function containerFilesRoutes(b: ContainerFilesBackend): Route[] {
  const STAT_HEADER = "X-Docker-Container-Path-Stat";
  return [
    {
      method: "HEAD", path: "/containers/{id}/archive",
      handler: async ({ req, res, params, query }) => {
        req.resume();
        const stat = await b.statPath(params.id ?? "", pathParam(query));
        res.writeHead(200, { [STAT_HEADER]: encodePathStat(stat), "Content-Type": "application/json" }).end();
      },
    },
    {
      method: "GET", path: "/containers/{id}/archive",
      handler: async ({ req, res, params, query }) => {
        req.resume();
        const { stat, stream } = await b.getArchive(params.id ?? "", pathParam(query));
        res.writeHead(200, { [STAT_HEADER]: encodePathStat(stat), "Content-Type": "application/x-tar" });
        await pipeline(stream, res).catch(() => res.destroy());
      },
    },
    {
      method: "PUT", path: "/containers/{id}/archive",
      handler: async ({ req, res, params, query }) => {
        await b.putArchive(params.id ?? "", pathParam(query), req, {
          noOverwriteDirNonDir: boolParam(query, "noOverwriteDirNonDir"), copyUIDGID: boolParam(query, "copyUIDGID"),
        });
        res.writeHead(200, { "Content-Length": "0" }).end();
      },
    },
    {
      method: "GET", path: "/containers/{id}/changes",
      handler: async ({ res, params }) => {
        const changes = await b.changes(params.id ?? "");
        sendJson(res, 200, changes.length > 0 ? changes : null);
      },
    },
    {
      method: "GET", path: "/containers/{id}/export",
      handler: async ({ req, res, params }) => {
        req.resume();
        const stream = await b.export(params.id ?? "");
        res.writeHead(200, { "Content-Type": "application/x-tar" });
        await pipeline(stream, res).catch(() => res.destroy());
      },
    },
    {
      method: "POST", path: "/commit",
      handler: async ({ req, res, query }) => {
        const body = await readJsonBody(req);
        if (body !== undefined && (body === null || typeof body !== "object" || Array.isArray(body))) {
          throw invalidArgument("invalid JSON: container config must be an object");
        }
        const container = query.get("container") ?? "";
        if (container === "") throw invalidArgument("bad parameter: 'container' cannot be empty");
        const id = await b.commit(container, {
          repo: query.get("repo") ?? undefined, tag: query.get("tag") ?? undefined,
          comment: query.get("comment") ?? undefined, author: query.get("author") ?? undefined,
          // The API's default is to pause.
          pause: query.has("pause") && query.get("pause") !== "" ? boolParam(query, "pause") : true,
          changes: query.getAll("changes").filter((c) => c !== "").flatMap((c) => c.split("\n")).filter((c) => c.trim() !== ""),
          config: body as ImageContainerConfig | undefined,
        });
        sendJson(res, 201, { Id: id });
      },
    },
  ];
}

/** The prune and disk use route table. */
export function diskRoutes(b: DiskBackend): Route[] {
  return [
    {
      method: "POST", path: "/containers/prune",
      handler: async ({ req, res, query }) => {
        req.resume();
        sendJson(res, 200, await b.pruneContainers(filtersParam(query)));
      },
    },
    {
      method: "POST", path: "/images/prune",
      handler: async ({ req, res, query }) => {
        req.resume();
        sendJson(res, 200, await b.pruneImages(filtersParam(query)));
      },
    },
    {
      // berth has no build cache yet; docker's `system prune` asks for this one too.
      method: "POST", path: "/build/prune",
      handler: async ({ req, res, query }) => {
        req.resume();
        filtersParam(query);
        sendJson(res, 200, { CachesDeleted: null, SpaceReclaimed: 0 });
      },
    },
    {
      method: "GET", path: "/system/df",
      handler: async ({ res, query }) => sendJson(res, 200, await b.diskUsage(query.getAll("type").filter((t) => t !== ""))),
    },
  ];
}
