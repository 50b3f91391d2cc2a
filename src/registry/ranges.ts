/**
 * The two range headers of the API: `Range: bytes=...` on blob GET (RFC 9110, one range)
 * and `Content-Range: <start>-<end>` on chunked upload PATCH (the distribution spec's
 * form, inclusive; a leading "bytes " or "bytes=" is tolerated).
 */
import { registryError } from "./errors.js";

/** An inclusive byte range. */
export interface ByteRange {
  start: number;
  end: number;
}

/**
 * The range a `Range` header asks of a blob of `size` bytes: a range, "unsatisfiable"
 * (answer 416), or undefined when the header is absent or not a single byte range (RFC
 * 9110 lets a server ignore it and send the whole blob).
 */
export function parseRangeHeader(header: string | undefined, size: number): ByteRange | "unsatisfiable" | undefined {
  if (header === undefined) return undefined;
  const m = /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/i.exec(header);
  if (!m) return undefined;
  const [, a = "", b = ""] = m;
  if (a === "" && b === "") return undefined;
  if (a === "") {
    const n = Number(b);
    if (n === 0 || size === 0) return "unsatisfiable";
    return { start: Math.max(0, size - n), end: size - 1 };
  }
  const start = Number(a);
  const end = b === "" ? size - 1 : Number(b);
  if (b !== "" && end < start) return undefined;
  if (start >= size) return "unsatisfiable";
  return { start, end: Math.min(end, size - 1) };
}

/** Parse an upload's `Content-Range`; undefined when absent, BLOB_UPLOAD_INVALID (400, 416 for end < start) when malformed. */
export function parseContentRange(header: string | undefined): ByteRange | undefined {
  if (header === undefined || header.trim() === "") return undefined;
  const m = /^\s*(?:bytes[ =])?\s*(\d+)-(\d+)\s*$/i.exec(header);
  if (!m?.[1] || !m[2]) throw registryError("BLOB_UPLOAD_INVALID", `invalid Content-Range "${header}"`);
  const start = Number(m[1]);
  const end = Number(m[2]);
  if (end < start || !Number.isSafeInteger(end)) {
    throw registryError("BLOB_UPLOAD_INVALID", `invalid Content-Range "${header}"`, { status: 416 });
  }
  return { start, end };
}
