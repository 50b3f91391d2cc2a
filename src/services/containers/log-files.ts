/**
 * Replay of a rotated json-file log: berth-shim renames `log` → `log.1` → … at max-size
 * (Docker's loggerutils order), so `logs` reads the rotated files oldest first, then the
 * current one. `tail` counts across files: each file is asked only for the entries still
 * missing, newest file first, before anything is sent.
 */
import { rotatedFiles } from "./json-log.js";
import { replayLog, type ReplayOptions, type ReplaySink } from "./json-log-replay.js";

/**
 * Replay `path` and its rotated files into `sink`; resolves with the offset in `path`
 * where reading stopped (for following).
 */
export async function replayLogFiles(path: string, o: ReplayOptions, sink: ReplaySink, signal?: AbortSignal): Promise<number> {
  if (path === "") return 0; // the `none` driver keeps no file
  const rotated = await rotatedFiles(path);
  if (rotated.length === 0) return replayLog(path, o, sink, signal);
  const files = [...rotated, path];
  let tails: Array<number | undefined> = files.map(() => undefined);
  if (o.tail !== undefined && o.tail >= 0) {
    let want = o.tail;
    tails = files.map(() => 0);
    for (let i = files.length - 1; i >= 0 && want > 0; i--) {
      let n = 0;
      await replayLog(files[i] as string, { ...o, tail: want }, { entry: () => { n++; } }, signal);
      tails[i] = n;
      want -= n;
    }
  }
  for (let i = 0; i < rotated.length; i++) {
    const tail = tails[i];
    if (tail === 0) continue;
    await replayLog(files[i] as string, { ...o, tail }, sink, signal);
  }
  return replayLog(path, { ...o, tail: tails[files.length - 1] }, sink, signal);
}
