/**
 * Docker's json-file log: one `{"log","stream","time"}` object per line, lines cut at
 * newlines (or 16 KiB). The writer appends; the reader replays with tail/since/until and
 * can follow the file as it grows.
 */
import { createReadStream, createWriteStream, type WriteStream } from "node:fs";
import { stat, open } from "node:fs/promises";

/** One log entry. */
export interface LogEntry {
  stream: "stdout" | "stderr";
  log: Buffer;
  /** RFC 3339 with nanoseconds. */
  time: string;
  /** Nanoseconds since the epoch. */
  nano: bigint;
}

const MAX_LINE = 16 * 1024;

let lastNano = 0n;
/** Now in nanoseconds, strictly increasing within this process. */
export function nowNano(): bigint {
  let n = BigInt(Date.now()) * 1_000_000n + (process.hrtime.bigint() % 1_000_000n);
  if (n <= lastNano) n = lastNano + 1n;
  lastNano = n;
  return n;
}

/** RFC 3339 with 9 fraction digits, as Go's RFC3339Nano (trailing zeros trimmed). */
export function rfc3339Nano(nano: bigint): string {
  const ms = Number(nano / 1_000_000n);
  const base = new Date(ms).toISOString().slice(0, 19);
  const frac = (nano % 1_000_000_000n).toString().padStart(9, "0").replace(/0+$/, "");
  return `${base}${frac === "" ? "" : `.${frac}`}Z`;
}

/** Parse an RFC 3339 time with up to 9 fraction digits into nanoseconds. */
export function parseRfc3339Nano(t: string): bigint {
  const m = /^(.*?T\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d)$/.exec(t);
  if (m === null) return BigInt(Date.parse(t)) * 1_000_000n;
  const secMs = Date.parse(`${m[1]}${m[3]}`);
  return BigInt(secMs) * 1_000_000n + BigInt((m[2] ?? "").padEnd(9, "0") || "0");
}

/** Appends container output to a json-file log, splitting lines as Docker does. */
export class JsonLogWriter {
  private readonly out: WriteStream;
  private readonly partial: Record<"stdout" | "stderr", Buffer[]> = { stdout: [], stderr: [] };
  private readonly partialLen: Record<"stdout" | "stderr", number> = { stdout: 0, stderr: 0 };

  constructor(path: string) {
    this.out = createWriteStream(path, { flags: "a", mode: 0o640 });
    this.out.on("error", () => undefined);
  }

  private emit(stream: "stdout" | "stderr", log: Buffer): void {
    const time = rfc3339Nano(nowNano());
    this.out.write(`${JSON.stringify({ log: log.toString("utf8"), stream, time })}\n`);
  }

  /** Add a chunk of output; complete lines are written now, a partial line waits. */
  write(stream: "stdout" | "stderr", chunk: Buffer): void {
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(10, start);
      if (nl === -1) break;
      const piece = chunk.subarray(start, nl + 1);
      if (this.partialLen[stream] > 0) {
        this.emit(stream, Buffer.concat([...this.partial[stream], piece]));
        this.partial[stream] = [];
        this.partialLen[stream] = 0;
      } else {
        this.emit(stream, piece);
      }
      start = nl + 1;
    }
    if (start < chunk.length) {
      const rest = chunk.subarray(start);
      this.partial[stream].push(Buffer.from(rest));
      this.partialLen[stream] += rest.length;
      if (this.partialLen[stream] >= MAX_LINE) this.flush(stream);
    }
  }

  /** Write out a pending partial line. */
  flush(stream: "stdout" | "stderr"): void {
    if (this.partialLen[stream] === 0) return;
    this.emit(stream, Buffer.concat(this.partial[stream]));
    this.partial[stream] = [];
    this.partialLen[stream] = 0;
  }

  /** Flush both streams and close the file. */
  close(): Promise<void> {
    this.flush("stdout");
    this.flush("stderr");
    return new Promise((resolve) => this.out.end(() => resolve()));
  }
}

/** Options for `readLog`. */
export interface ReadLogOptions {
  /** Only the last n entries (negative or undefined: all). */
  tail?: number;
  since?: bigint;
  until?: bigint;
  stdout: boolean;
  stderr: boolean;
}

function parseLine(line: string): LogEntry | undefined {
  try {
    const j = JSON.parse(line) as { log: string; stream: "stdout" | "stderr"; time: string };
    return { stream: j.stream, log: Buffer.from(j.log, "utf8"), time: j.time, nano: parseRfc3339Nano(j.time) };
  } catch {
    return undefined;
  }
}

function keep(e: LogEntry, o: ReadLogOptions): boolean {
  if (e.stream === "stdout" && !o.stdout) return false;
  if (e.stream === "stderr" && !o.stderr) return false;
  if (o.since !== undefined && e.nano < o.since) return false;
  if (o.until !== undefined && e.nano > o.until) return false;
  return true;
}

/** Where a replay stopped: the byte offset in the log file with this inode. */
export interface LogPosition {
  offset: number;
  ino: number;
}

/** The rotated files of a log (`path.N` … `path.1`), oldest first, as the shim rotates them. */
export async function rotatedFiles(path: string): Promise<string[]> {
  const out: string[] = [];
  for (let i = 1; ; i++) {
    try {
      await stat(`${path}.${i}`);
    } catch {
      break;
    }
    out.unshift(`${path}.${i}`);
  }
  return out;
}

async function readFileEntries(path: string, o: ReadLogOptions, entries: LogEntry[]): Promise<number> {
  let size: number;
  try {
    size = (await stat(path)).size;
  } catch {
    return 0;
  }
  let rest = "";
  let offset = 0;
  if (size > 0) {
    for await (const chunk of createReadStream(path, { start: 0, end: size - 1 })) {
      const text = rest + (chunk as Buffer).toString("utf8");
      const lines = text.split("\n");
      rest = lines.pop() ?? "";
      for (const l of lines) {
        offset += Buffer.byteLength(l) + 1;
        const e = parseLine(l);
        if (e !== undefined && keep(e, o)) entries.push(e);
      }
    }
  }
  return offset;
}

/**
 * Read the log at `path` from the start, its rotated files first; returns the entries and
 * the byte offset in `path` where reading stopped (for following).
 */
export async function readLog(path: string, o: ReadLogOptions): Promise<{ entries: LogEntry[]; offset: number }> {
  const entries: LogEntry[] = [];
  for (const f of await rotatedFiles(path)) await readFileEntries(f, o, entries);
  const offset = await readFileEntries(path, o, entries);
  const tail = o.tail;
  return { entries: tail !== undefined && tail >= 0 ? entries.slice(Math.max(0, entries.length - tail)) : entries, offset };
}

/**
 * Follow the log from `offset`: call `onEntry` for each new entry until `signal` aborts
 * or `done()` reports that the writer finished and everything was read.
 */
export async function followLog(path: string, start: number | LogPosition, o: ReadLogOptions, onEntry: (e: LogEntry) => Promise<void> | void,
  done: () => boolean, signal: AbortSignal): Promise<void> {
  let pos = typeof start === "number" ? start : start.offset;
  let rest = "";
  let fh = await open(path, "r").catch(() => undefined);
  if (fh === undefined) return;
  if (typeof start !== "number" && start.ino !== 0 && (await fh.stat()).ino !== start.ino) {
    // The file replayed up to `offset` was rotated away since: go on in it.
    let found = false;
    for (const f of await rotatedFiles(path)) {
      if ((await stat(f).catch(() => undefined))?.ino !== start.ino) continue;
      const h = await open(f, "r").catch(() => undefined);
      if (h === undefined) break;
      await fh.close();
      fh = h;
      found = true;
      break;
    }
    if (!found) pos = 0;
  }
  try {
    const buf = Buffer.alloc(256 * 1024);
    /** Hand on the `n` bytes just read; true when `until` was passed. */
    const consume = async (n: number): Promise<boolean> => {
      pos += n;
      const lines = (rest + buf.subarray(0, n).toString("utf8")).split("\n");
      rest = lines.pop() ?? "";
      for (const l of lines) {
        const e = parseLine(l);
        if (e !== undefined && keep(e, o)) await onEntry(e);
        if (o.until !== undefined && e !== undefined && e.nano > o.until) return true;
      }
      return false;
    };
    while (!signal.aborted) {
      const finished = done();
      const { bytesRead } = await fh.read(buf, 0, buf.length, pos);
      if (bytesRead > 0) {
        if (await consume(bytesRead)) return;
        continue;
      }
      // At the end of a file the shim has rotated away (renamed to .1): go on in the next
      // one, which is a newer rotated file when several rotations happened since the last read.
      const now = await stat(path).catch(() => undefined);
      const ino = (await fh.stat()).ino;
      if (now !== undefined && now.ino !== ino) {
        // The shim may have appended to this file after the read above came back empty and
        // before it renamed the file; after the rename it never writes here again, so one
        // more read to the end loses nothing.
        const late = (await fh.read(buf, 0, buf.length, pos)).bytesRead;
        if (late > 0) {
          if (await consume(late)) return;
          continue;
        }
        const rotated = await rotatedFiles(path);
        let mine = -1;
        for (let i = 0; i < rotated.length; i++) {
          if ((await stat(rotated[i] as string).catch(() => undefined))?.ino === ino) mine = i;
        }
        let nextPath: string | undefined;
        if (mine !== -1) nextPath = rotated[mine + 1] ?? path;
        // Not found by name: deleted past max-file (every file still there is newer), or
        // caught in the middle of a rotation's renames (look again; jumping to the current
        // file would skip the rotated ones between).
        else if ((await fh.stat()).nlink === 0) nextPath = rotated[0] ?? path;
        const next = nextPath === undefined ? undefined : await open(nextPath, "r").catch(() => undefined);
        if (next !== undefined) {
          await fh.close();
          fh = next;
          pos = 0;
          rest = "";
          continue;
        }
      }
      if (finished) return;
      await new Promise((r) => setTimeout(r, 50));
    }
  } finally {
    await fh.close();
  }
}
