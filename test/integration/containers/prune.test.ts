/**
 * Prune and disk use through the docker CLI and berth: `container prune` and `image prune`
 * remove only what they should (filters `label`, `label!`, `until`; dangling vs `-a`),
 * `system prune` calls them all, and `system df` agrees with `ps` and `images`.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { httpCall, startDaemon, type TestDaemon } from "../daemon/daemon-helper.js";

async function ids(d: TestDaemon, args: string[]): Promise<string[]> {
  const r = await d.docker(args);
  assert.equal(r.code, 0, r.stderr);
  return r.stdout.split("\n").filter((l) => l !== "").sort();
}

async function exited(d: TestDaemon, name: string, labels: string[] = []): Promise<string> {
  const r = await d.docker(["run", "--name", name, ...labels.flatMap((l) => ["-l", l]), "busybox", "true"]);
  assert.equal(r.code, 0, r.stderr);
  return (await d.docker(["inspect", "-f", "{{.Id}}", name])).stdout.trim();
}

test("prune: containers and images by filter, system prune, system df consistent with ls", async (t) => {
  const d = await startDaemon(t);
  const p = process.pid;
  const keep = await exited(d, `keep-${p}`, ["keep=1"]);
  const plain = await exited(d, `plain-${p}`);
  const labelled = await exited(d, `lbl-${p}`, ["prune=yes"]);
  const running = await d.docker(["run", "-d", "--name", `run-${p}`, "busybox", "sh", "-c", "head -c 100000 /dev/zero > /big; sleep 300"]);
  assert.equal(running.code, 0, running.stderr);
  const runId = running.stdout.trim();

  // Bad input first: nothing is removed.
  const bad = await d.docker(["container", "prune", "-f", "--filter", "color=red"]);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /invalid filter 'color'/);
  const badUntil = await d.berth(["container", "prune", "-f", "--filter", "until=yesterday-ish"]);
  assert.equal(badUntil.code, 1);
  assert.match(badUntil.stderr, /invalid filter 'until=yesterday-ish'/);
  assert.equal((await ids(d, ["ps", "-aq", "--no-trunc"])).length, 4);

  // label=: only the labelled one (docker's output).
  const byLabel = await d.docker(["container", "prune", "-f", "--filter", "label=prune=yes"]);
  assert.equal(byLabel.code, 0, byLabel.stderr);
  assert.match(byLabel.stdout, new RegExp(`^Deleted Containers:\\n${labelled}\\n\\nTotal reclaimed space: .+\\n$`));
  // until= a time before they were made: nothing.
  const early = await d.berth(["container", "prune", "-f", "--filter", "until=2001-01-01T00:00:00Z"]);
  assert.equal(early.stdout, "Total reclaimed space: 0B\n", early.stderr);
  // label!=: every stopped one without the label; the running one stays.
  const notKeep = await d.berth(["container", "prune", "-f", "--filter", "label!=keep"]);
  assert.equal(notKeep.code, 0, notKeep.stderr);
  assert.match(notKeep.stdout, new RegExp(`^Deleted Containers:\\n${plain}\\n\\n`));
  assert.deepEqual(await ids(d, ["ps", "-aq", "--no-trunc"]), [keep, runId].sort());
  // The prompt: anything but y keeps everything.
  const declined = await d.berth(["container", "prune"], "n\n");
  assert.match(declined.stdout, /WARNING! This will remove all stopped containers.\nAre you sure you want to continue\? \[y\/N\] $/);
  assert.deepEqual(await ids(d, ["ps", "-aq", "--no-trunc"]), [keep, runId].sort());

  // Images: a dangling commit, a tagged commit, busybox used by containers.
  const dangling = (await d.berth(["commit", `keep-${p}`])).stdout.trim();
  const tagged = (await d.berth(["commit", `keep-${p}`, `tagged-${p}:v1`])).stdout.trim();
  assert.match(dangling, /^sha256:/);
  assert.notEqual(dangling, tagged);

  // system df agrees with images and ps, and counts the running container's 100 kB.
  const df = JSON.parse((await httpCall(d.socket, "GET", "/system/df")).body) as {
    LayersSize: number; Images: Array<{ Id: string; Containers: number; Size: number; SharedSize: number }>;
    Containers: Array<{ Id: string; SizeRw: number; SizeRootFs: number }>; Volumes: unknown[]; BuildCache: unknown[];
  };
  assert.deepEqual(df.Images.map((i) => i.Id).sort(), await ids(d, ["images", "-aq", "--no-trunc"]));
  assert.deepEqual(df.Containers.map((c) => c.Id).sort(), [keep, runId].sort());
  const busybox = df.Images.find((i) => i.Containers > 0);
  assert.equal(busybox?.Containers, 2);
  const run = df.Containers.find((c) => c.Id === runId);
  assert.ok(run !== undefined && run.SizeRw >= 100_000, `SizeRw ${run?.SizeRw}`);
  assert.equal(run.SizeRootFs, run.SizeRw + (busybox?.Size ?? 0));
  // Three images share busybox's layer: counted once in LayersSize, in each one's SharedSize.
  assert.ok(df.Images.every((i) => i.SharedSize >= (busybox?.Size ?? 0)));
  assert.ok(df.LayersSize >= (busybox?.Size ?? 0) && df.LayersSize < 2 * (busybox?.Size ?? 0));
  assert.deepEqual(df.BuildCache, []);
  const summary = await d.docker(["system", "df"]);
  assert.equal(summary.code, 0, summary.stderr);
  assert.match(summary.stdout, /^TYPE\s+TOTAL\s+ACTIVE\s+SIZE\s+RECLAIMABLE\nImages\s+3\s+1\s+\S+\s+.*\nContainers\s+2\s+1\s+\S+\s+.*\nLocal Volumes\s+\d+\s+\d+\s+\S+\s+.*\nBuild Cache\s+0\s+0\s+0B\s+0B\n$/);
  const summaryB = await d.berth(["system", "df"]);
  assert.equal(summaryB.stdout, summary.stdout);
  const verbose = await d.docker(["system", "df", "-v"]);
  assert.match(verbose.stdout, new RegExp(`tagged-${p}\\s+v1\\s+${tagged.slice(7, 19)}`));
  assert.match(verbose.stdout, new RegExp(`${runId.slice(0, 12)}\\s+busybox\\s+.*\\s+100kB\\s+`));
  const verboseB = await d.berth(["system", "df", "-v"]);
  assert.match(verboseB.stdout, /^Images space usage:\n\nREPOSITORY\s+TAG\s+IMAGE ID\s+CREATED\s+SIZE\s+SHARED SIZE\s+UNIQUE SIZE\s+CONTAINERS\n/);
  assert.match(verboseB.stdout, new RegExp(`${runId.slice(0, 12)}\\s+busybox\\s+.*\\s+100kB\\s+`));

  // image prune: dangling only by default, then -a takes every image no container uses.
  const ip = await d.docker(["image", "prune", "-f"]);
  assert.equal(ip.code, 0, ip.stderr);
  assert.match(ip.stdout, new RegExp(`^Deleted Images:\\ndeleted: ${dangling}\\n`));
  assert.equal((await ids(d, ["images", "-aq", "--no-trunc"])).includes(tagged), true);
  const badDangling = await d.berth(["image", "prune", "-f", "--filter", "dangling=maybe"]);
  assert.match(badDangling.stderr, /invalid filter 'dangling=maybe'/);
  const all = await d.berth(["image", "prune", "-a", "-f", "--filter", "label!=nothing"]);
  assert.equal(all.code, 0, all.stderr);
  assert.match(all.stdout, new RegExp(`untagged: tagged-${p}:v1\\ndeleted: ${tagged}\\n`));
  assert.equal((await ids(d, ["images", "-q"])).length, 1, "busybox stays: containers use it");

  // system prune: stopped containers, then images (-a: busybox once nothing uses it); the running container stays.
  const sp = await d.docker(["system", "prune", "-f"]);
  assert.equal(sp.code, 0, sp.stderr);
  assert.match(sp.stdout, new RegExp(`^Deleted Containers:\\n${keep}\\n`));
  assert.deepEqual(await ids(d, ["ps", "-aq", "--no-trunc"]), [runId]);
  assert.equal((await d.docker(["rm", "-f", runId])).code, 0);
  const spa = await d.berth(["system", "prune", "-a", "-f"]);
  assert.equal(spa.code, 0, spa.stderr);
  assert.match(spa.stdout, /untagged: busybox:latest\n/);
  assert.match(spa.stdout, /Total reclaimed space: [1-9][\d.]*MB\n$/);
  assert.deepEqual(await ids(d, ["images", "-aq"]), []);
});
