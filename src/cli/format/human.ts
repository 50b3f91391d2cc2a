/** docker's human sizes (go-units HumanSizeWithPrecision, decimal) and durations (HumanDuration). */

const UNITS = ["B", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"];

/** "%.{precision}g" + unit, decimal (1000) steps: 1982365 → "1.98MB". */
export function humanSize(bytes: number, precision = 3): string {
  let size = bytes;
  let i = 0;
  while (size >= 1000 && i < UNITS.length - 1) {
    size /= 1000;
    i++;
  }
  return `${formatG(size, precision)}${UNITS[i]}`;
}

// Go's %g with a precision: significant digits, trailing zeros dropped.
function formatG(x: number, precision: number): string {
  if (x === 0) return "0";
  const s = x.toPrecision(precision);
  if (s.includes("e")) return String(Number(s));
  return s.includes(".") ? s.replace(/\.?0+$/, "") : s;
}

/** go-units HumanDuration. */
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

/** "2 hours ago" for a unix time in seconds; "N/A" for unknown (0 or negative) times. */
export function timeAgo(unixSeconds: number, nowMs: number): string {
  if (unixSeconds <= 0) return "N/A";
  return `${humanDuration(nowMs - unixSeconds * 1000)} ago`;
}

/** docker's stringid.TruncateID: drop "sha256:", keep 12 characters. */
export function shortId(id: string): string {
  const i = id.indexOf(":");
  return (i === -1 ? id : id.slice(i + 1)).slice(0, 12);
}

/** docker's Ellipsis: cut to `max` characters, the last one "…". */
export function ellipsis(s: string, max: number): string {
  const chars = [...s];
  if (chars.length <= max) return s;
  return `${chars.slice(0, max - 1).join("")}…`;
}
