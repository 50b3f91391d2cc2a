/** Request parsing helpers shared by the route modules (Docker's httputils). */
import type { IncomingMessage, ServerResponse } from "node:http";
import { invalidArgument } from "../../shared/errors.js";

/** Docker's BoolValue: anything but "", "0", "no", "false", "none" is true. */
export function boolParam(q: URLSearchParams, name: string): boolean {
  const v = (q.get(name) ?? "").trim().toLowerCase();
  return !(v === "" || v === "0" || v === "no" || v === "false" || v === "none");
}

/** Parse the `filters` query parameter: {"k":{"v":true}} or the legacy {"k":["v"]}. */
export function filtersParam(q: URLSearchParams): Record<string, string[]> {
  const raw = q.get("filters");
  if (raw === null || raw === "") return {};
  let v: unknown;
  try {
    v = JSON.parse(raw);
  } catch (err) {
    throw invalidArgument(`invalid filter: ${(err as Error).message}`);
  }
  if (v === null || typeof v !== "object" || Array.isArray(v)) throw invalidArgument("invalid filter: filters must be a JSON object");
  const out: Record<string, string[]> = {};
  for (const [k, val] of Object.entries(v as Record<string, unknown>)) {
    if (Array.isArray(val)) out[k] = val.map(String);
    else if (val !== null && typeof val === "object") out[k] = Object.entries(val as Record<string, unknown>).filter(([, b]) => b === true).map(([x]) => x);
    else throw invalidArgument(`invalid filter: value of "${k}" must be a list or an object`);
  }
  return out;
}

const MAX_JSON_BODY = 10 * 1024 * 1024;

/** Read and parse a JSON body; 400 (invalid-argument) on malformed JSON, empty → undefined. */
export async function readJsonBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > MAX_JSON_BODY) throw invalidArgument("request body is too large");
    chunks.push(c as Buffer);
  }
  const text = Buffer.concat(chunks).toString("utf8");
  if (text.trim() === "") return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw invalidArgument(`invalid JSON: ${(err as Error).message}`);
  }
}

/** Send a JSON body with `status`. */
export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = `${JSON.stringify(body)}\n`;
  res.writeHead(status, { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(text) });
  res.end(text);
}

/** Start a streamed JSON response (progress messages, events). */
export function startJsonStream(res: ServerResponse): (obj: unknown) => void {
  res.writeHead(200, { "Content-Type": "application/json" });
  res.flushHeaders();
  return (obj) => {
    res.write(`${JSON.stringify(obj)}\n`);
  };
}

/**
 * Docker timestamps for since/until: unix seconds with optional fraction, RFC 3339, or a
 * duration ("10m", "1h30m") before `now`. Returns nanoseconds since the epoch.
 */
export function parseTimestamp(value: string, nowMs: number = Date.now()): bigint {
  const v = value.trim();
  const unix = /^(\d+)(?:\.(\d{1,9}))?$/.exec(v);
  if (unix !== null) {
    const frac = (unix[2] ?? "").padEnd(9, "0");
    return BigInt(unix[1] as string) * 1_000_000_000n + BigInt(frac === "" ? "0" : frac);
  }
  const dur = /^(?:(\d+)h)?(?:(\d+)m(?!s))?(?:(\d+)s)?$/.exec(v);
  if (dur !== null && v !== "") {
    const ms = (Number(dur[1] ?? 0) * 3600 + Number(dur[2] ?? 0) * 60 + Number(dur[3] ?? 0)) * 1000;
    return BigInt(nowMs - ms) * 1_000_000n;
  }
  const t = Date.parse(v);
  if (!Number.isNaN(t)) return BigInt(t) * 1_000_000n;
  throw invalidArgument(`invalid timestamp "${value}"`);
}
