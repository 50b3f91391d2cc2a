/**
 * What every command needs (docker/cli's `command.Cli`): the API client, the standard
 * streams, terminal checks and a clock. Tests pass a fake with buffer streams.
 */
import type { Readable, Writable } from "node:stream";
import type { EngineApi } from "../client/engine-api.js";

/** The CLI's environment. */
export interface Cli {
  /** The Engine API client (created on first use from -H / BERTH_HOST). */
  client(): EngineApi;
  out: Writable;
  err: Writable;
  in: Readable;
  /** Whether stdin / stdout is a terminal. */
  isTerminal(stream: "in" | "out"): boolean;
  /** Milliseconds since the epoch (for "2 hours ago"). */
  now(): number;
}

/** Write text to the CLI's stdout. */
export function print(cli: Cli, text: string): void {
  cli.out.write(text);
}
