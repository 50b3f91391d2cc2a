/** docker's human sizes (go-units HumanSizeWithPrecision, decimal) and durations (HumanDuration). */
import { humanDuration } from "../../shared/human-duration.js";
export { humanDuration };

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

const BINARY_UNITS = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB", "ZiB", "YiB"];

/** go-units BytesSize: "%.4g" + binary (1024) unit: 626688 → "612KiB". */
export function bytesSize(bytes: number): string {
  let size = bytes;
  let i = 0;
  while (size >= 1024 && i < BINARY_UNITS.length - 1) {
    size /= 1024;
    i++;
  }
  return `${formatG(size, 4)}${BINARY_UNITS[i]}`;
}
