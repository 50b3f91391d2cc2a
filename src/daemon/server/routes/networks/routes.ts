/** /networks: list, inspect, create, remove, prune, connect, disconnect (Docker's routes and status codes). */
import type { NetworkConnectBody, NetworkCreateBody, NetworkDisconnectBody } from "../../../../api/networks.js";
import { invalidArgument } from "../../../../shared/errors.js";
import type { Route } from "../../router.js";
import { filtersParam, readJsonBody, sendJson } from "../../http-util.js";
import type { NetworksBackend } from "./backend.js";

function objectBody(v: unknown, what: string): Record<string, unknown> {
  if (v === null || typeof v !== "object" || Array.isArray(v)) throw invalidArgument(`${what}: the body must be a JSON object`);
  return v as Record<string, unknown>;
}

function containerOf(body: Record<string, unknown>): string {
  const c = body.Container;
  if (typeof c !== "string" || c === "") throw invalidArgument("no container specified");
  return c;
}

/** The network route table. */
export function networkRoutes(b: NetworksBackend): Route[] {
  return [
    { method: "GET", path: "/networks", handler: async ({ res, query }) => sendJson(res, 200, b.list(filtersParam(query))) },
    { method: "GET", path: "/networks/{id}", handler: async ({ res, params }) => sendJson(res, 200, b.inspect(params.id ?? "")) },
    {
      method: "POST", path: "/networks/create",
      handler: async ({ req, res }) => {
        const body = objectBody(await readJsonBody(req), "create network");
        if (typeof body.Name !== "string" || body.Name === "") throw invalidArgument("network name is required");
        sendJson(res, 201, await b.create(body as unknown as NetworkCreateBody));
      },
    },
    {
      method: "DELETE", path: "/networks/{id}",
      handler: async ({ res, params }) => {
        await b.remove(params.id ?? "");
        res.writeHead(204).end();
      },
    },
    { method: "POST", path: "/networks/prune", handler: async ({ res, query }) => sendJson(res, 200, await b.prune(filtersParam(query))) },
    {
      method: "POST", path: "/networks/{id}/connect",
      handler: async ({ req, res, params }) => {
        const body = objectBody(await readJsonBody(req), "connect");
        await b.connect(params.id ?? "", { ...(body as unknown as NetworkConnectBody), Container: containerOf(body) });
        res.writeHead(200).end();
      },
    },
    {
      method: "POST", path: "/networks/{id}/disconnect",
      handler: async ({ req, res, params }) => {
        const body = objectBody(await readJsonBody(req), "disconnect");
        await b.disconnect(params.id ?? "", { Container: containerOf(body), Force: body.Force === true });
        res.writeHead(200).end();
      },
    },
  ];
}
