/** Builds small tar archives in memory for tests (through tar-stream, not by hand). */
import tar from "tar-stream";
import { gzipSync } from "node:zlib";

/** One archive entry; `data` for regular files. */
export interface FixtureEntry {
  name: string;
  type?: "file" | "directory" | "symlink" | "link" | "character-device" | "block-device" | "fifo";
  data?: string | Buffer;
  linkname?: string;
  mode?: number;
  devmajor?: number;
  devminor?: number;
  uid?: number;
  gid?: number;
  /** Extra PAX records (a pax header is written when present). */
  pax?: Record<string, string>;
}

/** A tar archive of `entries`, optionally gzipped. */
export async function makeTar(entries: readonly FixtureEntry[], gzip = false): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  const done = (async () => {
    for await (const c of pack) chunks.push(c as Buffer);
  })();
  for (const e of entries) {
    const type = e.type ?? "file";
    const header: Partial<tar.Header> & { name: string } = {
      name: e.name,
      type,
      mode: e.mode ?? (type === "directory" ? 0o755 : 0o644),
      uid: e.uid ?? process.getuid?.() ?? 0,
      gid: e.gid ?? process.getgid?.() ?? 0,
      mtime: new Date(1_700_000_000_000),
    };
    if (e.linkname !== undefined) header.linkname = e.linkname;
    if (e.devmajor !== undefined) header.devmajor = e.devmajor;
    if (e.devminor !== undefined) header.devminor = e.devminor;
    if (e.pax !== undefined) header.pax = e.pax;
    const body = type === "file" ? Buffer.from(e.data ?? "") : undefined;
    await new Promise<void>((resolve, reject) => {
      if (body !== undefined) pack.entry(header, body, (err) => (err ? reject(err) : resolve()));
      else pack.entry(header, (err) => (err ? reject(err) : resolve()));
    });
  }
  pack.finalize();
  await done;
  const buf = Buffer.concat(chunks);
  return gzip ? gzipSync(buf) : buf;
}
