/**
 * The distribution benchmark: push and pull of a 4-layer image of random (incompressible)
 * data, 200 MB by default, berth (berthd + `berth registry`) against dockerd (Debian's
 * docker.io) + Debian's docker-registry (CNCF distribution), all private to this run, on
 * loopback, in one run. Each round gets two fresh registries and measures, interleaved:
 *
 * - registry throughput with one plain HTTP client (this process): the image's layer
 *   blobs uploaded (POST + monolithic PUT, all layers at once), then downloaded (all
 *   layers at once, and one layer alone), against each registry;
 * - pull time (`POST /images/create` until the stream ends) of that same image, by each
 *   daemon from each registry, the image removed before and after;
 * - push time (`POST /images/{name}/push`) of a second image (other random data, loaded
 *   into both daemons at the start) by each daemon to each registry.
 *
 * Both daemons are driven through the Engine API over their unix sockets by the same code.
 * Layers are gzip (level 1) in the registries and in the loaded archive, as docker pushes
 * them; dockerd re-compresses on push, berth pushes the blobs it stored.
 *
 *   node dist/bench/distribution.js [--rounds 3] [--size-mb 200] [--layers 4]
 *
 * Prints markdown tables (median and spread over the rounds). Figures and the command are
 * recorded in bench/RESULTS.md ("Distribution"). Everything it starts is stopped by pid.
 */
import { spawn, execFileSync, type ChildProcess } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { closeSync, createReadStream, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { request, type IncomingMessage } from "node:http";
import { createServer, type AddressInfo } from "node:net";
import { cpus, loadavg, release, tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createWriteStream } from "node:fs";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { gzipSync } from "node:zlib";
import tar from "tar-stream";

const DAEMON_MAIN = fileURLToPath(new URL("../src/daemon/main.js", import.meta.url));
const REGISTRY_MAIN = fileURLToPath(new URL("../src/registry/main.js", import.meta.url));

const { values: argv } = parseArgs({
  options: {
    rounds: { type: "string", short: "n", default: "3" },
    "size-mb": { type: "string", default: "200" },
    layers: { type: "string", default: "4" },
  },
});
const ROUNDS = Number(argv.rounds);
const LAYERS = Number(argv.layers);
const LAYER_BYTES = Math.floor((Number(argv["size-mb"]) * 1e6) / LAYERS);

const sha = (b: Buffer | string): string => `sha256:${createHash("sha256").update(b).digest("hex")}`;
const now = (): number => Number(process.hrtime.bigint()) / 1e6;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------- images

interface Image {
  name: string;
  config: Buffer;
  layers: Buffer[];
  manifest: Buffer;
  bytes: number;
}

async function tarOf(name: string, data: Buffer): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  const done = (async () => { for await (const c of pack) chunks.push(c as Buffer); })();
  pack.entry({ name, size: data.length, mode: 0o644, mtime: new Date(0) }, data);
  pack.finalize();
  await done;
  return Buffer.concat(chunks);
}

async function makeImage(name: string): Promise<Image> {
  const tars = await Promise.all(Array.from({ length: LAYERS }, (_, i) => tarOf(`${name}-${i}.bin`, randomBytes(LAYER_BYTES))));
  const layers = tars.map((t) => gzipSync(t, { level: 1 }));
  const arch = process.arch === "x64" ? "amd64" : process.arch === "arm64" ? "arm64" : process.arch;
  const config = Buffer.from(JSON.stringify({
    architecture: arch, os: "linux", created: "2026-01-01T00:00:00Z", config: { Cmd: ["/nothing"] },
    rootfs: { type: "layers", diff_ids: tars.map(sha) },
    history: tars.map(() => ({ created: "2026-01-01T00:00:00Z", created_by: "bench" })),
  }));
  const manifest = Buffer.from(JSON.stringify({
    schemaVersion: 2, mediaType: "application/vnd.docker.distribution.manifest.v2+json",
    config: { mediaType: "application/vnd.docker.container.image.v1+json", digest: sha(config), size: config.length },
    layers: layers.map((l) => ({ mediaType: "application/vnd.docker.image.rootfs.diff.tar.gzip", digest: sha(l), size: l.length })),
  }));
  return { name, config, layers, manifest, bytes: layers.reduce((n, l) => n + l.length, 0) };
}

/** A docker-archive (`docker save` format) of `img` tagged `tag`, written to `file`. */
async function writeArchive(img: Image, tag: string, file: string): Promise<void> {
  const pack = tar.pack();
  const out = pipeline(pack, createWriteStream(file));
  const add = (name: string, data: Buffer): void => { pack.entry({ name, size: data.length, mode: 0o644 }, data); };
  const cfgName = `${sha(img.config).slice(7)}.json`;
  add(cfgName, img.config);
  const layerNames = img.layers.map((l) => `${sha(l).slice(7)}/layer.tar`);
  img.layers.forEach((l, i) => add(layerNames[i] as string, l));
  add("manifest.json", Buffer.from(JSON.stringify([{ Config: cfgName, RepoTags: [tag], Layers: layerNames }])));
  pack.finalize();
  await out;
}

// ---------------------------------------------------------------- processes

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

interface Proc {
  child: ChildProcess;
  log: string;
}

function start(cmd: string, args: string[], logFile: string, env: NodeJS.ProcessEnv = process.env): Proc {
  const fd = openSync(logFile, "w");
  try {
    return { child: spawn(cmd, args, { stdio: ["ignore", fd, fd], env }), log: logFile };
  } finally {
    closeSync(fd);
  }
}

async function stop(p: Proc, signal: NodeJS.Signals = "SIGTERM"): Promise<void> {
  const c = p.child;
  if (c.exitCode !== null || c.signalCode !== null || c.pid === undefined) return;
  const pid = c.pid;
  const gone = new Promise((r) => c.once("exit", r));
  process.kill(pid, signal);
  const timer = setTimeout(() => { if (c.exitCode === null && c.signalCode === null) process.kill(pid, "SIGKILL"); }, 15_000);
  await gone;
  clearTimeout(timer);
}

async function until(what: string, p: Proc, ok: () => Promise<boolean>, ms = 60_000): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (p.child.exitCode !== null) throw new Error(`${what} exited: ${readFileSync(p.log, "utf8").slice(-2000)}`);
    if (await ok().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`${what} did not start: ${readFileSync(p.log, "utf8").slice(-2000)}`);
    await sleep(50);
  }
}

// ---------------------------------------------------------------- HTTP

interface Target { socketPath?: string; host?: string; port?: number }

function call(to: Target, method: string, path: string, opts: { headers?: Record<string, string | number>; body?: Buffer | Readable } = {}): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const req = request({ ...to, method, path, headers: opts.headers ?? {} }, resolve);
    req.on("error", reject);
    if (opts.body instanceof Readable) opts.body.pipe(req);
    else req.end(opts.body);
  });
}

async function text(res: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of res) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString();
}

/** Drain a response; returns the bytes read. */
async function drain(res: IncomingMessage): Promise<number> {
  let n = 0;
  for await (const c of res) n += (c as Buffer).length;
  return n;
}

/** An Engine API call whose answer is a JSON message stream: fails on an error message. */
async function engineStream(sock: string, method: string, path: string, opts: { headers?: Record<string, string | number>; body?: Readable } = {}): Promise<void> {
  const res = await call({ socketPath: sock }, method, path, opts);
  const body = await text(res);
  if (res.statusCode !== 200) throw new Error(`${method} ${path}: ${res.statusCode} ${body}`);
  for (const line of body.split("\n")) {
    if (line.trim() === "") continue;
    const m = JSON.parse(line) as { error?: string };
    if (m.error !== undefined) throw new Error(`${method} ${path}: ${m.error}`);
  }
}

const AUTH = Buffer.from("{}").toString("base64");

async function removeImage(sock: string, ref: string): Promise<void> {
  const res = await call({ socketPath: sock }, "DELETE", `/images/${encodeURIComponent(ref)}?force=1`);
  const body = await text(res);
  if (res.statusCode !== 200 && res.statusCode !== 404) throw new Error(`rmi ${ref}: ${res.statusCode} ${body}`);
}

// ---------------------------------------------------------------- registries

interface Registry { name: string; port: number; proc: Proc; dir: string }

async function startDockerRegistry(dir: string): Promise<Registry> {
  const port = await freePort();
  mkdirSync(dir, { recursive: true });
  const config = join(dir, "config.yml");
  writeFileSync(config, [
    "version: 0.1", "log:", "  level: error", "  accesslog:", "    disabled: true", "storage:", "  filesystem:", `    rootdirectory: ${join(dir, "data")}`,
    "  redirect:", "    disable: true", "http:", `  addr: 127.0.0.1:${port}`, "",
  ].join("\n"));
  const proc = start("docker-registry", ["serve", config], join(dir, "log"));
  await until("docker-registry", proc, async () => (await call({ host: "127.0.0.1", port }, "GET", "/v2/").then(drain)) >= 0);
  return { name: "docker-registry", port, proc, dir };
}

async function startBerthRegistry(dir: string): Promise<Registry> {
  const port = await freePort();
  mkdirSync(dir, { recursive: true });
  const proc = start(process.execPath, [REGISTRY_MAIN, "serve", "--addr", `127.0.0.1:${port}`, "--root", join(dir, "data")], join(dir, "log"));
  await until("berth registry", proc, async () => (await call({ host: "127.0.0.1", port }, "GET", "/v2/").then(drain)) >= 0);
  return { name: "berth registry", port, proc, dir };
}

async function uploadBlob(reg: Registry, repo: string, blob: Buffer): Promise<void> {
  const to = { host: "127.0.0.1", port: reg.port };
  const post = await call(to, "POST", `/v2/${repo}/blobs/uploads/`, { headers: { "Content-Length": 0 } });
  await drain(post);
  if (post.statusCode !== 202) throw new Error(`${reg.name}: POST upload ${post.statusCode}`);
  const loc = new URL(String(post.headers.location), `http://127.0.0.1:${reg.port}`);
  loc.searchParams.set("digest", sha(blob));
  const put = await call(to, "PUT", `${loc.pathname}${loc.search}`, { headers: { "Content-Length": blob.length, "Content-Type": "application/octet-stream" }, body: blob });
  const body = await text(put);
  if (put.statusCode !== 201) throw new Error(`${reg.name}: PUT blob ${put.statusCode} ${body}`);
}

async function putManifest(reg: Registry, repo: string, tag: string, img: Image): Promise<void> {
  const res = await call({ host: "127.0.0.1", port: reg.port }, "PUT", `/v2/${repo}/manifests/${tag}`, {
    headers: { "Content-Type": "application/vnd.docker.distribution.manifest.v2+json", "Content-Length": img.manifest.length }, body: img.manifest,
  });
  const body = await text(res);
  if (res.statusCode !== 201) throw new Error(`${reg.name}: PUT manifest ${res.statusCode} ${body}`);
}

async function downloadBlob(reg: Registry, repo: string, blob: Buffer): Promise<void> {
  const res = await call({ host: "127.0.0.1", port: reg.port }, "GET", `/v2/${repo}/blobs/${sha(blob)}`);
  const n = await drain(res);
  if (res.statusCode !== 200 || n !== blob.length) throw new Error(`${reg.name}: GET blob ${res.statusCode}, ${n} bytes`);
}

// ---------------------------------------------------------------- daemons

interface Daemon { name: string; sock: string; proc: Proc; dir: string }

async function ping(sock: string): Promise<boolean> {
  const res = await call({ socketPath: sock }, "GET", "/_ping");
  await drain(res);
  return res.statusCode === 200;
}

async function startBerthd(dir: string): Promise<Daemon> {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "daemon.json"), "{}");
  const sock = join(dir, "berth.sock");
  const proc = start(process.execPath, [DAEMON_MAIN, "--data-root", join(dir, "data"), "--exec-root", join(dir, "exec"), "-H", `unix://${sock}`,
    "--config-file", join(dir, "daemon.json")], join(dir, "log"));
  await until("berthd", proc, () => ping(sock));
  return { name: "berthd", sock, proc, dir };
}

async function startDockerd(dir: string): Promise<Daemon> {
  mkdirSync(dir, { recursive: true });
  const major = Number(/version (\d+)\./.exec(execFileSync("dockerd", ["--version"]).toString())?.[1] ?? "0");
  writeFileSync(join(dir, "daemon.json"), JSON.stringify(major > 0 && major < 23 ? { "deprecated-key-path": join(dir, "key.json") } : {}));
  const sock = join(dir, "docker.sock");
  const proc = start("dockerd", [
    "--data-root", join(dir, "data"), "--exec-root", join(dir, "exec"), "--pidfile", join(dir, "dockerd.pid"),
    "-H", `unix://${sock}`, "--config-file", join(dir, "daemon.json"),
    "--bridge", "none", "--iptables=false", "--ip6tables=false", "--ip-forward=false", "--ip-masq=false", "--userland-proxy=false",
    // The default -500 needs CAP_SYS_RESOURCE, which this machine's bounding set lacks.
    "--oom-score-adjust", "0", "--exec-opt", "native.cgroupdriver=cgroupfs",
    "--storage-driver", "overlay2",
  ], join(dir, "log"));
  await until("dockerd", proc, () => ping(sock));
  return { name: "dockerd", sock, proc, dir };
}

async function load(d: Daemon, archive: string): Promise<void> {
  await engineStream(d.sock, "POST", "/images/load?quiet=1", { headers: { "Content-Type": "application/x-tar" }, body: createReadStream(archive) });
}

async function pullImage(d: Daemon, ref: string): Promise<void> {
  const [name, tag] = [ref.slice(0, ref.lastIndexOf(":")), ref.slice(ref.lastIndexOf(":") + 1)];
  await engineStream(d.sock, "POST", `/images/create?fromImage=${encodeURIComponent(name)}&tag=${encodeURIComponent(tag)}`, { headers: { "X-Registry-Auth": AUTH } });
}

async function pushImage(d: Daemon, ref: string): Promise<void> {
  const [name, tag] = [ref.slice(0, ref.lastIndexOf(":")), ref.slice(ref.lastIndexOf(":") + 1)];
  await engineStream(d.sock, "POST", `/images/${encodeURIComponent(name)}/push?tag=${encodeURIComponent(tag)}`, { headers: { "X-Registry-Auth": AUTH } });
}

async function tagImage(d: Daemon, src: string, ref: string): Promise<void> {
  const [name, tag] = [ref.slice(0, ref.lastIndexOf(":")), ref.slice(ref.lastIndexOf(":") + 1)];
  const res = await call({ socketPath: d.sock }, "POST", `/images/${encodeURIComponent(src)}/tag?repo=${encodeURIComponent(name)}&tag=${encodeURIComponent(tag)}`);
  const body = await text(res);
  if (res.statusCode !== 201 && res.statusCode !== 200) throw new Error(`${d.name}: tag ${ref}: ${res.statusCode} ${body}`);
}

// ---------------------------------------------------------------- measuring

const samples = new Map<string, number[]>();
function record(key: string, v: number): void {
  samples.set(key, [...(samples.get(key) ?? []), v]);
}

/** CPU seconds (user + system, with waited-for children) of the processes `pids`. */
function cpuSeconds(pids: number[]): number {
  let ticks = 0;
  for (const pid of pids) {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // fields 14-17 of proc(5): utime stime cutime cstime (f[0] is field 3)
    for (const i of [11, 12, 13, 14]) ticks += Number(f[i]);
  }
  return ticks / 100;
}

/** Time `fn`; with `cpuOf`, also record the CPU seconds those processes spent meanwhile. */
async function timed(key: string, fn: () => Promise<void>, cpuOf?: number[]): Promise<number> {
  const c0 = cpuOf !== undefined ? cpuSeconds(cpuOf) : 0;
  const t0 = now();
  await fn();
  const ms = now() - t0;
  record(key, ms);
  if (cpuOf !== undefined) record(`cpu ${key}`, cpuSeconds(cpuOf) - c0);
  return ms;
}

/** The daemon's pid and, for dockerd, its managed containerd's. */
function daemonPids(d: Daemon): number[] {
  const pids = [d.proc.child.pid as number];
  const ctr = join(d.dir, "exec", "containerd", "containerd.pid");
  if (existsSync(ctr)) pids.push(Number(readFileSync(ctr, "utf8").trim()));
  return pids;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

function rotate<T>(xs: T[], k: number): T[] {
  const i = k % xs.length;
  return [...xs.slice(i), ...xs.slice(0, i)];
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error("run as root (dockerd and berthd need it)");
  for (const bin of ["dockerd", "docker-registry"]) {
    try {
      execFileSync("sh", ["-c", `command -v ${bin}`], { stdio: "ignore" });
    } catch {
      throw new Error(`${bin} is missing: apt-get install docker.io docker-registry`);
    }
  }
  const work = mkdtempSync(join(tmpdir(), "berth-bench-dist-"));
  const procs: Proc[] = [];
  const daemons: Daemon[] = [];
  try {
    console.error(`making two ${LAYERS}-layer images of ${Number(argv["size-mb"])} MB of random data...`);
    const seed = await makeImage("seed");
    const local = await makeImage("local");
    const archive = join(work, "local.tar");
    await writeArchive(local, "bench/local:latest", archive);

    for (const start of [startDockerd, startBerthd]) {
      const d = await start(join(work, start === startDockerd ? "dockerd" : "berthd"));
      daemons.push(d);
      procs.push(d.proc);
      await timed(`load ${d.name}`, () => load(d, archive));
    }
    const mb = seed.bytes / 1e6;

    for (let round = 0; round < ROUNDS; round++) {
      console.error(`round ${round + 1}/${ROUNDS}`);
      const regs = [await startDockerRegistry(join(work, `r${round}-dr`)), await startBerthRegistry(join(work, `r${round}-br`))];
      try {
        // Registry throughput: the same client, the same blobs, layers in parallel.
        for (const reg of rotate(regs, round)) {
          const ms = await timed(`upload ${reg.name}`, () => Promise.all(seed.layers.map((l) => uploadBlob(reg, "seed/img", l))).then(() => undefined), [reg.proc.child.pid as number]);
          record(`upload MB/s ${reg.name}`, mb / (ms / 1000));
          await uploadBlob(reg, "seed/img", seed.config);
          await putManifest(reg, "seed/img", "latest", seed);
        }
        for (const reg of rotate(regs, round)) {
          const ms = await timed(`download ${reg.name}`, () => Promise.all(seed.layers.map((l) => downloadBlob(reg, "seed/img", l))).then(() => undefined), [reg.proc.child.pid as number]);
          record(`download MB/s ${reg.name}`, mb / (ms / 1000));
          const one = seed.layers[0] as Buffer;
          const ms1 = await timed(`download1 ${reg.name}`, () => downloadBlob(reg, "seed/img", one));
          record(`download1 MB/s ${reg.name}`, one.length / 1e6 / (ms1 / 1000));
        }
        // Pulls of identical content, every daemon from every registry.
        const pairs = daemons.flatMap((d) => regs.map((r) => [d, r] as const));
        for (const [d, reg] of rotate(pairs, round)) {
          const ref = `127.0.0.1:${reg.port}/seed/img:latest`;
          await removeImage(d.sock, ref);
          await timed(`pull ${d.name} <- ${reg.name}`, () => pullImage(d, ref), daemonPids(d));
          await removeImage(d.sock, ref);
        }
        // Pushes of the loaded image to a fresh repository.
        for (const [d, reg] of rotate(pairs, round + 1)) {
          const ref = `127.0.0.1:${reg.port}/push/${d.name}:r${round}`;
          await tagImage(d, "bench/local:latest", ref);
          await timed(`push ${d.name} -> ${reg.name}`, () => pushImage(d, ref), daemonPids(d));
          await removeImage(d.sock, ref);
        }
      } finally {
        for (const r of regs) {
          await stop(r.proc, "SIGKILL");
          rmSync(r.dir, { recursive: true, force: true });
        }
      }
    }

    const s = (k: string): number[] => samples.get(k) ?? [];
    const fmtS = (k: string): string => `${(median(s(k)) / 1000).toFixed(2)} s (${s(k).map((v) => (v / 1000).toFixed(2)).join(", ")})`;
    const fmtR = (k: string): string => `${median(s(k)).toFixed(0)} MB/s (${s(k).map((v) => v.toFixed(0)).join(", ")})`;
    console.log(`\n${ROUNDS} rounds, ${LAYERS} layers, ${mb.toFixed(0)} MB (gzip level 1 of random data); ${cpus().length} CPUs, kernel ${release()}, load ${loadavg().map((l) => l.toFixed(1)).join(" ")}\n`);
    console.log("| registry (same HTTP client) | upload, layers in parallel | download, layers in parallel | download, one layer |");
    console.log("|---|---|---|---|");
    for (const r of ["docker-registry", "berth registry"]) console.log(`| ${r} | ${fmtR(`upload MB/s ${r}`)} | ${fmtR(`download MB/s ${r}`)} | ${fmtR(`download1 MB/s ${r}`)} |`);
    console.log("\n| daemon | pull from docker-registry | pull from berth registry | push to docker-registry | push to berth registry |");
    console.log("|---|---|---|---|---|");
    for (const d of ["dockerd", "berthd"]) {
      console.log(`| ${d} | ${fmtS(`pull ${d} <- docker-registry`)} | ${fmtS(`pull ${d} <- berth registry`)} | ${fmtS(`push ${d} -> docker-registry`)} | ${fmtS(`push ${d} -> berth registry`)} |`);
    }
    const fmtC = (k: string): string => `${median(s(`cpu ${k}`)).toFixed(2)} s`;
    console.log("\nCPU seconds (user + system) spent by the daemon (dockerd: with its containerd and helper processes) or the registry process, medians:\n");
    console.log("| daemon | pull from docker-registry | pull from berth registry | push to docker-registry | push to berth registry |");
    console.log("|---|---|---|---|---|");
    for (const d of ["dockerd", "berthd"]) {
      console.log(`| ${d} | ${fmtC(`pull ${d} <- docker-registry`)} | ${fmtC(`pull ${d} <- berth registry`)} | ${fmtC(`push ${d} -> docker-registry`)} | ${fmtC(`push ${d} -> berth registry`)} |`);
    }
    console.log("\n| registry | upload | download, layers in parallel |");
    console.log("|---|---|---|");
    for (const r of ["docker-registry", "berth registry"]) console.log(`| ${r} | ${fmtC(`upload ${r}`)} | ${fmtC(`download ${r}`)} |`);
    const ratio = (a: string, b: string): string => (median(s(a)) / median(s(b))).toFixed(2);
    console.log(`\npull, berth (berthd <- berth registry) / docker (dockerd <- docker-registry): ${ratio("pull berthd <- berth registry", "pull dockerd <- docker-registry")}x`);
    console.log(`push, berth / docker: ${ratio("push berthd -> berth registry", "push dockerd -> docker-registry")}x`);
    console.log(`registry download throughput, berth / docker-registry: ${(median(s("download MB/s berth registry")) / median(s("download MB/s docker-registry"))).toFixed(2)}x; upload: ${(median(s("upload MB/s berth registry")) / median(s("upload MB/s docker-registry"))).toFixed(2)}x`);
    console.log(`load of the archive: dockerd ${fmtS("load dockerd")}, berthd ${fmtS("load berthd")}`);
  } finally {
    for (const d of daemons) {
      await removeImage(d.sock, "bench/local:latest").catch(() => undefined);
    }
    for (const p of procs.reverse()) await stop(p);
    const dockerdExec = join(work, "dockerd", "exec");
    if (existsSync(dockerdExec)) {
      try {
        execFileSync("sh", ["-c", `grep -o ' ${work}[^ ]*' /proc/self/mounts | sort -r | xargs -r -n1 umount -l`], { stdio: "ignore" });
      } catch {
        // nothing mounted
      }
    }
    rmSync(work, { recursive: true, force: true });
  }
}

await main();
