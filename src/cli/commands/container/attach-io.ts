/**
 * The client side of an attached stream: demultiplex frames to stdout/stderr (or copy
 * raw TTY bytes), copy stdin up, put the local terminal in raw mode and follow its size.
 */
import type { Readable } from "node:stream";
import { spawnSync } from "node:child_process";
import type { Cli } from "../../cli.js";
import type { HijackedConnection } from "../../../client/container-client.js";

/** Options for `pumpAttached`. */
export interface PumpOptions {
  tty: boolean;
  /** Send local stdin up (and half-close when it ends). */
  stdin: boolean;
  /** Called with the terminal size now and on SIGWINCH (TTY on a local terminal). */
  resize?: (height: number, width: number) => Promise<void>;
}

/** Docker's 8-byte frame header reader, inline (the CLI may not import the daemon). */
function demux(cli: Cli): (c: Buffer) => void {
  let buf: Buffer = Buffer.alloc(0);
  return (c) => {
    buf = buf.length === 0 ? c : Buffer.concat([buf, c]);
    while (buf.length >= 8) {
      const size = buf.readUInt32BE(4);
      if (buf.length < 8 + size) break;
      const payload = buf.subarray(8, 8 + size);
      if (buf[0] === 2) cli.err.write(payload);
      else cli.out.write(payload);
      buf = buf.subarray(8 + size);
    }
  };
}

/** Copy the stream until the daemon closes it. */
export async function pumpAttached(cli: Cli, conn: HijackedConnection, o: PumpOptions): Promise<void> {
  const { socket } = conn;
  const write = o.tty ? (c: Buffer) => { cli.out.write(c); } : demux(cli);
  if (conn.head.length > 0) write(conn.head);
  const input = cli.in as Readable & { isTTY?: boolean; setRawMode?: (b: boolean) => void };
  const raw = o.tty && o.stdin && input.isTTY === true && typeof input.setRawMode === "function";
  if (raw) {
    input.setRawMode?.(true);
    // libuv's raw mode keeps output post-processing (ONLCR), so the container's "\r\n" would
    // reach the screen as "\r\r\n"; docker's MakeRaw clears OPOST. setRawMode(false) puts
    // back the termios saved before, OPOST included.
    spawnSync("stty", ["-opost"], { stdio: ["inherit", "ignore", "ignore"] });
  }
  const onWinch = () => {
    const out = process.stdout;
    if (o.resize !== undefined && out.isTTY) void o.resize(out.rows, out.columns).catch(() => undefined);
  };
  if (o.tty && o.resize !== undefined && process.stdout.isTTY) {
    onWinch();
    process.on("SIGWINCH", onWinch);
  }
  const onInput = (c: Buffer) => socket.write(c);
  const onInputEnd = () => socket.end();
  if (o.stdin) {
    input.on("data", onInput);
    input.once("end", onInputEnd);
    input.resume();
  }
  try {
    await new Promise<void>((resolve) => {
      socket.on("data", write);
      socket.once("end", () => resolve());
      socket.once("close", () => resolve());
      socket.once("error", () => resolve());
      socket.resume();
    });
  } finally {
    if (raw) input.setRawMode?.(false);
    process.off("SIGWINCH", onWinch);
    if (o.stdin) {
      input.off("data", onInput);
      input.off("end", onInputEnd);
      input.pause();
    }
    socket.destroy();
  }
}
