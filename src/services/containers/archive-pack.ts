/**
 * The tar stream `GET /containers/{id}/archive` sends: one file, or a directory tree, with
 * its top entry renamed to the name the client asked for (moby's TarResourceRebaseOpts).
 * Symlinks inside the tree are archived as symlinks; owners, modes and times are kept.
 */
import { createReadStream, type Stats } from "node:fs";
import { lstat, readdir, readlink } from "node:fs/promises";
import { join } from "node:path";
import type { Readable } from "node:stream";
import tar from "tar-stream";

/** Go's os.FileMode bits (what docker clients decode from the stat header). */
export function goFileMode(st: Stats): number {
  let m = st.mode & 0o777;
  if (st.isDirectory()) m += 2 ** 31;
  else if (st.isSymbolicLink()) m += 2 ** 27;
  else if (st.isCharacterDevice()) m += 2 ** 26 + 2 ** 21;
  else if (st.isBlockDevice()) m += 2 ** 26;
  else if (st.isFIFO()) m += 2 ** 25;
  else if (st.isSocket()) m += 2 ** 24;
  if ((st.mode & 0o4000) !== 0) m += 2 ** 23;
  if ((st.mode & 0o2000) !== 0) m += 2 ** 22;
  if ((st.mode & 0o1000) !== 0) m += 2 ** 20;
  return m;
}

// glibc's dev_t encoding (gnu_dev_major / gnu_dev_minor).
function devMajor(rdev: number): number {
  const r = BigInt(rdev);
  return Number(((r >> 8n) & 0xfffn) | ((r >> 32n) & ~0xfffn));
}

function devMinor(rdev: number): number {
  const r = BigInt(rdev);
  return Number((r & 0xffn) | ((r >> 12n) & ~0xffn));
}

/**
 * A tar of `hostPath` (a file, symlink or directory) whose top entry is named `rebase`
 * ("" for the root: entries then have no prefix). Directories recurse (except those in
 * `skipContentOf`, archived empty); hard links within the tree become tar links.
 */
export function packPath(hostPath: string, rebase: string, skipContentOf: ReadonlySet<string> = new Set()): Readable {
  const pack = tar.pack();
  const inodes = new Map<string, string>();
  // When the reader goes away the pack is destroyed: the file being read must be closed
  // (its descriptor would keep the container's rootfs busy) and the walk must stop.
  let current: { src: NodeJS.ReadableStream & { destroy(): void }; reject: (e: Error) => void } | undefined;
  pack.on("close", () => {
    current?.src.destroy();
    current?.reject(new Error("archive closed by the reader"));
    current = undefined;
  });
  const entry = (h: Partial<tar.Header> & { name: string }, body?: Buffer) =>
    new Promise<void>((resolve, reject) => {
      const cb = (err?: Error | null) => (err ? reject(err) : resolve());
      if (body !== undefined) pack.entry(h, body, cb);
      else pack.entry(h, cb);
    });
  const add = async (abs: string, name: string, st: Stats): Promise<void> => {
    const base = { mode: st.mode & 0o7777, uid: st.uid, gid: st.gid, mtime: st.mtime };
    if (st.isDirectory()) {
      if (name !== "") await entry({ ...base, name: `${name}/`, type: "directory" });
      if (skipContentOf.has(abs)) return;
      for (const child of (await readdir(abs)).sort()) {
        const cabs = join(abs, child);
        const cst = await lstat(cabs).catch(() => undefined);
        // A file removed while we walk (running container) is skipped, as tar would.
        if (cst === undefined) continue;
        await add(cabs, name === "" ? child : `${name}/${child}`, cst);
      }
    } else if (st.isSymbolicLink()) {
      await entry({ ...base, name, type: "symlink", linkname: await readlink(abs) });
    } else if (st.isFile()) {
      const key = `${st.dev}:${st.ino}`;
      const first = st.nlink > 1 ? inodes.get(key) : undefined;
      if (first !== undefined) {
        await entry({ ...base, name, type: "link", linkname: first });
        return;
      }
      if (st.nlink > 1) inodes.set(key, name);
      if (st.size === 0) {
        // Kernel files (procfs, sysfs) report 0 and still have content: archived as they were stat'ed.
        await entry({ ...base, name, type: "file", size: 0 }, Buffer.alloc(0));
        return;
      }
      await new Promise<void>((resolve, reject) => {
        const sink = pack.entry({ ...base, name, type: "file", size: st.size }, (err) => (err ? reject(err) : resolve()));
        // The pack is destroyed when the client goes away mid-file: the entry's error must have
        // a listener, or `pipe` re-throws it and the daemon dies with it.
        (sink as unknown as NodeJS.EventEmitter).on("error", reject);
        // A file that grew since the stat is cut at the stat's size, so the header stays true.
        const src = createReadStream(abs, { start: 0, end: st.size - 1 });
        current = { src, reject };
        src.on("error", reject).on("close", () => { if (current?.src === src) current = undefined; });
        src.pipe(sink as unknown as NodeJS.WritableStream);
      });
    } else if (st.isCharacterDevice() || st.isBlockDevice()) {
      await entry({
        ...base, name, type: st.isCharacterDevice() ? "character-device" : "block-device",
        devmajor: devMajor(st.rdev), devminor: devMinor(st.rdev),
      });
    } else if (st.isFIFO()) {
      await entry({ ...base, name, type: "fifo" });
    }
    // Sockets have no tar form; Docker skips them too.
  };
  void (async () => {
    try {
      await add(hostPath, rebase, await lstat(hostPath));
      pack.finalize();
    } catch (err) {
      pack.destroy(err as Error);
    }
  })();
  return pack as unknown as Readable;
}
