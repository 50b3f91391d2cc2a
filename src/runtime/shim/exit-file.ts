/** `exit.json` in a shim's state dir: the container's exit status, written atomically by the shim. */
import { readFileSync } from "node:fs";
import { join } from "node:path";

/** How the container exited (Docker's State.ExitCode: 128+signal when killed). */
export interface ExitStatus {
  readonly exitCode: number;
  /** The signal that killed it, 0 when it exited. */
  readonly signal: number;
  /** RFC 3339 with nanoseconds, UTC. */
  readonly exitedAt: string;
  readonly oomKilled: boolean;
}

/** Parse an exit status as the shim writes it; throws SyntaxError/TypeError on bad input. */
export function parseExitStatus(text: string): ExitStatus {
  const v = JSON.parse(text) as Record<string, unknown>;
  if (typeof v.exitCode !== "number" || typeof v.signal !== "number" || typeof v.exitedAt !== "string") {
    throw new TypeError(`parse exit status: unexpected shape ${JSON.stringify(text)}`);
  }
  return { exitCode: v.exitCode, signal: v.signal, exitedAt: v.exitedAt, oomKilled: v.oomKilled === true };
}

/** The exit status in `<stateDir>/exit.json`, or undefined while there is none. */
export function readExitFile(stateDir: string): ExitStatus | undefined {
  let text: string;
  try {
    text = readFileSync(join(stateDir, "exit.json"), "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw err;
  }
  return parseExitStatus(text);
}
