/** The /volumes endpoints: parse the request, call the backend, encode Docker's response. */
import { compareApiVersions } from "../../../../api/version.js";
import type { VolumeCreateOptions } from "../../../../api/volumes.js";
import { invalidArgument } from "../../../../shared/errors.js";
import type { Route } from "../../router.js";
import { boolParam, filtersParam, readJsonBody, sendJson } from "../../http-util.js";
import type { VolumesBackend } from "./backend.js";

function stringMap(v: unknown, field: string): Record<string, string> | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "object" || Array.isArray(v) || Object.values(v).some((x) => typeof x !== "string")) {
    throw invalidArgument(`invalid JSON: ${field} must map strings to strings`);
  }
  return v as Record<string, string>;
}

/** Check a POST /volumes/create body. */
export function checkCreateBody(body: unknown): VolumeCreateOptions {
  if (body === undefined) return {};
  if (body === null || typeof body !== "object" || Array.isArray(body)) throw invalidArgument("invalid JSON: volume config must be an object");
  const b = body as Record<string, unknown>;
  for (const k of ["Name", "Driver"]) {
    if (b[k] !== undefined && b[k] !== null && typeof b[k] !== "string") throw invalidArgument(`invalid JSON: ${k} must be a string`);
  }
  const out: VolumeCreateOptions = {};
  if (typeof b.Name === "string") out.Name = b.Name;
  if (typeof b.Driver === "string") out.Driver = b.Driver;
  const opts = stringMap(b.DriverOpts, "DriverOpts");
  const labels = stringMap(b.Labels, "Labels");
  if (opts !== undefined) out.DriverOpts = opts;
  if (labels !== undefined) out.Labels = labels;
  return out;
}

/** The volume route table. */
export function volumeRoutes(b: VolumesBackend): Route[] {
  return [
    {
      method: "GET", path: "/volumes",
      handler: async ({ res, query }) => sendJson(res, 200, { Volumes: b.list(filtersParam(query)), Warnings: null }),
    },
    {
      method: "POST", path: "/volumes/create",
      handler: async ({ req, res }) => sendJson(res, 201, await b.create(checkCreateBody(await readJsonBody(req)))),
    },
    {
      method: "POST", path: "/volumes/prune",
      handler: async ({ req, res, query, version }) => {
        req.resume();
        const filters = filtersParam(query);
        // Before API 1.42 prune removed every unused volume, named ones included (dockerd).
        if (compareApiVersions(version, "1.42") < 0) filters.all = ["true"];
        sendJson(res, 200, await b.prune(filters));
      },
    },
    { method: "GET", path: "/volumes/{name}", handler: async ({ res, params }) => sendJson(res, 200, b.inspect(params.name ?? "")) },
    {
      method: "DELETE", path: "/volumes/{name}",
      handler: async ({ res, params, query }) => {
        await b.remove(params.name ?? "", { force: boolParam(query, "force") });
        res.writeHead(204).end();
      },
    },
  ];
}
