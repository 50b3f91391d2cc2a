/**
 * One daemon per data root: `<data-root>/berthd.lock` holds the owner's pid. A lock whose
 * pid is no longer alive is stale and taken over; a live one refuses the start.
 */
import { link, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { failedPrecondition } from "../shared/errors.js";

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** A held data-root lock. */
export interface DataRootLock {
  path: string;
  release(): Promise<void>;
}

/** Take the lock on `dataRoot` for this process, or fail with a clear message. */
export async function lockDataRoot(dataRoot: string): Promise<DataRootLock> {
  const path = join(dataRoot, "berthd.lock");
  const tmp = `${path}.${process.pid}`;
  await writeFile(tmp, `${process.pid}\n`);
  try {
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        // link(2) fails if the lock exists: atomic create-with-content.
        await link(tmp, path);
        return { path, release: async () => { await rm(path, { force: true }); } };
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      }
      const pid = Number.parseInt(await readFile(path, "utf8").catch(() => ""), 10);
      if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && alive(pid)) {
        throw failedPrecondition(`another berthd (pid ${pid}) is already using the data root "${dataRoot}"; stop it first or pass a different --data-root`);
      }
      await rm(path, { force: true });
    }
    throw failedPrecondition(`lock data root "${dataRoot}": lock file keeps changing`);
  } finally {
    await rm(tmp, { force: true });
  }
}
