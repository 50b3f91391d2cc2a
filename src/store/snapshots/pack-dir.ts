/**
 * Pack a directory tree into a tar stream (for image import of a built rootfs, and later
 * for container diffs). Entries are sorted so the same tree gives the same bytes.
 */
import { lstat, readdir, readlink } from "node:fs/promises";
import { createReadStream } from "node:fs";
import { join } from "node:path";
import type { Readable } from "node:stream";
import tar from "tar-stream";
import type { Host } from "../../kernel/host.js";

/** Options for `packDirectory`. */
export interface PackOptions {
  /** Use this mtime for every entry, for reproducible archives. @default the files' mtimes */
  mtime?: Date;
  /** Force this owner on every entry. @default the files' owners */
  uid?: number;
  gid?: number;
  /**
   * Convert overlayfs whiteouts back to OCI ones: 0:0 character devices become
   * `.wh.<name>` files and directories in `opaque` (absolute paths) get a
   * `.wh..wh..opq` entry, as Docker's overlay2 diff does.
   */
  overlayWhiteouts?: { opaque: ReadonlySet<string> };
}

/** A tar stream of the content of `dir` (paths relative, directories with a trailing slash). */
export function packDirectory(dir: string, options: PackOptions = {}): Readable {
  const pack = tar.pack();
  const inodes = new Map<string, string>();
  const walk = async (rel: string): Promise<void> => {
    const names = (await readdir(join(dir, rel))).sort();
    for (const name of names) {
      const r = rel === "" ? name : `${rel}/${name}`;
      const abs = join(dir, r);
      const st = await lstat(abs);
      const base = {
        mode: st.mode & 0o7777,
        uid: options.uid ?? st.uid,
        gid: options.gid ?? st.gid,
        mtime: options.mtime ?? st.mtime,
      };
      const entry = (h: Partial<tar.Header> & { name: string }, body?: Buffer) =>
        new Promise<void>((resolve, reject) => {
          const cb = (err?: Error | null) => (err ? reject(err) : resolve());
          if (body !== undefined) pack.entry(h, body, cb);
          else pack.entry(h, cb);
        });
      if (st.isDirectory()) {
        await entry({ ...base, name: `${r}/`, type: "directory" });
        if (options.overlayWhiteouts?.opaque.has(abs) === true) {
          await entry({ ...base, mode: base.mode & 0o777, name: `${r}/.wh..wh..opq`, type: "file" }, Buffer.alloc(0));
        }
        await walk(r);
      } else if (st.isSymbolicLink()) {
        await entry({ ...base, name: r, type: "symlink", linkname: await readlink(abs) });
      } else if (st.isFile()) {
        const key = `${st.dev}:${st.ino}`;
        const first = st.nlink > 1 ? inodes.get(key) : undefined;
        if (first !== undefined) {
          await entry({ ...base, name: r, type: "link", linkname: first });
          continue;
        }
        if (st.nlink > 1) inodes.set(key, r);
        await new Promise<void>((resolve, reject) => {
          const sink = pack.entry({ ...base, name: r, type: "file", size: st.size }, (err) => (err ? reject(err) : resolve()));
          createReadStream(abs).on("error", reject).pipe(sink as unknown as NodeJS.WritableStream);
        });
      } else if (options.overlayWhiteouts !== undefined && st.isCharacterDevice() && st.rdev === 0) {
        const slash = r.lastIndexOf("/");
        const wh = slash === -1 ? `.wh.${r}` : `${r.slice(0, slash)}/.wh.${r.slice(slash + 1)}`;
        await entry({ ...base, mode: 0o600, name: wh, type: "file" }, Buffer.alloc(0));
      } else if (st.isCharacterDevice() || st.isBlockDevice()) {
        await entry({
          ...base, name: r, type: st.isCharacterDevice() ? "character-device" : "block-device",
          devmajor: devMajor(st.rdev), devminor: devMinor(st.rdev),
        });
      } else if (st.isFIFO()) {
        await entry({ ...base, name: r, type: "fifo" });
      }
    }
  };
  walk("").then(() => pack.finalize(), (err: unknown) => pack.destroy(err as Error));
  return pack as unknown as Readable;
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
 * A layer tarball of an overlay upper (or diff) directory: overlay whiteouts become OCI
 * whiteouts, the opaque markers found with one `findXattrs` call.
 */
export async function packLayerDiff(dir: string, host: Host, options: Omit<PackOptions, "overlayWhiteouts"> = {}): Promise<Readable> {
  const attrs = await host.findXattrs(dir, "trusted.overlay.opaque");
  const opaque = new Set([...attrs].filter(([, v]) => v === "y").map(([p]) => p));
  return packDirectory(dir, { ...options, overlayWhiteouts: { opaque } });
}
