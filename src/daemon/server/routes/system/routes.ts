/** /_ping, /version, /info. */
import { API_VERSION } from "../../../../api/version.js";
import type { Route } from "../../router.js";
import { sendJson } from "../../http-util.js";
import { pingHeaders } from "../../version.js";
import type { SystemBackend } from "./backend.js";

/** The system route table. */
export function systemRoutes(b: SystemBackend): Route[] {
  const ping: Route["handler"] = async ({ req, res }) => {
    const headers: Record<string, string> = { ...pingHeaders(), "Api-Version": API_VERSION };
    if (req.method === "HEAD") {
      res.writeHead(200, { ...headers, "Content-Type": "text/plain; charset=utf-8", "Content-Length": "0" });
      res.end();
      return;
    }
    res.writeHead(200, { ...headers, "Content-Type": "text/plain; charset=utf-8", "Content-Length": "2" });
    res.end("OK");
  };
  return [
    { method: "GET", path: "/_ping", handler: ping },
    { method: "HEAD", path: "/_ping", handler: ping },
    { method: "GET", path: "/version", handler: async ({ res }) => sendJson(res, 200, await b.version()) },
    { method: "GET", path: "/info", handler: async ({ res }) => sendJson(res, 200, await b.info()) },
  ];
}
