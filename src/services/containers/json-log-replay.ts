/**
 * Replay of a json-file log without holding it in memory: the file is read in chunks and
 * each line is cut apart by position rather than by `JSON.parse`, because a log is
 * mostly entries as berth-shim writes them (`{"log":"...","stream":"stdout","time":"..."}`)
 * and a 100 MB log is a million of them. A line in any other shape, or a value with
 * escapes other than its final `\n`, goes through `JSON.parse`. The consumer's `flush()`
 * is awaited after every chunk, so a slow client holds the reading, not the daemon's heap.
 */
import { open, type FileHandle } from "node:fs/promises";
import { parseRfc3339Nano } from "./json-log.js";

/** One replayed entry. `log` may be a view into the read buffer: copy it to keep it. */
export interface ReplayEntry {
  readonly stream: "stdout" | "stderr";
  readonly log: Buffer;
  /** The entry's RFC 3339 time (computed on first use). */
  readonly time: string;
}

/** What to replay. */
export interface ReplayOptions {
  stdout: boolean;
  stderr: boolean;
  /** Only the last n kept entries (negative or undefined: all). */
  tail?: number | undefined;
  /** Nanoseconds since the epoch, inclusive. */
  since?: bigint | undefined;
  until?: bigint | undefined;
}

/** Where replayed entries go. */
export interface ReplaySink {
  /** An entry; its `log` is only valid during the call. */
  entry(e: ReplayEntry): void;
  /** Resolves when the consumer wants more (called after every chunk of the file). */
  flush?(): Promise<void>;
}

const CHUNK = 1024 * 1024;
const PREFIX = Buffer.from('{"log":"');
const DELIM = Buffer.from('","stream":"');
const TIME_KEY = Buffer.from('","time":"');
const STDOUT = Buffer.from("stdout");
const STDERR = Buffer.from("stderr");
const BACKSLASH = 0x5c;
const NEWLINE = 0x0a;

class Entry implements ReplayEntry {
  #time: string | undefined;
  constructor(readonly stream: "stdout" | "stderr", readonly log: Buffer, private readonly buf: Buffer,
    private readonly ts: number, private readonly te: number) {}

  get time(): string {
    this.#time ??= this.buf.toString("latin1", this.ts, this.te);
    return this.#time;
  }
}

/** `buf[at, at + pat.length)` equals `pat` (a byte loop: Buffer.compare with offsets costs more per call). */
function eq(buf: Buffer, at: number, pat: Buffer): boolean {
  if (at + pat.length > buf.length) return false;
  for (let i = 0; i < pat.length; i++) if (buf[at + i] !== pat[i]) return false;
  return true;
}

function slowParse(line: Buffer): ReplayEntry | undefined {
  try {
    const j = JSON.parse(line.toString("utf8")) as { log?: unknown; stream?: unknown; time?: unknown };
    if (typeof j.log !== "string" || (j.stream !== "stdout" && j.stream !== "stderr") || typeof j.time !== "string") return undefined;
    return { stream: j.stream, log: Buffer.from(j.log, "utf8"), time: j.time };
  } catch {
    return undefined;
  }
}

/**
 * Parse the line `buf[start, end)` (without its newline). The buffer may be changed in
 * place (a trailing `\n` escape becomes the newline byte).
 */
export function parseLogLine(buf: Buffer, start: number, end: number): ReplayEntry | undefined {
  if (end - start < PREFIX.length + DELIM.length || !eq(buf, start, PREFIX)) {
    return slowParse(buf.subarray(start, end));
  }
  const vs = start + PREFIX.length;
  const d = buf.indexOf(DELIM, vs);
  if (d === -1 || d >= end) return slowParse(buf.subarray(start, end));
  const bs = buf.indexOf(BACKSLASH, vs);
  let log: Buffer;
  let newlineAt = -1;
  if (bs === -1 || bs >= d) {
    log = buf.subarray(vs, d);
  } else if (bs === d - 2 && buf[d - 1] === 0x6e) {
    // The `\n` escape becomes the newline byte only once the line is known to be fast-path:
    // slowParse must see the line unchanged (an `attrs` entry reaches it).
    newlineAt = bs;
    log = buf.subarray(vs, bs + 1);
  } else {
    return slowParse(buf.subarray(start, end));
  }
  const ss = d + DELIM.length;
  let stream: "stdout" | "stderr";
  if (eq(buf, ss, STDOUT)) stream = "stdout";
  else if (eq(buf, ss, STDERR)) stream = "stderr";
  else return slowParse(buf.subarray(start, end));
  const tk = ss + STDOUT.length;
  if (!eq(buf, tk, TIME_KEY) || end - 2 < tk + TIME_KEY.length
    || buf[end - 1] !== 0x7d || buf[end - 2] !== 0x22) {
    return slowParse(buf.subarray(start, end));
  }
  if (newlineAt !== -1) buf[newlineAt] = NEWLINE;
  return new Entry(stream, log, buf, tk + TIME_KEY.length, end - 2);
}

function keeper(o: ReplayOptions): (e: ReplayEntry) => boolean {
  const { since, until } = o;
  if (since === undefined && until === undefined) return (e) => (e.stream === "stdout" ? o.stdout : o.stderr);
  return (e) => {
    if (e.stream === "stdout" ? !o.stdout : !o.stderr) return false;
    const n = parseRfc3339Nano(e.time);
    return (since === undefined || n >= since) && (until === undefined || n <= until);
  };
}

/** The byte offset where the last `n` kept entries begin (reading backwards). */
async function tailStart(fh: FileHandle, size: number, n: number, keep: (e: ReplayEntry) => boolean): Promise<number> {
  if (n === 0) return size;
  let end = size;
  let carry = Buffer.alloc(0);
  let found = 0;
  while (end > 0) {
    const start = Math.max(0, end - CHUNK);
    const buf = Buffer.allocUnsafe(end - start + carry.length);
    await fh.read(buf, 0, end - start, start);
    carry.copy(buf, end - start);
    // Lines that start in this chunk; the part before the first newline may continue further back.
    let lineEnd = buf.length;
    for (let i = buf.length - 1; i >= 0; i--) {
      if (buf[i] !== NEWLINE) continue;
      if (i + 1 < lineEnd) {
        const e = parseLogLine(buf, i + 1, lineEnd);
        if (e !== undefined && keep(e) && ++found === n) return start + i + 1;
      }
      lineEnd = i;
    }
    carry = Buffer.from(buf.subarray(0, lineEnd));
    end = start;
  }
  return 0;
}

/**
 * Replay the log at `path` into `sink`; resolves with the byte offset where reading
 * stopped (the start of a line that was not complete yet), for following. A missing file
 * replays nothing.
 */
export async function replayLog(path: string, o: ReplayOptions, sink: ReplaySink, signal?: AbortSignal): Promise<number> {
  let fh: FileHandle;
  try {
    fh = await open(path, "r");
  } catch {
    return 0;
  }
  try {
    const size = (await fh.stat()).size;
    const keep = keeper(o);
    let pos = o.tail !== undefined && o.tail >= 0 ? await tailStart(fh, size, o.tail, keep) : 0;
    let carry: Buffer | undefined;
    while (pos < size && signal?.aborted !== true) {
      const want = Math.min(CHUNK, size - pos);
      const head = carry?.length ?? 0;
      const buf = Buffer.allocUnsafe(head + want);
      if (carry !== undefined) carry.copy(buf, 0);
      const { bytesRead } = await fh.read(buf, head, want, pos);
      if (bytesRead === 0) break;
      const len = head + bytesRead;
      let ls = 0;
      for (;;) {
        const nl = buf.indexOf(NEWLINE, ls);
        if (nl === -1 || nl >= len) break;
        if (nl > ls) {
          const e = parseLogLine(buf, ls, nl);
          if (e !== undefined && keep(e)) sink.entry(e);
        }
        ls = nl + 1;
      }
      pos += bytesRead;
      carry = ls < len ? Buffer.from(buf.subarray(ls, len)) : undefined;
      await sink.flush?.();
    }
    return pos - (carry?.length ?? 0);
  } finally {
    await fh.close();
  }
}
