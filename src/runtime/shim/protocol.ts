/**
 * The shim's socket protocol (native/shim/README.md): frames of `type u8 | length u32le |
 * payload` in both directions on `<state-dir>/shim.sock`.
 */

/** Frame types; mirror of the enum in native/shim/loop.c. */
export const FRAME = {
  /** attach: payload u8 flags (bit 0: this client sends stdin). */
  attach: 0x41, // 'A'
  /** stdin data (attached clients that asked for stdin). */
  stdin: 0x49, // 'I'
  /** close the container's stdin (no reply). */
  stdinClose: 0x43, // 'C'
  /** resize: rows u16le, cols u16le. */
  resize: 0x52, // 'R'
  /** kill: signal u32le. */
  kill: 0x4b, // 'K'
  /** wait: the reply comes when the container has exited. */
  wait: 0x57, // 'W'
  /** state: pid, created/running/exited. */
  state: 0x53, // 'S'
  /** shutdown: the shim exits (only once the container has exited). */
  shutdown: 0x51, // 'Q'
  /** shim → client: the JSON reply to a request. */
  reply: 0x72, // 'r'
  /** shim → attached client: stdout bytes (Docker's stream id 1). */
  stdout: 1,
  /** shim → attached client: stderr bytes (Docker's stream id 2). */
  stderr: 2,
  /** shim → attached client: the container exited (exit JSON); the shim then closes. */
  exit: 0x78, // 'x'
} as const;

/** Header bytes of a frame. */
export const HEADER_SIZE = 5;

/** The largest frame payload the shim accepts. */
export const FRAME_MAX = 1 << 20;

/** One frame: its type and payload. */
export interface Frame {
  readonly type: number;
  readonly payload: Buffer;
}

/** Encode one frame. */
export function encodeFrame(type: number, payload: Uint8Array = new Uint8Array()): Buffer {
  const head = Buffer.alloc(HEADER_SIZE);
  head.writeUInt8(type, 0);
  head.writeUInt32LE(payload.length, 1);
  return Buffer.concat([head, payload]);
}

/** Incremental frame decoder: push bytes, get whole frames. */
export class FrameDecoder {
  #buf: Buffer = Buffer.alloc(0);

  /** Append bytes; returns the frames now complete. */
  push(chunk: Buffer): Frame[] {
    this.#buf = this.#buf.length === 0 ? chunk : Buffer.concat([this.#buf, chunk]);
    const out: Frame[] = [];
    while (this.#buf.length >= HEADER_SIZE) {
      const len = this.#buf.readUInt32LE(1);
      if (len > FRAME_MAX * 2) throw new RangeError(`read shim frame: length ${len} is over the limit`);
      if (this.#buf.length < HEADER_SIZE + len) break;
      out.push({ type: this.#buf.readUInt8(0), payload: this.#buf.subarray(HEADER_SIZE, HEADER_SIZE + len) });
      this.#buf = this.#buf.subarray(HEADER_SIZE + len);
    }
    return out;
  }
}
