/**
 * Layer blobs may be plain tar, gzip or zstd; the format is sniffed from the magic bytes,
 * as Docker does, rather than trusted from a media type.
 */
import { Readable, Transform } from "node:stream";
import { createGunzip } from "node:zlib";
import { Decompress as ZstdDecompress } from "fzstd";
import { invalidArgument } from "../../shared/errors.js";

/** Compression of a blob, from its first bytes. */
export type Compression = "none" | "gzip" | "zstd" | "bzip2" | "xz";

/** Detect the compression from the first bytes of a blob. */
export function detectCompression(head: Uint8Array): Compression {
  const b = (i: number) => head[i] ?? -1;
  if (b(0) === 0x1f && b(1) === 0x8b) return "gzip";
  if (b(0) === 0x28 && b(1) === 0xb5 && b(2) === 0x2f && b(3) === 0xfd) return "zstd";
  if (b(0) === 0x42 && b(1) === 0x5a && b(2) === 0x68) return "bzip2";
  if (b(0) === 0xfd && b(1) === 0x37 && b(2) === 0x7a && b(3) === 0x58 && b(4) === 0x5a) return "xz";
  return "none";
}

async function* prepend(first: Buffer, rest: AsyncIterator<Buffer>): AsyncGenerator<Buffer> {
  yield first;
  for (;;) {
    const r = await rest.next();
    if (r.done) return;
    yield r.value;
  }
}

/**
 * The largest zstd window accepted: the decoder allocates it up front, and 128 MiB is the
 * reference decoder's default limit (`zstd -d` wants `--long=N` beyond it).
 */
export const MAX_ZSTD_WINDOW = 128 * 1024 * 1024;

/** The window size the zstd frame header at the start of `head` declares, when it is there. */
export function zstdWindowSize(head: Uint8Array): number | undefined {
  if (head.length < 6 || head[0] !== 0x28 || head[1] !== 0xb5 || head[2] !== 0x2f || head[3] !== 0xfd) return undefined;
  const fhd = head[4] as number;
  if (((fhd >> 5) & 1) === 0) {
    // Window descriptor: 2^(10+exponent) plus mantissa eighths (RFC 8878 3.1.1.1.2).
    const wd = head[5] as number;
    const base = 2 ** (10 + (wd >> 3));
    return base + (base / 8) * (wd & 7);
  }
  // Single segment: the window is the frame content size.
  const at = 5 + [0, 1, 2, 4][fhd & 3]!;
  const bytes = [1, 2, 4, 8][fhd >> 6]!;
  if (head.length < at + bytes) return undefined;
  let size = 0;
  for (let i = bytes - 1; i >= 0; i--) size = size * 256 + (head[at + i] as number);
  return bytes === 2 ? size + 256 : size;
}

/**
 * A streaming zstd decoder (Node 20's zlib has none; fzstd is pure JS). A stream that
 * ends inside a frame fails rather than yielding a silently short tar.
 */
export function createZstdDecompress(): Transform {
  let ended = false;
  let first = true;
  const t: Transform = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      if (first) {
        first = false;
        const ws = zstdWindowSize(chunk);
        if (ws !== undefined && ws > MAX_ZSTD_WINDOW) {
          cb(invalidArgument(`decompress layer: zstd: window of ${ws} bytes exceeds the ${MAX_ZSTD_WINDOW} byte limit`));
          return;
        }
      }
      try {
        z.push(chunk);
        cb();
      } catch (err) {
        cb(invalidArgument(`decompress layer: zstd: ${(err as Error).message}`));
      }
    },
    flush(cb) {
      try {
        z.push(new Uint8Array(0), true);
        cb(ended ? null : invalidArgument("decompress layer: zstd: unexpected end of data"));
      } catch (err) {
        cb(invalidArgument(`decompress layer: zstd: ${(err as Error).message}`));
      }
    },
  });
  const z = new ZstdDecompress((data, final) => {
    if (data.length > 0) t.push(Buffer.from(data.buffer, data.byteOffset, data.byteLength));
    if (final === true) ended = true;
  });
  return t;
}

/**
 * A readable of the uncompressed content of `input` (plain tar, gzip or zstd). bzip2 and
 * xz layers are refused, as containerd does.
 */
export async function decompress(input: Readable): Promise<{ stream: Readable; compression: Compression }> {
  const it = (input as AsyncIterable<Buffer>)[Symbol.asyncIterator]();
  let first = Buffer.alloc(0);
  // Gather at least 6 bytes to sniff, unless the stream ends first.
  while (first.length < 6) {
    const r = await it.next();
    if (r.done) break;
    first = Buffer.concat([first, r.value]);
  }
  const compression = detectCompression(first);
  const raw = Readable.from(prepend(first, it), { objectMode: false });
  switch (compression) {
    case "none":
      return { stream: raw, compression };
    case "gzip": {
      // 256 KiB chunks (zlib's default is 16 KiB) halve the per-chunk cost of hashing,
      // tar parsing and file writes behind it.
      const gunzip = createGunzip({ chunkSize: 256 * 1024 });
      raw.on("error", (e) => gunzip.destroy(e));
      return { stream: raw.pipe(gunzip), compression };
    }
    case "zstd": {
      const unzstd = createZstdDecompress();
      raw.on("error", (e) => unzstd.destroy(e));
      return { stream: raw.pipe(unzstd), compression };
    }
    default:
      throw invalidArgument(`decompress layer: unsupported compression "${compression}"`);
  }
}
