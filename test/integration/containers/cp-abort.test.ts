/**
 * A client that goes away in the middle of `cp` from a stopped container: the daemon keeps
 * serving, and the rootfs mounted for the copy is unmounted (it was once left busy, and the
 * failed unmount ended the daemon).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { request } from "node:http";
import { join } from "node:path";
import { httpCall, startDaemon } from "../daemon/daemon-helper.js";

/** GET the archive and drop the connection after the first MiB. */
function abortedArchive(socketPath: string, ctr: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, method: "GET", path: `/containers/${ctr}/archive?path=/` }, (res) => {
      let got = 0;
      res.on("data", (c: Buffer) => {
        got += c.length;
        if (got >= 1 << 20) {
          req.destroy();
          resolve(got);
        }
      });
      res.on("error", () => undefined);
      res.on("end", () => resolve(got));
    });
    req.on("error", (err) => (req.destroyed ? undefined : reject(err)));
    req.end();
  });
}

test("cp: a client leaving mid-copy leaves the daemon serving and nothing mounted", async (t) => {
  const d = await startDaemon(t);
  const ctr = `cp-abort-${process.pid}`;
  const run = await d.docker(["run", "--name", ctr, "busybox", "sh", "-c", "head -c 100000000 /dev/zero > /big && cp /big /big2"]);
  assert.equal(run.code, 0, run.stderr);
  for (let i = 0; i < 3; i++) assert.ok((await abortedArchive(d.socket, ctr)) >= 1 << 20);
  assert.equal((await httpCall(d.socket, "GET", "/_ping")).status, 200);
  let mounted = true;
  for (let i = 0; i < 60 && mounted; i++) {
    mounted = (await readFile("/proc/self/mountinfo", "utf8")).includes(join(d.dataRoot, "containers"));
    if (mounted) await new Promise((r) => setTimeout(r, 100));
  }
  assert.equal(mounted, false, "the rootfs mounted for the copy is unmounted");
  // A whole copy still works afterwards, and the container can be removed.
  const cp = await d.docker(["cp", `${ctr}:/etc/hostname`, "-"]);
  assert.equal(cp.code, 0, cp.stderr);
  assert.equal((await d.docker(["rm", ctr])).code, 0);
});
