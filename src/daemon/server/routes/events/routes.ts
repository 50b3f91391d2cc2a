/** GET /events: a JSON stream of events; past ones for `since`, ends at `until`. */
import { validateEventFilters } from "../../../../services/events/event-bus.js";
import type { Route } from "../../router.js";
import { filtersParam, parseTimestamp } from "../../http-util.js";
import type { EventsBackend } from "./backend.js";

/** The events route table. */
export function eventRoutes(b: EventsBackend): Route[] {
  return [{
    method: "GET", path: "/events",
    handler: async ({ req, res, query }) => {
      const filters = filtersParam(query);
      validateEventFilters(filters);
      const sinceRaw = query.get("since");
      const untilRaw = query.get("until");
      const since = sinceRaw !== null && sinceRaw !== "" ? parseTimestamp(sinceRaw) : undefined;
      const until = untilRaw !== null && untilRaw !== "" ? parseTimestamp(untilRaw) : undefined;
      const sub = b.subscribe({ since: since ?? (until !== undefined ? 0n : undefined), until, filters });
      res.writeHead(200, { "Content-Type": "application/json" });
      res.flushHeaders();
      const stop = () => sub.close();
      req.on("close", stop);
      res.on("close", stop);
      for await (const e of sub) {
        // timeNano exactly: JSON numbers from a double would round the last digits.
        const text = JSON.stringify(e.message).replace(/"timeNano":\d+(\.\d+)?(e\+\d+)?/, `"timeNano":${e.nano}`);
        if (!res.write(`${text}\n`)) await new Promise((r) => res.once("drain", r));
      }
      res.end();
    },
  }];
}
