/**
 * The daemon's attach to a container's shim (frame `A`, native/shim/README.md), for the
 * container's output on its hot path. Unlike the general client (runtime/shim/client.ts)
 * it copies nothing: output frame payloads are handed on as slices of the socket's reads,
 * a payload split across reads as several pieces. With 100 MB of output the copies (and
 * the fresh big buffers each needs) were most of the daemon's CPU time.
 */
import { createConnection, type Socket } from "node:net";
import { join } from "node:path";
import { parseExitStatus, type ExitStatus } from "../../runtime/shim/exit-file.js";
import { encodeFrame, FRAME, FRAME_MAX, HEADER_SIZE } from "../../runtime/shim/protocol.js";
import { BerthError } from "../../shared/errors.js";

/** What an attach delivers. */
export interface ShimAttachHandlers {
  /** A piece of output (1 stdout, 2 stderr), in order; the buffer is not copied. */
  data(stream: 1 | 2, piece: Buffer): void;
  /** The connection ended (after the exit frame, or lost). */
  end(): void;
}

/** A live attach. */
export interface ShimAttach {
  /** Resolves once the shim registered the attach (output from then on is delivered). */
  readonly ready: Promise<void>;
  /** The exit status when the container exited while attached; undefined when the connection ended first. */
  readonly exit: Promise<ExitStatus | undefined>;
  writeStdin(data: Uint8Array): void;
  closeStdin(): void;
  close(): void;
}

/**
 * Incremental parser of shim frames that hands output payloads on as slices: `onOutput`
 * may be called several times per frame. Other frames (small: replies, exit) are
 * collected whole for `onFrame`.
 */
export class ShimFrameParser {
  private head = Buffer.alloc(HEADER_SIZE);
  private headLen = 0;
  private type = 0;
  private remaining = 0;
  private collected: Buffer[] = [];

  constructor(
    private readonly onOutput: (stream: 1 | 2, piece: Buffer) => void,
    private readonly onFrame: (type: number, payload: Buffer) => void,
  ) {}

  /** Feed bytes from the socket. Throws RangeError on an oversized frame. */
  push(chunk: Buffer): void {
    let off = 0;
    while (off < chunk.length) {
      if (this.headLen < HEADER_SIZE) {
        const take = Math.min(HEADER_SIZE - this.headLen, chunk.length - off);
        chunk.copy(this.head, this.headLen, off, off + take);
        this.headLen += take;
        off += take;
        if (this.headLen < HEADER_SIZE) return;
        this.type = this.head.readUInt8(0);
        this.remaining = this.head.readUInt32LE(1);
        if (this.remaining > FRAME_MAX * 2) throw new RangeError(`read shim frame: length ${this.remaining} is over the limit`);
        this.collected = [];
        if (this.remaining === 0) this.complete();
        continue;
      }
      const take = Math.min(this.remaining, chunk.length - off);
      const piece = chunk.subarray(off, off + take);
      off += take;
      this.remaining -= take;
      if (this.type === FRAME.stdout || this.type === FRAME.stderr) this.onOutput(this.type, piece);
      else this.collected.push(piece);
      if (this.remaining === 0) this.complete();
    }
  }

  private complete(): void {
    this.headLen = 0;
    if (this.type !== FRAME.stdout && this.type !== FRAME.stderr) {
      const payload = this.collected.length === 1 ? this.collected[0] as Buffer : Buffer.concat(this.collected);
      this.collected = [];
      this.onFrame(this.type, payload);
    }
  }
}

/** Attach to the shim in `stateDir`; `stdin`: this client sends the container's stdin. */
export function attachShim(stateDir: string, opts: { stdin: boolean }, h: ShimAttachHandlers): ShimAttach {
  const socketPath = join(stateDir, "shim.sock");
  let resolveReady!: () => void;
  let rejectReady!: (e: unknown) => void;
  const ready = new Promise<void>((res, rej) => { resolveReady = res; rejectReady = rej; });
  ready.catch(() => {});
  let resolveExit!: (v: ExitStatus | undefined) => void;
  const exit = new Promise<ExitStatus | undefined>((res) => { resolveExit = res; });
  let ended = false;
  const sock: Socket = createConnection(socketPath);
  const parser = new ShimFrameParser(
    (stream, piece) => h.data(stream, piece),
    (type, payload) => {
      if (type === FRAME.reply) {
        const json = JSON.parse(payload.toString("utf8")) as { error?: unknown; errno?: unknown };
        if (typeof json.error === "string") rejectReady(new BerthError("unavailable", `attach to container: ${json.error}`));
        else resolveReady();
      } else if (type === FRAME.exit) {
        resolveExit(parseExitStatus(payload.toString("utf8")));
      }
    },
  );
  // Written at once (queued until connected): stdin frames sent meanwhile must follow it.
  sock.write(encodeFrame(FRAME.attach, Uint8Array.of(opts.stdin ? 1 : 0)));
  sock.on("data", (chunk: Buffer) => {
    try {
      parser.push(chunk);
    } catch (err) {
      sock.destroy(err as Error);
    }
  });
  sock.on("error", (err: NodeJS.ErrnoException) => {
    rejectReady(new BerthError("unavailable", `attach to container: connect shim \`${socketPath}\`: ${err.code ?? err.message}`, { cause: err }));
  });
  sock.on("close", () => {
    rejectReady(new BerthError("unavailable", "attach to container: the shim closed the connection"));
    resolveExit(undefined);
    if (!ended) {
      ended = true;
      h.end();
    }
  });
  return {
    ready, exit,
    writeStdin(data) {
      for (let off = 0; off < data.length; off += FRAME_MAX) sock.write(encodeFrame(FRAME.stdin, data.subarray(off, off + FRAME_MAX)));
    },
    closeStdin() {
      sock.write(encodeFrame(FRAME.stdinClose));
    },
    close() {
      sock.destroy();
    },
  };
}
