/**
 * Runs OCI hooks on the host side (prestart, createRuntime, poststart, poststop): the
 * hook's `args[0]` is argv[0], `env` is its whole environment, the container state JSON
 * is written to its stdin, and `timeout` seconds kill it. createContainer and
 * startContainer hooks run inside the container (the `run-hook` plan op), not here.
 */
import { spawn } from "node:child_process";
import { failedPrecondition } from "../shared/errors.js";
import type { Hook, HookKind, State } from "./spec/types.js";

function envObject(env: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of env) {
    const i = e.indexOf("=");
    if (i > 0) out[e.slice(0, i)] = e.slice(i + 1);
  }
  return out;
}

/** Run one hook to completion; rejects (failed-precondition) on spawn failure, non-zero exit or timeout. */
export function runHook(kind: HookKind, hook: Hook, state: State): Promise<void> {
  return new Promise((resolve, reject) => {
    const args = hook.args ?? [hook.path];
    const child = spawn(hook.path, args.slice(1), {
      argv0: args[0] ?? hook.path,
      env: envObject(hook.env ?? []),
      stdio: ["pipe", "ignore", "pipe"],
    });
    let stderr = "";
    let timedOut = false;
    const timer = hook.timeout !== undefined ? setTimeout(() => {
      timedOut = true;
      child.kill("SIGKILL");
    }, hook.timeout * 1000) : undefined;
    child.stderr.setEncoding("utf8").on("data", (d: string) => {
      if (stderr.length < 4096) stderr += d;
    });
    // A hook that does not read its stdin must not fail us with EPIPE.
    child.stdin.on("error", () => {});
    child.stdin.end(JSON.stringify(state));
    child.on("error", (err) => {
      if (timer) clearTimeout(timer);
      reject(failedPrecondition(`run ${kind} hook "${hook.path}": ${err.message}`, err));
    });
    child.on("close", (code, signal) => {
      if (timer) clearTimeout(timer);
      if (timedOut) reject(failedPrecondition(`run ${kind} hook "${hook.path}": timed out after ${hook.timeout}s`));
      else if (code !== 0) {
        const why = signal !== null ? `killed by ${signal}` : `exit status ${code}`;
        const detail = stderr.trim().split("\n").at(-1) ?? "";
        reject(failedPrecondition(`run ${kind} hook "${hook.path}": ${why}${detail !== "" ? `: ${detail}` : ""}`));
      } else resolve();
    });
  });
}

/** Run the hooks of one kind in order, stopping at the first failure. */
export async function runHooks(kind: HookKind, hooks: readonly Hook[] | undefined, state: State): Promise<void> {
  for (const h of hooks ?? []) await runHook(kind, h, state);
}
