/**
 * The local side of `berth cp`: pack a local file or tree into a tar whose top entry has a
 * chosen name, and extract a tar from the daemon into a local directory, renaming its top
 * entry (docker's RebaseArchiveEntries). Extraction refuses names that leave the target
 * directory and symlinks are never followed while writing.
 */
import { createReadStream, createWriteStream, type Stats } from "node:fs";
import { chmod, lchown, link, lstat, lutimes, mkdir, readdir, readlink, rm, symlink, utimes } from "node:fs/promises";
import { join } from "node:path";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import tar from "tar-stream";
import { BerthError } from "../../../shared/errors.js";

type Header = Partial<tar.Header> & { name: string };

/** A tar of the local `path` (not following a symlink at the top) with its top entry named `name` ("" : no prefix). */
export function packLocal(path: string, name: string): Readable {
  const pack = tar.pack();
  const inodes = new Map<string, string>();
  const entry = (h: Header, body?: Buffer) => new Promise<void>((resolve, reject) => {
    const cb = (err?: Error | null) => (err ? reject(err) : resolve());
    if (body !== undefined) pack.entry(h, body, cb);
    else pack.entry(h, cb);
  });
  const add = async (abs: string, n: string, st: Stats): Promise<void> => {
    const base = { mode: st.mode & 0o7777, uid: st.uid, gid: st.gid, mtime: st.mtime };
    if (st.isDirectory()) {
      if (n !== "") await entry({ ...base, name: `${n}/`, type: "directory" });
      for (const c of (await readdir(abs)).sort()) await add(join(abs, c), n === "" ? c : `${n}/${c}`, await lstat(join(abs, c)));
    } else if (st.isSymbolicLink()) {
      await entry({ ...base, name: n, type: "symlink", linkname: await readlink(abs) });
    } else if (st.isFile()) {
      const key = `${st.dev}:${st.ino}`;
      const first = st.nlink > 1 ? inodes.get(key) : undefined;
      if (first !== undefined) {
        await entry({ ...base, name: n, type: "link", linkname: first });
        return;
      }
      if (st.nlink > 1) inodes.set(key, n);
      await new Promise<void>((resolve, reject) => {
        const sink = pack.entry({ ...base, name: n, type: "file", size: st.size }, (err) => (err ? reject(err) : resolve()));
        createReadStream(abs).on("error", reject).pipe(sink as unknown as NodeJS.WritableStream);
      });
    } else if (st.isFIFO()) {
      await entry({ ...base, name: n, type: "fifo" });
    }
  };
  void (async () => {
    try {
      await add(path, name, await lstat(path));
      pack.finalize();
    } catch (err) {
      pack.destroy(err as Error);
    }
  })();
  return pack as unknown as Readable;
}

function parts(name: string): string[] {
  const p = name.split("/").filter((x) => x !== "" && x !== ".");
  if (name.startsWith("/") || p.includes("..")) throw new BerthError("invalid-argument", `copy: archive entry "${name}" leaves the destination`);
  return p;
}

/** Options of `extractLocal`. */
export interface ExtractLocalOptions {
  /** Rename the archive's top entry `from` to `to` ("" drops the prefix). */
  rebase?: { from: string; to: string };
  /** Keep the archive's owners (cp -a); else files belong to whoever runs the command. */
  keepOwners?: boolean;
}

async function lstatOrUndefined(p: string): Promise<Stats | undefined> {
  return lstat(p).catch(() => undefined);
}

/** Extract `input` into the existing local directory `dir`. */
export async function extractLocal(input: Readable, dir: string, o: ExtractLocalOptions = {}): Promise<void> {
  const extract = tar.extract();
  const dirTimes: Array<{ path: string; mtime: Date }> = [];
  const rename = (name: string): string[] => {
    let p = parts(name);
    const r = o.rebase;
    if (r !== undefined && r.from !== "") {
      const from = parts(r.from);
      if (from.every((x, i) => p[i] === x)) p = [...parts(r.to), ...p.slice(from.length)];
    }
    return p;
  };
  const consume = (async () => {
    for await (const e of extract) {
      const h = e.header;
      const p = rename(h.name);
      const drain = async () => { for await (const _ of e) { /* skip */ } };
      if (p.length === 0) {
        await drain();
        continue;
      }
      // Parents must be real directories of the destination, never symlinks.
      let cur = dir;
      for (const x of p.slice(0, -1)) {
        cur = join(cur, x);
        const st = await lstatOrUndefined(cur);
        if (st === undefined) await mkdir(cur, { mode: 0o755 });
        else if (!st.isDirectory()) throw new BerthError("invalid-argument", `copy: "${h.name}" would be written through "${x}", which is not a directory`);
      }
      const path = join(dir, ...p);
      const existing = await lstatOrUndefined(path);
      if (existing !== undefined && !(existing.isDirectory() && h.type === "directory")) await rm(path, { recursive: true, force: true });
      const mode = (h.mode ?? 0o644) & 0o7777;
      const mtime = h.mtime ?? new Date();
      switch (h.type) {
        case "directory":
          if (existing === undefined || !existing.isDirectory()) await mkdir(path, { mode });
          await chmod(path, mode);
          dirTimes.push({ path, mtime });
          await drain();
          break;
        case "symlink":
          await symlink(h.linkname ?? "", path);
          await lutimes(path, mtime, mtime);
          await drain();
          break;
        case "link": {
          const target = join(dir, ...rename(h.linkname ?? ""));
          await link(target, path);
          await drain();
          break;
        }
        case "file":
        case "contiguous-file":
        case null:
        case undefined:
          await pipeline(e, createWriteStream(path, { flags: "wx", mode: 0o600 }));
          await chmod(path, mode);
          await utimes(path, mtime, mtime);
          break;
        default:
          // Devices and fifos need privileges a copy should not assume; docker's client skips none, but warns.
          await drain();
          continue;
      }
      if (o.keepOwners === true) await lchown(path, h.uid ?? 0, h.gid ?? 0);
    }
  })();
  await Promise.all([
    consume.catch((err: unknown) => {
      extract.destroy(err as Error);
      throw err;
    }),
    pipeline(input, extract),
  ]);
  for (const d of dirTimes.reverse()) await utimes(d.path, d.mtime, d.mtime);
}
