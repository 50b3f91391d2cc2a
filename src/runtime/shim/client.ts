/**
 * The client side of a shim's socket (`<state-dir>/shim.sock`): attach, resize, kill, wait,
 * state, shutdown. Works the same from the process that started the shim and from a
 * daemon that restarted since (connectShim needs only the state dir).
 */
import { createConnection, type Socket } from "node:net";
import { constants as osConstants } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { BerthError, type ErrorKind } from "../../shared/errors.js";
import { parseExitStatus, type ExitStatus } from "./exit-file.js";
import { encodeFrame, FRAME, FrameDecoder, type Frame } from "./protocol.js";

/** What the shim says about its container. */
export interface ShimState {
  /** Host pid of the container process. */
  readonly pid: number;
  /** created: waiting for start (before execve); running; exited. */
  readonly status: "created" | "running" | "exited";
  /** Set once exited. */
  readonly exit?: ExitStatus;
}

/** A chunk of container output: stream 1 stdout, 2 stderr (Docker's stream ids). */
export interface ShimOutputChunk {
  readonly stream: 1 | 2;
  readonly data: Buffer;
}

/** Options of `attach()`. */
export interface ShimAttachOptions {
  /**
   * This client sends stdin (only honoured when the shim was started with openStdin).
   * @default false
   */
  readonly stdin?: boolean;
}

/** A live attach: output as it comes, stdin to the container. */
export interface ShimAttachStream {
  /** Resolves once the shim has registered the attach: output from then on is delivered. */
  readonly ready: Promise<void>;
  /** ShimOutputChunk objects in order; ends after the container exited (or on close). */
  readonly output: Readable;
  /** The exit status when the container exited while attached; undefined when the connection ended first. */
  readonly exit: Promise<ExitStatus | undefined>;
  /** Send bytes to the container's stdin. */
  writeStdin(data: Uint8Array | string): void;
  /** Close the container's stdin (not with a terminal: a pty cannot be half-closed). */
  closeStdin(): void;
  /** Detach; the container keeps running. */
  close(): void;
}

/** A connection factory to one shim. Each request uses its own connection. */
export interface ShimClient {
  /** The socket path. */
  readonly socketPath: string;
  attach(opts?: ShimAttachOptions): ShimAttachStream;
  /** TIOCSWINSZ on the pty master (failed-precondition without a terminal). */
  resize(rows: number, cols: number): Promise<void>;
  /** kill(2) on the container process (failed-precondition once it exited). */
  kill(signal: number | NodeJS.Signals): Promise<void>;
  /** Resolves when the container has exited. */
  wait(): Promise<ExitStatus>;
  state(): Promise<ShimState>;
  /** Ask the shim to exit (only once the container has exited). */
  shutdown(): Promise<void>;
  /** Close every connection this client opened; pending calls reject. */
  close(): void;
}

interface ReplyJson {
  error?: string;
  errno?: number;
  [k: string]: unknown;
}

function kindOfErrno(errno: number | undefined): ErrorKind {
  switch (errno) {
    case osConstants.errno.EINVAL: return "invalid-argument";
    case osConstants.errno.ESRCH:
    case osConstants.errno.ENOTTY:
    case osConstants.errno.EBUSY: return "failed-precondition";
    default: return "internal";
  }
}

function signalNumber(signal: number | NodeJS.Signals): number {
  if (typeof signal === "number") return signal;
  const n = osConstants.signals[signal];
  if (n === undefined) throw new BerthError("invalid-argument", `kill container: unknown signal "${signal}"`);
  return n;
}

/** Connect to the shim whose state dir is `stateDir` (no I/O until a call). */
export function connectShim(stateDir: string): ShimClient {
  const socketPath = join(stateDir, "shim.sock");
  const open = new Set<Socket>();

  const connect = (what: string): Promise<Socket> => new Promise((resolve, reject) => {
    const sock = createConnection(socketPath);
    open.add(sock);
    sock.once("close", () => open.delete(sock));
    const onError = (err: NodeJS.ErrnoException): void => {
      reject(new BerthError("unavailable", `${what}: connect shim \`${socketPath}\`: ${err.code ?? err.message}`, { cause: err }));
    };
    sock.once("error", onError);
    sock.once("connect", () => {
      sock.off("error", onError);
      resolve(sock);
    });
  });

  const request = async (what: string, type: number, payload?: Uint8Array): Promise<ReplyJson> => {
    const sock = await connect(what);
    return new Promise<ReplyJson>((resolve, reject) => {
      const dec = new FrameDecoder();
      let done = false;
      const finish = (err: Error | undefined, value?: ReplyJson): void => {
        if (done) return;
        done = true;
        sock.destroy();
        if (err !== undefined) reject(err);
        else resolve(value as ReplyJson);
      };
      sock.on("data", (chunk: Buffer) => {
        let frames: Frame[];
        try {
          frames = dec.push(chunk);
        } catch (err) {
          finish(err as Error);
          return;
        }
        for (const f of frames) {
          if (f.type !== FRAME.reply) continue;
          let json: ReplyJson;
          try {
            json = JSON.parse(f.payload.toString("utf8")) as ReplyJson;
          } catch (err) {
            finish(new BerthError("internal", `${what}: bad reply from the shim`, { cause: err }));
            return;
          }
          if (typeof json.error === "string") finish(new BerthError(kindOfErrno(json.errno), `${what}: ${json.error}`));
          else finish(undefined, json);
          return;
        }
      });
      sock.on("error", (err) => finish(new BerthError("unavailable", `${what}: shim connection: ${err.message}`, { cause: err })));
      sock.on("close", () => finish(new BerthError("unavailable", `${what}: the shim closed the connection`)));
      sock.write(encodeFrame(type, payload));
    });
  };

  const attach = (opts: ShimAttachOptions = {}): ShimAttachStream => {
    let sock: Socket | undefined;
    let closed = false;
    let resolveReady!: () => void;
    let rejectReady!: (e: unknown) => void;
    const ready = new Promise<void>((res, rej) => { resolveReady = res; rejectReady = rej; });
    ready.catch(() => {});
    let resolveExit!: (v: ExitStatus | undefined) => void;
    const exit = new Promise<ExitStatus | undefined>((res) => { resolveExit = res; });
    const output = new Readable({
      objectMode: true,
      highWaterMark: 1024,
      read() {
        // Nothing to pull: frames are pushed as they arrive.
      },
    });
    const pending: Buffer[] = [];
    const send = (b: Buffer): void => {
      if (sock !== undefined) sock.write(b);
      else pending.push(b);
    };
    connect("attach to container").then((s) => {
      sock = s;
      if (closed) {
        s.destroy();
        return;
      }
      const dec = new FrameDecoder();
      s.on("data", (chunk: Buffer) => {
        for (const f of dec.push(chunk)) {
          if (f.type === FRAME.reply) {
            const json = JSON.parse(f.payload.toString("utf8")) as ReplyJson;
            if (typeof json.error === "string") rejectReady(new BerthError(kindOfErrno(json.errno), `attach to container: ${json.error}`));
            else resolveReady();
          } else if (f.type === FRAME.stdout || f.type === FRAME.stderr) {
            // No pause on a full `output`: the shim disconnects a client that falls 4 MiB
            // behind, so reading on (and buffering here) is what keeps a burst attached.
            output.push({ stream: f.type, data: f.payload } satisfies ShimOutputChunk);
          } else if (f.type === FRAME.exit) {
            resolveExit(parseExitStatus(f.payload.toString("utf8")));
          }
        }
      });
      s.on("error", () => { /* the close below ends the stream */ });
      s.on("close", () => {
        rejectReady(new BerthError("unavailable", "attach to container: the shim closed the connection"));
        resolveExit(undefined);
        output.push(null);
      });
      s.write(encodeFrame(FRAME.attach, Buffer.from([opts.stdin === true ? 1 : 0])));
      for (const b of pending.splice(0)) s.write(b);
    }, (err: unknown) => {
      rejectReady(err);
      resolveExit(undefined);
      output.push(null);
    });
    return {
      ready,
      output,
      exit,
      writeStdin(data: Uint8Array | string): void {
        const bytes = typeof data === "string" ? Buffer.from(data) : Buffer.from(data);
        for (let off = 0; off < bytes.length; off += 65536) send(encodeFrame(FRAME.stdin, bytes.subarray(off, off + 65536)));
      },
      closeStdin(): void {
        send(encodeFrame(FRAME.stdinClose));
      },
      close(): void {
        closed = true;
        sock?.end();
      },
    };
  };

  return {
    socketPath,
    attach,
    async resize(rows: number, cols: number): Promise<void> {
      const p = Buffer.alloc(4);
      p.writeUInt16LE(rows, 0);
      p.writeUInt16LE(cols, 2);
      await request("resize container tty", FRAME.resize, p);
    },
    async kill(signal: number | NodeJS.Signals): Promise<void> {
      const p = Buffer.alloc(4);
      p.writeUInt32LE(signalNumber(signal), 0);
      await request("kill container", FRAME.kill, p);
    },
    async wait(): Promise<ExitStatus> {
      return parseExitStatus(JSON.stringify(await request("wait for container", FRAME.wait)));
    },
    async state(): Promise<ShimState> {
      const r = await request("get container state", FRAME.state);
      const status = r.status;
      if (typeof r.pid !== "number" || (status !== "created" && status !== "running" && status !== "exited")) {
        throw new BerthError("internal", `get container state: bad reply from the shim ${JSON.stringify(r)}`);
      }
      return {
        pid: r.pid, status,
        ...(r.exit !== undefined ? { exit: parseExitStatus(JSON.stringify(r.exit)) } : {}),
      };
    },
    async shutdown(): Promise<void> {
      await request("shut down shim", FRAME.shutdown);
    },
    close(): void {
      for (const s of open) s.destroy();
      open.clear();
    },
  };
}
