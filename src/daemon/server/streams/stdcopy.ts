/**
 * Docker's multiplexed stream format (moby pkg/stdcopy): each frame is an 8-byte header
 * — stream type (0 stdin, 1 stdout, 2 stderr, 3 systemerr), three zero bytes, the payload
 * size as a big-endian u32 — followed by the payload.
 */

/** Stream type bytes. */
export const STREAM = { stdin: 0, stdout: 1, stderr: 2, systemerr: 3 } as const;

/** The 8-byte header of a frame of `length` bytes on `stream` (for writing header and payload apart). */
export function frameHeader(stream: keyof typeof STREAM, length: number): Buffer {
  const head = Buffer.alloc(8);
  head[0] = STREAM[stream];
  head.writeUInt32BE(length, 4);
  return head;
}

/** One frame for `payload` on `stream`. */
export function frame(stream: keyof typeof STREAM, payload: Buffer): Buffer {
  return Buffer.concat([frameHeader(stream, payload.length), payload]);
}

/** Incremental demultiplexer (the client side, and for tests). */
export class FrameDecoder {
  private buf: Buffer = Buffer.alloc(0);

  /** Feed bytes; returns the complete frames. Throws RangeError on a bad stream type. */
  push(chunk: Buffer): Array<{ stream: number; payload: Buffer }> {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    const out: Array<{ stream: number; payload: Buffer }> = [];
    while (this.buf.length >= 8) {
      const stream = this.buf[0] as number;
      if (stream > 3) throw new RangeError(`unrecognized stream type ${stream}`);
      const size = this.buf.readUInt32BE(4);
      if (this.buf.length < 8 + size) break;
      out.push({ stream, payload: this.buf.subarray(8, 8 + size) });
      this.buf = this.buf.subarray(8 + size);
    }
    return out;
  }

  /** Bytes held back waiting for the rest of a frame. */
  get pending(): number {
    return this.buf.length;
  }
}
