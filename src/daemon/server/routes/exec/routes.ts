/** The /exec endpoints: start (hijacked unless detached), inspect, resize. */
import { invalidArgument } from "../../../../shared/errors.js";
import type { Route } from "../../router.js";
import { sendJson } from "../../http-util.js";
import { hijack, readHijackJson } from "../../streams/hijack.js";
import { frame } from "../../streams/stdcopy.js";
import type { ContainersBackend } from "../containers/backend.js";
import { streamContentType } from "../containers/routes.js";

/** The exec route table. */
export function execRoutes(b: ContainersBackend): Route[] {
  return [
    {
      method: "POST", path: "/exec/{id}/start",
      handler: async ({ req, res, params, version }) => {
        const id = params.id ?? "";
        const raw = await readHijackJson(req);
        if (raw !== undefined && (raw === null || typeof raw !== "object" || Array.isArray(raw))) throw invalidArgument("invalid JSON: exec start config must be an object");
        const body = (raw ?? {}) as { Detach?: boolean; Tty?: boolean };
        const info = b.execInspect(id);
        const tty = body.Tty ?? info.ProcessConfig.tty;
        if (body.Detach === true) {
          await b.execStart(id, { detach: true, tty, stdin: undefined }, { data: () => undefined, end: () => undefined });
          res.writeHead(200).end();
          return;
        }
        const s = hijack(req, res, streamContentType(tty, version));
        try {
          await b.execStart(id, { detach: false, tty, stdin: info.OpenStdin ? s.input : undefined }, {
            data: (st, c) => s.write(tty ? c : frame(st, c)),
            end: () => s.end(),
          });
        } catch (err) {
          // Headers are gone: report the failure in the stream, as dockerd does.
          const msg = Buffer.from(`OCI runtime exec failed: ${(err as Error).message}\r\n`);
          s.write(tty ? msg : frame("stdout", msg));
          s.end();
        }
      },
    },
    { method: "GET", path: "/exec/{id}/json", handler: async ({ res, params }) => sendJson(res, 200, b.execInspect(params.id ?? "")) },
    {
      method: "POST", path: "/exec/{id}/resize",
      handler: async ({ res, params, query }) => {
        await b.execResize(params.id ?? "", Number(query.get("h") ?? 0), Number(query.get("w") ?? 0));
        res.writeHead(200, { "Content-Type": "text/plain" }).end();
      },
    },
  ];
}
