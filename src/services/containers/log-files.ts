/**
 * Replay of a rotated json-file log: berth-shim renames `log` → `log.1` → … at max-size
 * (Docker's loggerutils order), so `logs` reads the rotated files oldest first, then the
 * current one. `tail` counts across files: each file is asked only for the entries still
 * missing, newest file first, before anything is sent.
 */
import { open, stat, type FileHandle } from "node:fs/promises";
import { setTimeout as sleep } from "node:timers/promises";
import { rotatedFiles, type LogPosition } from "./json-log.js";
import { replayLog, type ReplayOptions, type ReplaySink } from "./json-log-replay.js";

/**
 * Replay `path` and its rotated files into `sink`; resolves with where reading stopped in
 * the current file (offset and inode), for `followLog` to go on from there even when the
 * file is rotated in between.
 */
export async function replayLogFiles(path: string, o: ReplayOptions, sink: ReplaySink, signal?: AbortSignal): Promise<LogPosition> {
  if (path === "") return { offset: 0, ino: 0 }; // the `none` driver keeps no file
  // Every file is opened first and read through /proc/self/fd: a rotation during the replay
  // renames the files under us but cannot change what the open descriptors read.
  const handles = await openLogFiles(path);
  try {
    const current = handles.at(-1);
    if (current === undefined) return { offset: 0, ino: 0 };
    const ino = (await current.stat()).ino;
    const via = (h: FileHandle) => `/proc/self/fd/${h.fd}`;
    let tails: Array<number | undefined> = handles.map(() => undefined);
    if (o.tail !== undefined && o.tail >= 0) {
      let want = o.tail;
      tails = handles.map(() => 0);
      for (let i = handles.length - 1; i >= 0 && want > 0; i--) {
        let n = 0;
        await replayLog(via(handles[i] as FileHandle), { ...o, tail: want }, { entry: () => { n++; } }, signal);
        tails[i] = n;
        want -= n;
      }
    }
    for (let i = 0; i < handles.length - 1; i++) {
      const tail = tails[i];
      if (tail === 0) continue;
      await replayLog(via(handles[i] as FileHandle), { ...o, tail }, sink, signal);
    }
    const offset = await replayLog(via(current), { ...o, tail: tails[handles.length - 1] }, sink, signal);
    return { offset, ino };
  } finally {
    for (const h of handles) await h.close().catch(() => undefined);
  }
}

/**
 * Open the rotated files and the current one as one consistent set, oldest first. Opening
 * them one by one races with a rotation (`log.1` is briefly missing while the files are
 * renamed, names shift under the opens), which skipped or repeated whole files. The set is
 * checked after the opens: every name still the opened file, newest first, and then no file
 * beyond the oldest — the shim renames the oldest first, so a rotation that began before the
 * last check has made that file, and one that began after it changes nothing we hold.
 */
export async function openLogFiles(path: string): Promise<FileHandle[]> {
  for (let attempt = 0; ; attempt++) {
    const names = [...await rotatedFiles(path), path];
    const handles: FileHandle[] = [];
    let consistent = true;
    for (const f of names) {
      const h = await open(f, "r").catch(() => undefined);
      if (h === undefined) {
        consistent = false;
        break;
      }
      handles.push(h);
    }
    if (consistent) {
      for (let i = names.length - 1; i >= 0 && consistent; i--) {
        const now = await stat(names[i] as string).catch(() => undefined);
        consistent = now !== undefined && now.ino === (await (handles[i] as FileHandle).stat()).ino;
      }
      if (consistent) consistent = (await stat(`${path}.${names.length}`).catch(() => undefined)) === undefined;
    }
    // Give up on consistency only if rotations never pause (then what is held is still read).
    if (consistent || attempt >= 100) return handles;
    for (const h of handles) await h.close().catch(() => undefined);
    await sleep(attempt < 10 ? 0 : 2);
  }
}
