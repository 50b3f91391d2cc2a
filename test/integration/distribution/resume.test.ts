/**
 * A pull cut short by `kill -9` of berthd resumes after a restart: finished layers are
 * not fetched again and a half-downloaded layer continues with a Range request. The
 * registry is a small test server on loopback that hangs on chosen blobs and counts
 * every blob GET.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { createServer, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { stat } from "node:fs/promises";
import { join } from "node:path";
import { makeTar } from "../../../src/store/snapshots/tar-fixture.js";
import { hostPlatform } from "../../../src/distribution/platform.js";
import { CLI_MAIN, httpCall, runCommand, spawnDaemon, startDaemon } from "../daemon/daemon-helper.js";

const sha = (b: Buffer | string): string => `sha256:${createHash("sha256").update(b).digest("hex")}`;

interface Gets {
  /** Range header of each GET of the blob ("" for none). */
  ranges: string[];
  /** Bytes of the body written in full. */
  completed: number;
}

/** A registry holding one image; `hangAfter` blobs send that many bytes and then hang. */
async function hangingRegistry(t: { after(fn: () => Promise<void>): void }, blobs: Map<string, Buffer>, manifest: Buffer) {
  const gets = new Map<string, Gets>();
  const hangAfter = new Map<string, number>();
  const hung = new Set<ServerResponse>();
  const server = createServer((req, res) => {
    const url = req.url ?? "";
    if (url === "/v2/") return void res.writeHead(200, { "Content-Type": "application/json" }).end("{}");
    if (/^\/v2\/resume\/app\/manifests\/(latest|sha256:[a-f0-9]{64})$/.test(url)) {
      res.writeHead(200, { "Content-Type": "application/vnd.oci.image.manifest.v1+json", "Content-Length": manifest.length, "Docker-Content-Digest": sha(manifest) });
      return void res.end(req.method === "HEAD" ? undefined : manifest);
    }
    const m = /^\/v2\/resume\/app\/blobs\/(sha256:[a-f0-9]{64})$/.exec(url);
    const data = m !== null ? blobs.get(m[1] as string) : undefined;
    if (m === null || data === undefined) return void res.writeHead(404, { "Content-Type": "application/json" }).end('{"errors":[{"code":"BLOB_UNKNOWN","message":"blob unknown"}]}');
    const d = m[1] as string;
    const g = gets.get(d) ?? { ranges: [], completed: 0 };
    gets.set(d, g);
    g.ranges.push(req.headers.range ?? "");
    const r = /^bytes=(\d+)-$/.exec(req.headers.range ?? "");
    const from = r !== null ? Number(r[1]) : 0;
    if (from > 0) res.writeHead(206, { "Content-Length": data.length - from, "Content-Range": `bytes ${from}-${data.length - 1}/${data.length}` });
    else res.writeHead(200, { "Content-Length": data.length });
    const limit = hangAfter.get(d);
    if (limit !== undefined) {
      hung.add(res);
      res.write(data.subarray(from, limit));
      return;
    }
    res.end(data.subarray(from), () => { g.completed++; });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  t.after(async () => {
    for (const r of hung) r.destroy();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return { addr: `127.0.0.1:${(server.address() as AddressInfo).port}`, gets, hangAfter };
}

async function until(what: string, cond: () => Promise<boolean>, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const size = (p: string): Promise<number> => stat(p).then((s) => s.size, () => -1);

test("a pull killed with berthd (kill -9) resumes after a restart without fetching finished layers again", async (t) => {
  const layers = await Promise.all([1 << 20, 1 << 20, 4 << 20, 1 << 20].map((n, i) => makeTar([{ name: `layer${i}.bin`, data: randomBytes(n) }])));
  const blobs = new Map<string, Buffer>(layers.map((l) => [sha(l), l]));
  const p = hostPlatform();
  const config = Buffer.from(JSON.stringify({ architecture: p.architecture, os: p.os, config: {}, rootfs: { type: "layers", diff_ids: layers.map(sha) } }));
  blobs.set(sha(config), config);
  const manifest = Buffer.from(JSON.stringify({
    schemaVersion: 2, mediaType: "application/vnd.oci.image.manifest.v1+json",
    config: { mediaType: "application/vnd.oci.image.config.v1+json", digest: sha(config), size: config.length },
    layers: layers.map((l) => ({ mediaType: "application/vnd.oci.image.layer.v1.tar", digest: sha(l), size: l.length })),
  }));
  const [a, b, c, d] = layers.map(sha) as [string, string, string, string];
  const reg = await hangingRegistry(t, blobs, manifest);
  const cut = 1_500_000;
  reg.hangAfter.set(c, cut);
  reg.hangAfter.set(d, 0);

  const first = await startDaemon(t);
  const ref = `${reg.addr}/resume/app:latest`;
  const content = join(first.dataRoot, "content");
  const pulling = first.berth(["pull", ref]);
  await until("two layers and part of a third on disk", async () =>
    (await size(join(content, "blobs", "sha256", a.slice(7)))) === layers[0]?.length
    && (await size(join(content, "blobs", "sha256", b.slice(7)))) === layers[1]?.length
    && (await size(join(content, "ingest", `sha256-${c.slice(7)}`))) === cut
    && (reg.gets.get(d)?.ranges.length ?? 0) === 1);
  const pid = first.process.pid as number;
  const exited = new Promise((r) => first.process.once("exit", r));
  process.kill(pid, "SIGKILL");
  await exited;
  const firstPull = await pulling;
  assert.notEqual(firstPull.code, 0);

  reg.hangAfter.clear();
  const second = spawnDaemon(first.dir, first.dataRoot, first.socket);
  try {
    await until("the restarted berthd", async () => (await httpCall(first.socket, "GET", "/_ping").catch(() => ({ status: 0 }))).status === 200);
    const pulled = await runCommand(process.execPath, [CLI_MAIN, "-H", first.host, "pull", ref]);
    assert.equal(pulled.code, 0, pulled.stderr);
    assert.match(pulled.stdout, /Downloaded newer image/);
    // Finished blobs (config, two layers) were fetched once, by the killed pull.
    assert.deepEqual(reg.gets.get(sha(config))?.ranges, [""]);
    assert.deepEqual(reg.gets.get(a)?.ranges, [""]);
    assert.deepEqual(reg.gets.get(b)?.ranges, [""]);
    // The cut layer continued from the kept bytes; the one that got none started over.
    assert.deepEqual(reg.gets.get(c)?.ranges, ["", `bytes=${cut}-`]);
    assert.deepEqual(reg.gets.get(d)?.ranges, ["", ""]);
    const inspect = await runCommand(process.execPath, [CLI_MAIN, "-H", first.host, "image", "inspect", "-f", "{{.Id}}", ref]);
    assert.equal(inspect.stdout.trim(), sha(config));
  } finally {
    if (second.exitCode === null && second.signalCode === null && second.pid !== undefined) {
      const pid2 = second.pid;
      const gone = new Promise((r) => second.once("exit", r));
      process.kill(pid2, "SIGTERM");
      const timer = setTimeout(() => { if (second.exitCode === null) process.kill(pid2, "SIGKILL"); }, 5000);
      await gone;
      clearTimeout(timer);
    }
  }
});
