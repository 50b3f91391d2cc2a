import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { netnsFiles } from "./container-network-netns.js";

const isRoot = process.getuid?.() === 0;

async function mounted(path: string): Promise<boolean> {
  return (await readFile("/proc/self/mountinfo", "utf8")).split("\n").some((l) => l.split(" ")[4] === path);
}

test("netnsFiles: a namespace bound on the file with lo up, a stale file replaced, nothing left after remove", { skip: isRoot ? false : "needs root" }, async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "berth-netns-root-"));
  const path = join(dir, "ns");
  t.after(async () => {
    try { execFileSync("umount", ["-l", path], { stdio: "ignore" }); } catch { /* not mounted */ }
    await rm(dir, { recursive: true, force: true });
  });
  await netnsFiles.create(path);
  assert.equal(await mounted(path), true);
  const lo = JSON.parse(execFileSync("nsenter", [`--net=${path}`, "ip", "-j", "link", "show", "dev", "lo"], { encoding: "utf8" })) as Array<{ flags: string[] }>;
  assert.ok(lo[0]?.flags.includes("UP"), `lo is up: ${JSON.stringify(lo)}`);
  const links = JSON.parse(execFileSync("nsenter", [`--net=${path}`, "ip", "-j", "link", "show"], { encoding: "utf8" })) as unknown[];
  assert.equal(links.length, 1, "only lo: a new namespace, not the host's");
  // A file left mounted (a crash): create replaces it with a new namespace. Marked by a
  // lo MTU, because nsfs inode numbers are reused as soon as the old namespace is freed.
  execFileSync("nsenter", [`--net=${path}`, "ip", "link", "set", "dev", "lo", "mtu", "1234"]);
  await netnsFiles.create(path);
  const after = JSON.parse(execFileSync("nsenter", [`--net=${path}`, "ip", "-j", "link", "show"], { encoding: "utf8" })) as Array<{ ifname: string; mtu: number }>;
  assert.deepEqual(after.map((l) => [l.ifname, l.mtu]), [["lo", 65536]], "a new namespace, not the stale one");
  assert.equal((await readFile("/proc/self/mountinfo", "utf8")).split("\n").filter((l) => l.split(" ")[4] === path).length, 1);
  await netnsFiles.remove(path);
  assert.equal(await mounted(path), false);
  await assert.rejects(stat(path), { code: "ENOENT" });
});
