/**
 * berth-runtime's log: `--log <file>` (default stderr) in `--log-format text|json`, the
 * JSON form being runc's (`{"level":…,"msg":…,"time":…}` per line), which podman and
 * containerd read back to show the error.
 */
import { appendFileSync } from "node:fs";

export type LogFormat = "text" | "json";

/** A line-oriented logger for one berth-runtime invocation. */
export class CliLog {
  constructor(
    readonly file: string | undefined,
    readonly format: LogFormat,
    readonly debugEnabled: boolean,
  ) {}

  #write(level: string, msg: string): void {
    const time = new Date().toISOString();
    const line = this.format === "json"
      ? `${JSON.stringify({ level, msg, time })}\n`
      : `time="${time}" level=${level} msg=${JSON.stringify(msg)}\n`;
    try {
      if (this.file !== undefined) appendFileSync(this.file, line);
      else process.stderr.write(line);
    } catch {
      // Logging must never turn a result into a failure.
    }
  }

  debug(msg: string): void {
    if (this.debugEnabled) this.#write("debug", msg);
  }

  warn(msg: string): void {
    this.#write("warning", msg);
  }

  /** An error: always one line on stderr, and a log line when logging to a file. */
  error(msg: string): void {
    process.stderr.write(`berth-runtime: ${msg}\n`);
    if (this.file !== undefined) this.#write("error", msg);
  }
}
