/**
 * `/_ping`'s answer, apart from the route tables: the ready gate answers it before the
 * daemon's services are loaded.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { API_VERSION } from "../../api/version.js";
import { pingHeaders } from "./version.js";

/** Answer `GET`/`HEAD /_ping` as dockerd does (the body "OK" for GET). */
export function answerPing(req: IncomingMessage, res: ServerResponse): void {
  const headers: Record<string, string> = { ...pingHeaders(), "Api-Version": API_VERSION };
  if (req.method === "HEAD") {
    res.writeHead(200, { ...headers, "Content-Type": "text/plain; charset=utf-8", "Content-Length": "0" });
    res.end();
    return;
  }
  res.writeHead(200, { ...headers, "Content-Type": "text/plain; charset=utf-8", "Content-Length": "2" });
  res.end("OK");
}
