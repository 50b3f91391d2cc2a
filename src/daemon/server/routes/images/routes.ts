/** The /images endpoints: parse the request, call the backend, encode Docker's response. */
import type { IncomingMessage, ServerResponse } from "node:http";
// The modules themselves, not the package index: the index loads the whole registry client at daemon start.
import { decodeRegistryAuth } from "../../../../distribution/credentials.js";
import { errorMessage } from "../../../../distribution/progress.js";
import type { AuthConfig, JsonMessage } from "../../../../distribution/index.js";
import { invalidArgument, notImplemented } from "../../../../shared/errors.js";
import type { Route } from "../../router.js";
import { boolParam, filtersParam, readJsonBody, sendJson, startJsonStream } from "../../http-util.js";
import type { ImagesBackend } from "./backend.js";
import { inspectForVersion, summaryForVersion } from "./versions.js";

/**
 * Run a pull or push as a JSON progress stream. Until the first message nothing is sent,
 * so early failures (unknown image, refused credentials) are plain HTTP errors, as in
 * moby; later ones end the stream with an error message. A client that goes away
 * aborts the transfer.
 */
async function progressStream(req: IncomingMessage, res: ServerResponse, run: (auth: AuthConfig, progress: (m: JsonMessage) => void, signal: AbortSignal) => Promise<unknown>): Promise<void> {
  const header = req.headers["x-registry-auth"];
  const auth = decodeRegistryAuth(Array.isArray(header) ? header[0] : header);
  const ac = new AbortController();
  res.on("close", () => {
    if (!res.writableFinished) ac.abort();
  });
  let write: ((obj: unknown) => void) | undefined;
  const progress = (m: JsonMessage): void => {
    write ??= startJsonStream(res);
    write(m);
  };
  try {
    await run(auth, progress, ac.signal);
  } catch (err) {
    if (write === undefined) throw err;
    write(errorMessage(err));
  }
  if (write === undefined) startJsonStream(res);
  res.end();
}

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
        if (fromImage !== "") {
          const pull = b.pull?.bind(b);
          if (pull === undefined) throw notImplemented(`pull image "${fromImage}": pulling from a registry is not supported yet`);
          await progressStream(req, res, (auth, progress, signal) => pull({
            fromImage, tag: query.get("tag") ?? undefined, platform: query.get("platform") ?? undefined, auth, progress, signal,
          }));
          return;
        }
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
      method: "POST", path: "/images/{name:.*}/push",
      handler: async ({ req, res, params, query }) => {
        const push = b.push?.bind(b);
        if (push === undefined) throw notImplemented("push image: pushing to a registry is not supported yet");
        await progressStream(req, res, (auth, progress, signal) => push({
          name: params.name ?? "", tag: query.get("tag") ?? undefined, auth, progress, signal,
        }));
      },
    },
    {
      method: "POST", path: "/auth",
      handler: async ({ req, res }) => {
        const login = b.login?.bind(b);
        if (login === undefined) throw notImplemented("login: registry logins are not supported yet");
        const body = await readJsonBody(req);
        if (body === null || typeof body !== "object" || Array.isArray(body)) throw invalidArgument("login: request body must be a JSON object");
        const auth = decodeRegistryAuth(Buffer.from(JSON.stringify(body)).toString("base64url"));
        sendJson(res, 200, await login(auth));
      },
    },
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
