/**
 * The daemon's logger: one JSON object per line on a file descriptor, in pino's format
 * (`level` as a number, `time` in ms, bindings, fields, `msg`; `Error` values as
 * `{type, message, stack}`), written synchronously. pino itself took ~100 ms of the
 * daemon's start on this machine (sonic-boom, thread-stream, its serializers) for features
 * berthd does not use.
 */
import { writeSync } from "node:fs";
import type { Logger } from "../shared/logger.js";

const LEVELS = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60 } as const;

/** A level name as `--log-level` takes it. */
export type LevelName = keyof typeof LEVELS;

/** A `Logger` that also reports whether a level is on. */
export interface JsonLogger extends Logger {
  fatal(obj: object | string, msg?: string): void;
  child(bindings: Record<string, unknown>): JsonLogger;
  isLevelEnabled(level: LevelName): boolean;
}

function serializeError(e: Error): Record<string, unknown> {
  const out: Record<string, unknown> = { type: e.constructor.name, message: e.message, stack: e.stack };
  for (const [k, v] of Object.entries(e)) if (!(k in out)) out[k] = v;
  if (e.cause !== undefined) out.cause = e.cause instanceof Error ? serializeError(e.cause) : e.cause;
  return out;
}

function replacer(_key: string, value: unknown): unknown {
  if (value instanceof Error) return serializeError(value);
  if (typeof value === "bigint") return value.toString();
  return value;
}

function writeAll(fd: number, line: string): void {
  let buf = Buffer.from(line);
  for (let tries = 0; buf.length > 0 && tries < 1000; tries++) {
    try {
      buf = buf.subarray(writeSync(fd, buf));
    } catch (err) {
      // A non-blocking pipe that is full: retry; anything else loses the line, not the daemon.
      if ((err as NodeJS.ErrnoException).code !== "EAGAIN") return;
    }
  }
}

/** A logger writing to `fd` (default stderr) from `level` up, with `base` on every line. */
export function jsonLogger(o: { level?: string; fd?: number; base?: Record<string, unknown> } = {}): JsonLogger {
  const name = (o.level ?? "info") as LevelName;
  const min = LEVELS[name] ?? LEVELS.info;
  const fd = o.fd ?? 2;
  const make = (bindings: string): JsonLogger => {
    const at = (level: LevelName) => (obj: object | string, msg?: string): void => {
      const n = LEVELS[level];
      if (n < min) return;
      let line = `{"level":${n},"time":${Date.now()}${bindings}`;
      if (typeof obj === "string") line += `,"msg":${JSON.stringify(obj)}}\n`;
      else {
        const fields = JSON.stringify(obj, replacer);
        if (fields.length > 2) line += `,${fields.slice(1, -1)}`;
        line += msg !== undefined ? `,"msg":${JSON.stringify(msg)}}\n` : "}\n";
      }
      writeAll(fd, line);
    };
    return {
      trace: at("trace"), debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error"), fatal: at("fatal"),
      child: (b) => {
        const s = JSON.stringify(b, replacer);
        return make(s.length > 2 ? `${bindings},${s.slice(1, -1)}` : bindings);
      },
      isLevelEnabled: (level) => LEVELS[level] >= min,
    };
  };
  const base = JSON.stringify(o.base ?? {}, replacer);
  return make(base.length > 2 ? `,${base.slice(1, -1)}` : "");
}
