/** A small route table: method + path pattern (`{name}` one segment, `{name:.*}` any). */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Logger } from "../../shared/logger.js";

/** What a handler receives. */
export interface RouteContext {
  req: IncomingMessage;
  res: ServerResponse;
  params: Record<string, string>;
  query: URLSearchParams;
  /** The negotiated API version of this request. */
  version: string;
  log: Logger;
}

/** One route. */
export interface Route {
  method: string;
  path: string;
  handler: (ctx: RouteContext) => Promise<void>;
}

interface Compiled {
  method: string;
  re: RegExp;
  names: string[];
  handler: Route["handler"];
}

/** Compiled route table; first match wins. */
export class Router {
  private readonly routes: Compiled[] = [];

  /** Add routes. */
  add(routes: readonly Route[]): void {
    for (const r of routes) {
      const names: string[] = [];
      const src = r.path.replace(/[.+?^$()|[\]\\]/g, "\\$&").replace(/\{(\w+)(:\\\.\*)?\}/g, (_m, name: string, any?: string) => {
        names.push(name);
        return any !== undefined ? "(.+)" : "([^/]+)";
      });
      this.routes.push({ method: r.method, re: new RegExp(`^${src}$`), names, handler: r.handler });
    }
  }

  /** Find the handler for `method path`. HEAD falls back to GET routes. */
  match(method: string, path: string): { handler: Route["handler"]; params: Record<string, string> } | undefined {
    for (const m of [method, ...(method === "HEAD" ? ["GET"] : [])]) {
      for (const r of this.routes) {
        if (r.method !== m) continue;
        const hit = r.re.exec(path);
        if (hit === null) continue;
        const params: Record<string, string> = {};
        r.names.forEach((n, i) => {
          params[n] = decodeURIComponent(hit[i + 1] ?? "");
        });
        return { handler: r.handler, params };
      }
    }
    return undefined;
  }
}
