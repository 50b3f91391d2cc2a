/** /_ping, /version, /info. */
import type { Route } from "../../router.js";
import { sendJson } from "../../http-util.js";
import { answerPing } from "../../ping.js";
import type { SystemBackend } from "./backend.js";

/** The system route table. */
export function systemRoutes(b: SystemBackend): Route[] {
  const ping: Route["handler"] = async ({ req, res }) => answerPing(req, res);
  return [
    { method: "GET", path: "/_ping", handler: ping },
    { method: "HEAD", path: "/_ping", handler: ping },
    { method: "GET", path: "/version", handler: async ({ res }) => sendJson(res, 200, await b.version()) },
    { method: "GET", path: "/info", handler: async ({ res }) => sendJson(res, 200, await b.info()) },
  ];
}
