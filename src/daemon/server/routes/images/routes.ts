/** The /images endpoints: parse the request, call the backend, encode Docker's response. */
import { invalidArgument, notImplemented } from "../../../../shared/errors.js";
import type { Route } from "../../router.js";
import { boolParam, filtersParam, sendJson, startJsonStream } from "../../http-util.js";
import type { ImagesBackend } from "./backend.js";
import { inspectForVersion, summaryForVersion } from "./versions.js";

/** The image route table. */
export function imageRoutes(b: ImagesBackend): Route[] {
  const save: Route["handler"] = async ({ res, params, query }) => {
    const names = params.name !== undefined ? [params.name] : query.getAll("names");
    const stream = await b.save(names);
    res.writeHead(200, { "Content-Type": "application/x-tar" });
    stream.on("error", () => res.destroy());
    stream.pipe(res);
  };
  return [
    {
      method: "GET", path: "/images/json",
      handler: async ({ res, query, version }) => sendJson(res, 200, (await b.list({
        all: boolParam(query, "all"), filters: filtersParam(query), digests: boolParam(query, "digests"),
      })).map((s) => summaryForVersion(s, version))),
    },
    { method: "GET", path: "/images/get", handler: save },
    {
      method: "POST", path: "/images/create",
      handler: async ({ req, res, query }) => {
        const fromImage = query.get("fromImage") ?? "";
        const fromSrc = query.get("fromSrc") ?? "";
        if (fromImage !== "") throw notImplemented(`pull image "${fromImage}": pulling from a registry is not supported yet`);
        if (fromSrc === "") throw invalidArgument("fromImage or fromSrc is required");
        if (fromSrc !== "-") throw notImplemented("import image: importing from a URL is not supported");
        const opts: { repo?: string; tag?: string; changes?: string[]; message?: string; source: string } = {
          changes: query.getAll("changes"), source: fromSrc,
        };
        const repo = query.get("repo");
        const tag = query.get("tag");
        const message = query.get("message");
        if (repo !== null) opts.repo = repo;
        if (tag !== null) opts.tag = tag;
        if (message !== null) opts.message = message;
        const id = await b.importImage(req, opts);
        startJsonStream(res)({ status: id });
        res.end();
      },
    },
    {
      method: "POST", path: "/images/load",
      handler: async ({ req, res }) => {
        const lines = await b.load(req);
        const write = startJsonStream(res);
        for (const l of lines) write({ stream: `${l}\n` });
        res.end();
      },
    },
    { method: "GET", path: "/images/{name:.*}/json", handler: async ({ res, params, version }) => sendJson(res, 200, inspectForVersion(await b.inspect(params.name ?? ""), version)) },
    { method: "GET", path: "/images/{name:.*}/history", handler: async ({ res, params }) => sendJson(res, 200, await b.history(params.name ?? "")) },
    { method: "GET", path: "/images/{name:.*}/get", handler: save },
    {
      method: "POST", path: "/images/{name:.*}/tag",
      handler: async ({ res, params, query }) => {
        const repo = query.get("repo") ?? "";
        if (repo === "") throw invalidArgument("repository name must have at least one component");
        await b.tag(params.name ?? "", repo, query.get("tag") ?? undefined);
        res.writeHead(201).end();
      },
    },
    {
      method: "DELETE", path: "/images/{name:.*}",
      handler: async ({ res, params, query }) => sendJson(res, 200, await b.remove(params.name ?? "", {
        force: boolParam(query, "force"), noprune: boolParam(query, "noprune"),
      })),
    },
  ];
}
