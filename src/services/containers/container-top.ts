/**
 * `docker top`: the host's `ps` with the caller's arguments (`ps_args`, default `-ef`),
 * limited to the container's processes, as moby's ContainerTop does: `ps <args> -q<pids>`
 * first, `ps <args>` alone when that fails (some options do not mix with `q`), the rows
 * whose PID column is one of the container's (and the thread rows `m` puts after them).
 */
import { execFile } from "node:child_process";
import type { ContainerTopResponse } from "../../api/containers.js";
import { BerthError, invalidArgument } from "../../shared/errors.js";

/** Runs `ps` with arguments; resolves stdout, rejects with the first line of stderr. */
export type RunPs = (args: readonly string[]) => Promise<string>;

/** The host's `ps`. */
export const hostPs: RunPs = (args) => new Promise((resolve, reject) => {
  execFile("ps", args, { maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
    if (err === null) {
      resolve(stdout);
      return;
    }
    const first = stderr.split("\n", 1)[0] ?? "";
    // Go's *exec.ExitError text when ps said nothing.
    reject(new Error(first !== "" ? first : typeof err.code === "number" ? `exit status ${err.code}` : err.message));
  });
});

/** moby's validatePSArgs: no `k=PID...` output renaming other than `pid=`. */
export function validatePsArgs(psArgs: string): void {
  for (const m of psArgs.matchAll(/\s+(\S*)=\s*(PID\S*)/g)) {
    if (m[1] !== "pid") throw invalidArgument(`specifying "${m[1] ?? ""}=${m[2] ?? ""}" is not allowed`);
  }
}

/** ASCII whitespace fields (Go's fieldsASCII). */
function fields(line: string): string[] {
  return line.split(/[ \t\n\v\f\r]+/).filter((f) => f !== "");
}

/** moby's parsePSOutput: keep rows of `pids`, and `-` (thread) rows following one. */
export function parsePsOutput(output: string, pids: ReadonlySet<number>): ContainerTopResponse {
  const lines = output.split("\n");
  const titles = fields(lines[0] ?? "");
  const pidIndex = titles.indexOf("PID");
  if (pidIndex === -1) throw new BerthError("internal", "Couldn't find PID field in ps output");
  const rows: string[][] = [];
  const add = (f: string[]) => rows.push([...f.slice(0, titles.length - 1), f.slice(titles.length - 1).join(" ")]);
  let inContainer = false;
  for (const line of lines.slice(1)) {
    if (line.length === 0) continue;
    const f = fields(line);
    const p = f[pidIndex] ?? "";
    if (p === "-") {
      if (inContainer) add(f);
      continue;
    }
    if (!/^\d+$/.test(p)) throw new BerthError("internal", `Unexpected pid '${p}': strconv.Atoi: parsing "${p}": invalid syntax`);
    inContainer = pids.has(Number(p));
    if (inContainer) add(f);
  }
  return { Titles: titles, Processes: rows };
}

/** The container's processes as `ps <psArgs>` shows them. */
export async function containerTop(pids: readonly number[], psArgs: string, runPs: RunPs = hostPs): Promise<ContainerTopResponse> {
  const argStr = psArgs === "" ? "-ef" : psArgs;
  validatePsArgs(argStr);
  const args = argStr.split(" ");
  let out: string;
  try {
    out = await runPs([...args, `-q${pids.join(",")}`]);
  } catch {
    try {
      out = await runPs(args);
    } catch (err) {
      // dockerd answers 500 (errdefs.System) with ps's first line of stderr.
      throw new BerthError("internal", `ps: ${(err as Error).message}`, { cause: err });
    }
  }
  return parsePsOutput(out, new Set(pids));
}
