/**
 * Docker's JSON progress messages (pkg/jsonmessage), the stream the docker CLI renders
 * for pull and push: one JSON object per line.
 */

/** One JSON progress message. */
export interface JsonMessage {
  status?: string;
  id?: string;
  progressDetail?: { current?: number; total?: number };
  progress?: string;
  error?: string;
  errorDetail?: { message: string };
  aux?: Record<string, unknown>;
}

/** Where progress goes: a function called once per message. */
export type ProgressSink = (m: JsonMessage) => void;

/** A sink that drops everything. */
export const noProgress: ProgressSink = () => undefined;

/** The short id docker shows for a layer: 12 hex digits of its digest. */
export function shortDigest(digest: string): string {
  return digest.replace(/^sha256:/, "").slice(0, 12);
}

function humanSize(n: number): string {
  const units = ["B", "kB", "MB", "GB", "TB"];
  let v = n;
  let i = 0;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return i === 0 ? `${v}${units[i]}` : `${v.toFixed(v < 10 ? 2 : v < 100 ? 1 : 0)}${units[i]}`;
}

/** The text bar docker also sends in `progress` ("[==>   ]  1.2MB/3.4MB"). */
export function progressBar(current: number, total: number): string {
  const width = 50;
  if (total <= 0) return humanSize(current);
  const filled = Math.min(width, Math.floor((current / total) * width));
  const bar = filled >= width ? "=".repeat(width) : `${"=".repeat(filled)}>${" ".repeat(width - filled - 1)}`;
  return `[${bar}] ${humanSize(current).padStart(8)}/${humanSize(total)}`;
}

/**
 * A byte-count progress reporter for one layer that emits at most every `intervalMs`
 * (docker throttles to ~100 ms) and always at the end.
 */
export function byteProgress(sink: ProgressSink, status: string, id: string, total: number, intervalMs = 100): (current: number, final?: boolean) => void {
  let last = 0;
  return (current, final = false) => {
    const now = Date.now();
    if (!final && now - last < intervalMs) return;
    last = now;
    sink({ status, progressDetail: { current, total }, progress: progressBar(current, total), id });
  };
}

/** Encode one message as a line of the stream. */
export function encodeMessage(m: JsonMessage): string {
  return `${JSON.stringify(m)}\r\n`;
}

/** A message carrying an error, as the stream ends a failed pull or push. */
export function errorMessage(err: unknown): JsonMessage {
  const message = err instanceof Error ? err.message : String(err);
  return { errorDetail: { message }, error: message };
}
