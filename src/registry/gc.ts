/**
 * Mark-and-sweep garbage collection of the registry's blobs. Mark: every manifest
 * recorded in any repository (tagged or not), the config and layers it names and, for
 * an index, its child manifests and what they name. Sweep: every other blob, and the
 * repository links to it. Like distribution's `garbage-collect`, it must not run while
 * clients push (a blob uploaded but not yet named by a manifest would be swept); the
 * `graceSeconds` option spares blobs written recently.
 */
import { stat } from "node:fs/promises";
import { nullLogger, type Logger } from "../shared/logger.js";
import { parseManifest } from "./manifest.js";
import type { ParsedDigest } from "./names.js";
import { openRegistryStorage, type RegistryStorage } from "./storage.js";

/** Options of `collectGarbage`. */
export interface GcOptions {
  root: string;
  /** Report what would be deleted without deleting. @default false */
  dryRun?: boolean;
  /** Keep unreferenced blobs modified less than this many seconds ago. @default 0 */
  graceSeconds?: number;
  /** Also remove upload sessions started more than this many seconds ago. @default 604800 (7 days) */
  uploadMaxAgeSeconds?: number;
  /** @default nullLogger */
  logger?: Logger;
}

/** What a collection did. */
export interface GcResult {
  /** Blobs kept because something references them. */
  marked: number;
  /** Digests of the blobs deleted (or that would be, with dryRun). */
  deleted: string[];
  /** Upload sessions removed. */
  uploadsPurged: number;
}

async function mark(st: RegistryStorage, log: Logger): Promise<Set<string>> {
  const marked = new Set<string>();
  const visit = async (d: ParsedDigest): Promise<void> => {
    if (marked.has(d.digest)) return;
    marked.add(d.digest);
    const body = await st.blobs.readBuffer(d);
    if (body === undefined) return;
    let m;
    try {
      m = parseManifest(body);
    } catch (err) {
      log.warn({ digest: d.digest, err }, "gc: unreadable manifest, keeping it without its references");
      return;
    }
    for (const b of m.blobs) marked.add(b.digest.digest);
    for (const c of m.children) await visit(c.digest);
  };
  for (const repo of await st.repos.list()) {
    for (const { digest } of await st.repos.manifests(repo)) await visit(digest);
  }
  return marked;
}

/** Run a collection over the registry at `opts.root`. */
export async function collectGarbage(opts: GcOptions): Promise<GcResult> {
  const log = opts.logger ?? nullLogger;
  const st = openRegistryStorage(opts.root);
  const marked = await mark(st, log);
  const cutoff = Date.now() - (opts.graceSeconds ?? 0) * 1000;
  const deleted: string[] = [];
  for (const d of await st.blobs.list()) {
    if (marked.has(d.digest)) continue;
    const mtime = (await stat(st.blobs.path(d)).catch(() => undefined))?.mtimeMs;
    if (mtime === undefined || mtime > cutoff) continue;
    deleted.push(d.digest);
    if (!opts.dryRun) await st.blobs.delete(d);
  }
  const gone = new Set(deleted);
  let uploadsPurged = 0;
  if (!opts.dryRun) {
    for (const repo of await st.repos.list()) {
      for (const d of await st.repos.blobLinks(repo)) if (gone.has(d.digest)) await st.repos.unlinkBlob(repo, d);
    }
    const before = new Date(Date.now() - (opts.uploadMaxAgeSeconds ?? 7 * 24 * 3600) * 1000);
    uploadsPurged = (await st.uploads.purge(before)).length;
  }
  log.info({ marked: marked.size, deleted: deleted.length, uploadsPurged, dryRun: opts.dryRun ?? false }, "gc done");
  return { marked: marked.size, deleted, uploadsPurged };
}
