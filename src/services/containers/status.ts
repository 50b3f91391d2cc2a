/** Docker's human status strings for `docker ps` ("Up 3 seconds", "Exited (0) 2 minutes ago"). */

/** go-units HumanDuration (the same wording docker uses). */
export function humanDuration(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  if (seconds < 1) return "Less than a second";
  if (seconds === 1) return "1 second";
  if (seconds < 60) return `${seconds} seconds`;
  const minutes = Math.floor(ms / 60_000);
  if (minutes === 1) return "About a minute";
  if (minutes < 60) return `${minutes} minutes`;
  const hours = Math.floor(ms / 3_600_000 + 0.5);
  if (hours === 1) return "About an hour";
  if (hours < 48) return `${hours} hours`;
  if (hours < 24 * 7 * 2) return `${Math.floor(hours / 24)} days`;
  if (hours < 24 * 30 * 2) return `${Math.floor(hours / 24 / 7)} weeks`;
  if (hours < 24 * 365 * 2) return `${Math.floor(hours / 24 / 30)} months`;
  return `${Math.floor(ms / 3_600_000 / 24 / 365)} years`;
}

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
