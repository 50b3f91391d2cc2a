/** The /containers endpoints: parse the request, call the backend, encode Docker's response. */
import { invalidArgument, notImplemented } from "../../../../shared/errors.js";
import type { Route } from "../../router.js";
import { boolParam, filtersParam, parseTimestamp, readJsonBody, sendJson } from "../../http-util.js";
import { hijack, MULTIPLEXED_STREAM, RAW_STREAM } from "../../streams/hijack.js";
import { FrameBatcher } from "../../streams/frame-batcher.js";
import { OutputCoalescer } from "./output-coalescer.js";
import type { ContainersBackend } from "./backend.js";

function intParam(q: URLSearchParams, name: string): number | undefined {
  const v = q.get(name);
  if (v === null || v === "") return undefined;
  if (!/^-?\d+$/.test(v)) throw invalidArgument(`invalid value for ${name}: "${v}"`);
  return Number(v);
}

/** Multiplexed streams got their own content type in API 1.42. */
export function streamContentType(tty: boolean, version: string): string {
  const [maj = 0, min = 0] = version.split(".").map(Number);
  return !tty && (maj > 1 || min >= 42) ? MULTIPLEXED_STREAM : RAW_STREAM;
}

/** The container route table. */
export function containerRoutes(b: ContainersBackend): Route[] {
  return [
    {
      method: "POST", path: "/containers/create",
      handler: async ({ req, res, query }) => {
        const body = await readJsonBody(req);
        sendJson(res, 201, await b.create(body, query.get("name") ?? undefined));
      },
    },
    {
      method: "GET", path: "/containers/json",
      handler: async ({ res, query }) => sendJson(res, 200, await b.list({
        all: boolParam(query, "all"), size: boolParam(query, "size"), filters: filtersParam(query),
        ...(intParam(query, "limit") !== undefined ? { limit: intParam(query, "limit") as number } : {}),
      })),
    },
    { method: "GET", path: "/containers/{id}/json", handler: async ({ res, params }) => sendJson(res, 200, b.inspect(params.id ?? "")) },
    {
      method: "POST", path: "/containers/{id}/start",
      handler: async ({ req, res, params }) => {
        req.resume();
        await b.start(params.id ?? "");
        res.writeHead(204).end();
      },
    },
    {
      method: "POST", path: "/containers/{id}/stop",
      handler: async ({ res, params, query }) => {
        await b.stop(params.id ?? "", { t: intParam(query, "t"), signal: query.get("signal") ?? undefined });
        res.writeHead(204).end();
      },
    },
    {
      method: "POST", path: "/containers/{id}/restart",
      handler: async ({ res, params, query }) => {
        await b.restart(params.id ?? "", { t: intParam(query, "t"), signal: query.get("signal") ?? undefined });
        res.writeHead(204).end();
      },
    },
    {
      method: "POST", path: "/containers/{id}/kill",
      handler: async ({ res, params, query }) => {
        await b.kill(params.id ?? "", query.get("signal") ?? undefined);
        res.writeHead(204).end();
      },
    },
    {
      method: "POST", path: "/containers/{id}/wait",
      handler: async ({ req, res, params, query }) => {
        req.resume();
        const gone = new AbortController();
        res.once("close", () => gone.abort());
        const result = b.wait(params.id ?? "", query.get("condition") ?? "not-running", gone.signal);
        // Headers go out at once: clients start the container only after they arrive.
        res.writeHead(200, { "Content-Type": "application/json" });
        res.flushHeaders();
        let r: Awaited<typeof result>;
        try {
          r = await result;
        } catch (err) {
          if (gone.signal.aborted) return;
          throw err;
        }
        res.end(`${JSON.stringify(r)}\n`);
      },
    },
    {
      method: "DELETE", path: "/containers/{id}",
      handler: async ({ res, params, query }) => {
        await b.remove(params.id ?? "", { force: boolParam(query, "force"), volumes: boolParam(query, "v") });
        res.writeHead(204).end();
      },
    },
    {
      method: "GET", path: "/containers/{id}/logs",
      handler: async ({ res, params, query, version }) => {
        const stdout = boolParam(query, "stdout");
        const stderr = boolParam(query, "stderr");
        if (!stdout && !stderr) throw invalidArgument("Bad parameters: you must choose at least one stream");
        const tailRaw = query.get("tail") ?? "all";
        const tail = tailRaw === "all" || tailRaw === "" ? undefined : Number(tailRaw);
        if (tail !== undefined && !Number.isInteger(tail)) throw invalidArgument(`invalid tail "${tailRaw}"`);
        const sinceRaw = query.get("since");
        const untilRaw = query.get("until");
        const since = sinceRaw !== null && sinceRaw !== "" && sinceRaw !== "0" ? parseTimestamp(sinceRaw) : undefined;
        const until = untilRaw !== null && untilRaw !== "" && untilRaw !== "0" ? parseTimestamp(untilRaw) : undefined;
        const timestamps = boolParam(query, "timestamps");
        const ac = new AbortController();
        res.on("close", () => ac.abort());
        let tty = false;
        let started = false;
        const pending: Array<() => void> = [];
        const out = (fn: () => void) => (started ? fn() : pending.push(fn));
        let batch: FrameBatcher | undefined;
        const r = await b.logs(params.id ?? "", { stdout, stderr, follow: boolParam(query, "follow"), since, until, tail, timestamps }, {
          data: (s, c, time) => out(() => batch?.add(s, c, timestamps && time !== undefined ? `${time} ` : undefined)),
          end: () => out(() => batch?.end()),
          flush: () => batch?.flush() ?? Promise.resolve(),
        }, ac.signal);
        tty = r.tty;
        batch = new FrameBatcher(res, tty);
        res.writeHead(200, { "Content-Type": streamContentType(tty, version) });
        res.flushHeaders();
        started = true;
        for (const fn of pending.splice(0)) fn();
      },
    },
    {
      method: "POST", path: "/containers/{id}/attach",
      handler: async ({ req, res, params, query, version }) => {
        const id = params.id ?? "";
        const info = b.inspect(id);
        const tty = info.Config.Tty === true;
        const s = hijack(req, res, streamContentType(tty, version));
        const out = new OutputCoalescer(s, tty);
        const r = await b.attach(id, {
          stream: boolParam(query, "stream"), logs: boolParam(query, "logs"),
          stdin: boolParam(query, "stdin") ? s.input : undefined,
          stdout: boolParam(query, "stdout"), stderr: boolParam(query, "stderr"),
          detachKeys: query.get("detachKeys") ?? undefined,
        }, {
          data: (st, c) => out.data(st, c),
          end: () => out.end(),
        });
        s.onClose(() => r.detach());
      },
    },
    {
      method: "POST", path: "/containers/{id}/resize",
      handler: async ({ res, params, query }) => {
        await b.resize(params.id ?? "", intParam(query, "h") ?? 0, intParam(query, "w") ?? 0);
        res.writeHead(200, { "Content-Type": "text/plain" }).end();
      },
    },
    { method: "GET", path: "/containers/{id}/top", handler: async ({ res, params, query }) => sendJson(res, 200, await b.top(params.id ?? "", query.get("ps_args") ?? "")) },
    {
      method: "POST", path: "/containers/{id}/exec",
      handler: async ({ req, res, params }) => sendJson(res, 201, b.execCreate(params.id ?? "", await readJsonBody(req))),
    },
    ...containerOpsRoutes(b),
  ];
}

function need<T>(fn: T | undefined, what: string): T {
  if (fn === undefined) throw notImplemented(`${what}: not supported by this daemon`);
  return fn;
}

/** pause, unpause, rename, update and stats. */
function containerOpsRoutes(b: ContainersBackend): Route[] {
  return [
    {
      method: "POST", path: "/containers/{id}/pause",
      handler: async ({ res, params }) => {
        await need(b.pause, "pause container").call(b, params.id ?? "");
        res.writeHead(204).end();
      },
    },
    {
      method: "POST", path: "/containers/{id}/unpause",
      handler: async ({ res, params }) => {
        await need(b.unpause, "unpause container").call(b, params.id ?? "");
        res.writeHead(204).end();
      },
    },
    {
      method: "POST", path: "/containers/{id}/rename",
      handler: async ({ res, params, query }) => {
        await need(b.rename, "rename container").call(b, params.id ?? "", query.get("name") ?? "");
        res.writeHead(204).end();
      },
    },
    {
      method: "POST", path: "/containers/{id}/update",
      handler: async ({ req, res, params }) => sendJson(res, 200, await need(b.update, "update container").call(b, params.id ?? "", await readJsonBody(req))),
    },
    {
      method: "GET", path: "/containers/{id}/stats",
      handler: async ({ res, params, query }) => {
        const stats = need(b.stats, "container stats");
        const stream = (query.get("stream") ?? "") === "" || boolParam(query, "stream");
        const oneShot = boolParam(query, "one-shot");
        if (stream && oneShot) throw invalidArgument("cannot have stream=true and one-shot=true");
        const ac = new AbortController();
        res.on("close", () => ac.abort());
        let started = false;
        const begin = () => {
          if (started) return;
          started = true;
          res.writeHead(200, { "Content-Type": "application/json" });
        };
        await stats.call(b, params.id ?? "", { stream, oneShot }, (s) => {
          begin();
          res.write(`${JSON.stringify(s)}\n`);
        }, ac.signal);
        begin();
        res.end();
      },
    },
  ];
}
