/**
 * Many small stream entries (a log replay is a million 100-byte lines) written as a few
 * large writes: each entry is framed (or not, for a TTY) straight into a batch buffer,
 * which goes out when full, on `flush()`, or at the next turn of the event loop.
 * Consecutive entries of one stream share a frame: the bytes a client demultiplexes are
 * the same, and it makes one write per frame (the docker CLI would make a million).
 * `flush()` resolves once the socket has drained, so the producer follows the client.
 */
import type { Writable } from "node:stream";
import { STREAM } from "./stdcopy.js";

const BATCH = 256 * 1024;

/** Batches framed output into large writes on `out`. */
export class FrameBatcher {
  private buf = Buffer.allocUnsafe(BATCH);
  private len = 0;
  /** Offset in `buf` of the open frame's header, and its stream; -1 when none. */
  private frameAt = -1;
  private frameStream: keyof typeof STREAM | undefined;
  private scheduled = false;
  private ended = false;

  /** @param raw TTY output: payloads without the 8-byte header */
  constructor(private readonly out: Writable, private readonly raw: boolean) {}

  /** Add one entry; `prefix` (a timestamp and a space) goes before the payload. */
  add(stream: keyof typeof STREAM, payload: Buffer, prefix?: string): void {
    if (this.ended) return;
    const plen = prefix !== undefined ? Buffer.byteLength(prefix) : 0;
    const join = !this.raw && this.frameAt >= 0 && this.frameStream === stream;
    const head = this.raw || join ? 0 : 8;
    const size = head + plen + payload.length;
    if (this.len + size > this.buf.length) return this.addFresh(stream, payload, prefix, plen);
    const b = this.buf;
    let o = this.len;
    if (join) {
      b.writeUInt32BE(b.readUInt32BE(this.frameAt + 4) + plen + payload.length, this.frameAt + 4);
    } else if (!this.raw) {
      this.frameAt = o;
      this.frameStream = stream;
      b[o] = STREAM[stream];
      b[o + 1] = 0;
      b[o + 2] = 0;
      b[o + 3] = 0;
      b.writeUInt32BE(plen + payload.length, o + 4);
      o += 8;
    }
    if (prefix !== undefined) o += b.write(prefix, o);
    o += payload.copy(b, o);
    this.len = o;
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => {
        this.scheduled = false;
        this.writeOut();
      });
    }
  }

  /** The batch is full: send it and start the entry in a new one (large enough). */
  private addFresh(stream: keyof typeof STREAM, payload: Buffer, prefix: string | undefined, plen: number): void {
    this.writeOut();
    const size = (this.raw ? 0 : 8) + plen + payload.length;
    if (size > this.buf.length) this.buf = Buffer.allocUnsafe(size);
    this.add(stream, payload, prefix);
  }

  /** Write what is batched; false when the socket asks to wait for `drain`. */
  private writeOut(): boolean {
    if (this.len === 0 || this.ended) return true;
    const chunk = this.buf.subarray(0, this.len);
    // The written chunk stays referenced until sent: the next entries go to a new buffer.
    this.buf = Buffer.allocUnsafe(BATCH);
    this.len = 0;
    this.frameAt = -1;
    this.frameStream = undefined;
    return this.out.write(chunk);
  }

  /** Write what is batched and resolve when the consumer can take more. */
  flush(): Promise<void> {
    if (this.writeOut() || this.out.destroyed || this.out.writableEnded) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        this.out.off("drain", done);
        this.out.off("close", done);
        resolve();
      };
      this.out.on("drain", done);
      this.out.on("close", done);
    });
  }

  /** Write what is batched and end `out`. */
  end(): void {
    this.writeOut();
    this.ended = true;
    this.out.end();
  }
}
