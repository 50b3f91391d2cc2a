/**
 * Leases of the network services on this host: `<dir>/<owner>.json` says which records
 * directory, nft table and process an owner mark (`berth:<owner>:…` in links' ifalias)
 * belongs to. A daemon killed before its orderly stop (a test harness's SIGKILL) leaves its
 * bridges and table; when its records directory is gone too and its process is dead,
 * nobody can ever reconcile them, so the next service to open removes them. State of an
 * owner whose records still exist is left alone: its own next start reconciles it.
 */
import { access, mkdir, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { NetKernel } from "../../kernel/net/net-kernel.js";
import type { Logger } from "../../shared/logger.js";

/** One lease. */
export interface OwnerLease {
  recordsDir: string;
  table: string;
  pid: number;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

/** Record this owner's lease. */
export async function writeLease(dir: string, owner: string, lease: OwnerLease): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await writeFile(join(dir, `${owner}.json`), JSON.stringify(lease));
}

/** Drop this owner's lease (its kernel state is gone). */
export async function removeLease(dir: string, owner: string): Promise<void> {
  await rm(join(dir, `${owner}.json`), { force: true });
}

/**
 * Remove the links and nft tables of owners whose records directory no longer exists and
 * whose process is dead; returns the owners collected.
 */
export async function collectAbandoned(dir: string, self: string, kernel: NetKernel, log: Logger): Promise<string[]> {
  let files: string[];
  try {
    files = await readdir(dir);
  } catch {
    return [];
  }
  const links = await kernel.links();
  const out: string[] = [];
  for (const f of files) {
    const m = /^([0-9a-f]{8})\.json$/.exec(f);
    const owner = m?.[1];
    if (owner === undefined || owner === self) continue;
    let lease: OwnerLease;
    try {
      lease = JSON.parse(await readFile(join(dir, f), "utf8")) as OwnerLease;
    } catch {
      continue;
    }
    if (typeof lease.recordsDir !== "string" || typeof lease.pid !== "number" || typeof lease.table !== "string") continue;
    if (alive(lease.pid) || (await exists(lease.recordsDir))) continue;
    const mine = links.filter((l) => l.alias?.startsWith(`berth:${owner}:`) === true);
    // Endpoints first: deleting a bridge leaves its veths behind.
    mine.sort((a, b) => Number(b.alias?.includes(":ep:")) - Number(a.alias?.includes(":ep:")));
    for (const l of mine) {
      await kernel.ip([["link", "del", "dev", l.ifname]]).catch((err: unknown) => log.warn({ link: l.ifname, err: String(err) }, "remove an abandoned link"));
    }
    if (/^[A-Za-z][A-Za-z0-9_]{0,30}$/.test(lease.table)) {
      await kernel.nft(`add table ip ${lease.table}\ndelete table ip ${lease.table}\n`).catch((err: unknown) => log.warn({ table: lease.table, err: String(err) }, "remove an abandoned table"));
    }
    await rm(join(dir, f), { force: true });
    log.info({ owner, recordsDir: lease.recordsDir, links: mine.map((l) => l.ifname) }, "removed the network state of a vanished data root");
    out.push(owner);
  }
  return out;
}
