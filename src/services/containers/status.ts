/** Docker's human status strings for `docker ps` ("Up 3 seconds", "Exited (0) 2 minutes ago"). */
import { humanDuration } from "../../shared/human-duration.js";

/** The state facts the status string needs. */
export interface StatusFacts {
  status: "created" | "running" | "paused" | "restarting" | "removing" | "exited" | "dead";
  startedAt: string;
  finishedAt: string;
  exitCode: number;
}

const ZERO = "0001-01-01T00:00:00Z";

/** moby container.State.String(). */
export function statusString(s: StatusFacts, nowMs: number): string {
  switch (s.status) {
    case "running":
      return `Up ${humanDuration(nowMs - Date.parse(s.startedAt))}`;
    case "paused":
      return `Up ${humanDuration(nowMs - Date.parse(s.startedAt))} (Paused)`;
    case "restarting":
      return `Restarting (${s.exitCode}) ${humanDuration(nowMs - Date.parse(s.finishedAt))} ago`;
    case "removing":
      return "Removal In Progress";
    case "dead":
      return "Dead";
    case "created":
      return "Created";
    case "exited":
      if (s.finishedAt === ZERO || s.finishedAt === "") return "Created";
      return `Exited (${s.exitCode}) ${humanDuration(nowMs - Date.parse(s.finishedAt))} ago`;
  }
}

/** Go's zero time as Docker prints it. */
export const ZERO_TIME = ZERO;
