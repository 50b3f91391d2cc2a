import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { httpCall, spawnDaemon, startDaemon } from "./daemon-helper.js";

/** A request with its send time and its answer's headers. */
function timedCall(socketPath: string, path: string): Promise<{ sentAt: number; status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    const sentAt = Date.now();
    const req = request({ socketPath, path }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ sentAt, status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString() }));
    });
    req.on("error", reject);
    req.end();
  });
}

async function firstPing(socket: string, exited: () => boolean): Promise<void> {
  for (let i = 0; i < 30_000; i++) {
    if (exited()) throw new Error("berthd exited before answering /_ping");
    if (await httpCall(socket, "GET", "/_ping").then((r) => r.status === 200, () => false)) return;
    await new Promise((r) => setTimeout(r, 2));
  }
  throw new Error("berthd did not answer /_ping");
}

test("requests sent right after the first /_ping are held until the daemon is ready, then answered with the full state; cp works on first use", async (t) => {
  const d = await startDaemon(t);
  const ids: string[] = [];
  for (let i = 0; i < 12; i += 4) {
    const made = await Promise.all([0, 1, 2, 3].map((k) => httpCall(d.socket, "POST", `/containers/create?name=rec-${process.pid}-${i + k}`,
      JSON.stringify({ Image: "busybox", Cmd: ["true"], HostConfig: { NetworkMode: "none" } }))));
    for (const m of made) {
      assert.equal(m.status, 201, m.body);
      ids.push((JSON.parse(m.body) as { Id: string }).Id);
    }
  }
  await d.stop();

  const again = spawnDaemon(d.dir, d.dataRoot, d.socket);
  let log = "";
  again.stderr?.on("data", (c: Buffer) => { log += c.toString(); });
  const exited = new Promise((r) => again.once("exit", r));
  t.after(async () => {
    if (again.exitCode === null && again.pid !== undefined) {
      process.kill(again.pid, "SIGTERM");
      await exited;
    }
  });
  await firstPing(d.socket, () => again.exitCode !== null);
  // Sent at once: the first use of the archive routes (loaded lazily) and the list.
  const [list, stat] = await Promise.all([
    timedCall(d.socket, "/containers/json?all=1"),
    timedCall(d.socket, `/containers/${ids[0] ?? ""}/archive?path=/etc/passwd`),
  ]);
  assert.equal(list.status, 200);
  assert.deepEqual((JSON.parse(list.body) as Array<{ Id: string }>).map((c) => c.Id).sort(), [...ids].sort());
  assert.equal(stat.status, 200, stat.body);
  const pathStat = JSON.parse(Buffer.from(String(stat.headers["x-docker-container-path-stat"]), "base64").toString()) as { name: string; size: number };
  assert.equal(pathStat.name, "passwd");
  assert.ok(stat.body.includes("root:x:0:0"), "the tar carries /etc/passwd");

  const lines = log.split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l) as { msg: string; time: number; ms?: number; phases?: Record<string, number> });
  const listen = lines.find((l) => l.msg === "API listen");
  const ready = lines.find((l) => l.msg === "daemon ready");
  assert.ok(listen !== undefined && ready !== undefined, log);
  assert.ok(listen.time <= ready.time);
  // The list went out before the daemon was ready: it was held, not answered from half-loaded state.
  assert.ok(list.sentAt < ready.time, `list sent at ${list.sentAt}, daemon ready at ${ready.time}`);
  assert.equal(typeof ready.phases?.containers, "number");
});

test("a start that fails after the sockets are bound answers held requests with a 500 and exits 1, leaving no lock and no socket", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "berth-it-start-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await writeFile(join(dir, "daemon.json"), "{}");
  const dataRoot = join(dir, "data");
  await mkdir(dataRoot, { recursive: true });
  // The content store must be a directory: the wiring fails, after the bind.
  await writeFile(join(dataRoot, "content"), "not a directory");
  const socket = join(dir, "berth.sock");
  const child = spawnDaemon(dir, dataRoot, socket, ["--bridge", "none"]);
  let log = "";
  child.stderr?.on("data", (c: Buffer) => { log += c.toString(); });
  const exit = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
  t.after(() => { if (child.exitCode === null && child.pid !== undefined) process.kill(child.pid, "SIGKILL"); });
  let held: Promise<{ status: number; body: string }> | undefined;
  for (let i = 0; i < 30_000 && held === undefined && child.exitCode === null; i++) {
    if (await httpCall(socket, "GET", "/_ping").then((r) => r.status === 200, () => false)) held = httpCall(socket, "GET", "/info");
    else await new Promise((r) => setTimeout(r, 2));
  }
  assert.ok(held !== undefined, `berthd never answered /_ping: ${log}`);
  const r = await held;
  assert.equal(r.status, 500);
  assert.match((JSON.parse(r.body) as { message: string }).message, /^start daemon: .*content/);
  assert.equal(await exit, 1, log);
  assert.match(log, /berthd: .*content/);
  assert.equal(existsSync(join(dataRoot, "berthd.lock")), false);
  assert.equal(existsSync(socket), false);
});
