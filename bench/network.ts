/**
 * The network benchmark: berthd against dockerd (Debian's docker.io), both private to this
 * run, driven by the real docker CLI, with the same busybox image (saved from berthd,
 * loaded into dockerd). Each daemon runs inside a fresh network namespace of its own (only
 * `lo` up), with its host-side clients in that namespace too, so both see the same
 * environment: only their own bridges and firewall rules on the packet path, fresh conntrack
 * and br_netfilter settings, and nothing of the host's (other daemons' tables, their hooks).
 * dockerd keeps its default networking (docker0, iptables, the userland proxy, forwarding),
 * berthd its defaults (a private bridge and nft table, kernel DNAT). The containers of each
 * engine sit under a cgroup parent of their own (`/berth-netbench-<pid>` for dockerd's,
 * `…-berth` for berth's), so neither shares a CPU share with other daemons' containers.
 *
 * Measured, interleaved per round:
 * - host → published port (127.0.0.1): TCP download throughput of a 64 MiB file from
 *   busybox httpd (`DOWNLOADS` times in one client: a Node HTTP client, and curl), and HTTP
 *   connections per second (one request each, sequential);
 * - container → container on one user network: the same download with busybox wget
 *   (`DOWNLOADS` times in one `docker exec`, minus an empty exec), and 100 sequential
 *   connections from a shell loop (likewise);
 * - the network's share of `docker run --rm busybox true`: default bridge minus `--network none`.
 *
 *   node dist/bench/network.js [--rounds 5]
 *
 * Everything this run starts is stopped by pid; data roots, mounts and the namespace removed.
 */
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, rmdirSync, writeFileSync, openSync, closeSync, type Dirent } from "node:fs";
import { request } from "node:http";
import { connect, createServer } from "node:net";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const SELF = fileURLToPath(import.meta.url);
const DAEMON_MAIN = fileURLToPath(new URL("../src/daemon/main.js", import.meta.url));
const FILE_MIB = 64;
const CONNS = 200;
const DOCKERD_CGROUP = `berth-netbench-${process.pid}`;
const BERTH_CGROUP = `berth-netbench-${process.pid}-berth`;
/**
 * Downloads per throughput sample: one 64 MiB download takes 50 ms container to container,
 * less than the spread of the `docker exec` time subtracted from it; several make the
 * transfer dominate the sample.
 */
const DOWNLOADS = 8;

const now = (): number => Number(process.hrtime.bigint()) / 1e6;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function median(v: readonly number[]): number {
  const s = [...v].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length === 0 ? Number.NaN : s.length % 2 === 1 ? (s[m] ?? 0) : ((s[m - 1] ?? 0) + (s[m] ?? 0)) / 2;
}

// ------------------------------------------------------------------ the client (run in a namespace)

/** GET the file once: bytes received. */
function getBig(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    let n = 0;
    request({ host: "127.0.0.1", port, path: "/big", agent: false }, (res) => {
      res.on("data", (c: Buffer) => { n += c.length; });
      res.on("end", () => resolve(n));
      res.on("error", reject);
    }).on("error", reject).end();
  });
}

/** GET the file `DOWNLOADS` times, one after the other: MiB/s. */
async function download(port: number): Promise<number> {
  const t0 = now();
  let n = 0;
  for (let i = 0; i < DOWNLOADS; i++) n += await getBig(port);
  return n / 1048576 / ((now() - t0) / 1000);
}

/** `CONNS` sequential one-request HTTP connections: connections per second. */
async function connRate(port: number): Promise<number> {
  const t0 = now();
  for (let i = 0; i < CONNS; i++) {
    await new Promise<void>((resolve, reject) => {
      const s = connect({ host: "127.0.0.1", port }, () => s.end("GET /small HTTP/1.0\r\n\r\n"));
      s.on("data", () => undefined);
      s.on("close", () => resolve());
      s.on("error", reject);
    });
  }
  return CONNS / ((now() - t0) / 1000);
}

async function client(kind: string, port: number): Promise<void> {
  const v = kind === "tput" ? await download(port) : await connRate(port);
  process.stdout.write(`${v}\n`);
}

// ------------------------------------------------------------------ engines

interface Engine {
  name: "berth" | "dockerd";
  env: NodeJS.ProcessEnv;
  /** Prefix for host-side client processes (nsenter into the daemon's namespace). */
  wrap: string[];
  /** Flags of every `docker run`. */
  runFlags: string[];
  logFile: string;
  stop(): Promise<void>;
}

function run(cmd: string, args: readonly string[], env: NodeJS.ProcessEnv, input?: Buffer): Promise<{ code: number; ms: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const t0 = now();
    const c = spawn(cmd, args, { env, stdio: [input !== undefined ? "pipe" : "ignore", "pipe", "pipe"] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    c.stdout?.on("data", (b: Buffer) => out.push(b));
    c.stderr?.on("data", (b: Buffer) => err.push(b));
    c.on("error", reject);
    c.on("close", (code) => resolve({ code: code ?? -1, ms: now() - t0, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() }));
    if (input !== undefined) c.stdin?.end(input);
  });
}

async function must(e: Engine, args: readonly string[]): Promise<{ ms: number; stdout: string }> {
  const r = await run("docker", args, e.env);
  if (r.code !== 0) {
    let tail = "";
    try { tail = readFileSync(e.logFile, "utf8").trimEnd().split("\n").slice(-5).join("\n"); } catch { tail = ""; }
    throw new Error(`${e.name}: docker ${args.join(" ")}: ${r.stderr.trim()}\n${tail}`);
  }
  return r;
}

function ping(socket: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ socketPath: socket, path: "/_ping", timeout: 2000 }, (res) => { res.resume(); resolve(res.statusCode === 200); });
    req.on("error", () => resolve(false));
    req.end();
  });
}

async function waitPing(socket: string, child: ChildProcess, what: string): Promise<void> {
  const end = now() + 120_000;
  while (!(await ping(socket))) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`${what} exited early`);
    if (now() > end) throw new Error(`${what} did not answer /_ping`);
    await sleep(50);
  }
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const done = new Promise((r) => child.once("exit", r));
  process.kill(child.pid, "SIGTERM");
  const t = setTimeout(() => { if (child.pid !== undefined && child.exitCode === null) process.kill(child.pid, "SIGKILL"); }, 60_000);
  await done;
  clearTimeout(t);
}

function envFor(dir: string, socket: string): NodeJS.ProcessEnv {
  mkdirSync(join(dir, "cfg"), { recursive: true });
  return { ...process.env, DOCKER_HOST: `unix://${socket}`, DOCKER_CONFIG: join(dir, "cfg"), DOCKER_CONTEXT: "" };
}

/** A fresh network namespace bound on a file, `lo` up: the environment of one daemon. */
function makeNetns(file: string): void {
  writeFileSync(file, "");
  execFileSync("unshare", [`--net=${file}`, "ip", "link", "set", "lo", "up"]);
}

async function startBerth(work: string): Promise<Engine> {
  const dir = join(work, "b");
  mkdirSync(dir, { recursive: true });
  const socket = join(dir, "berth.sock");
  const ns = join(work, "berthd-netns");
  makeNetns(ns);
  writeFileSync(join(dir, "daemon.json"), "{}");
  const log = openSync(join(dir, "berthd.log"), "a");
  const child = spawn("nsenter", [`--net=${ns}`, process.execPath, DAEMON_MAIN, "--data-root", join(dir, "data"), "--exec-root", join(dir, "e"),
    "-H", `unix://${socket}`, "--config-file", join(dir, "daemon.json")], { stdio: ["ignore", "ignore", log] });
  closeSync(log);
  await waitPing(socket, child, "berthd");
  const env = envFor(dir, socket);
  // Its containers under a parent of their own, as dockerd's (`--cgroup-parent`): not in the
  // `/berth` group that every other berthd on the machine shares, which under load would get
  // one CPU share for all of them.
  const runFlags = ["--cgroup-parent", `/${BERTH_CGROUP}`];
  return { name: "berth", env, wrap: ["nsenter", `--net=${ns}`], runFlags, logFile: join(dir, "berthd.log"), stop: () => stopChild(child) };
}

async function startDockerd(work: string, image: Buffer): Promise<Engine> {
  const dir = join(work, "d");
  mkdirSync(dir, { recursive: true });
  const socket = join(dir, "docker.sock");
  const ns = join(work, "dockerd-netns");
  makeNetns(ns);
  writeFileSync(join(dir, "daemon.json"), "{}");
  const log = openSync(join(dir, "dockerd.log"), "a");
  const child = spawn("nsenter", [`--net=${ns}`, "dockerd", "--data-root", join(dir, "data"), "--exec-root", join(dir, "exec"),
    "--pidfile", join(dir, "dockerd.pid"), "-H", `unix://${socket}`, "--config-file", join(dir, "daemon.json"),
    // The default -500 needs CAP_SYS_RESOURCE, which this machine's bounding set lacks.
    "--oom-score-adjust", "0", "--exec-opt", "native.cgroupdriver=cgroupfs", "--cgroup-parent", `/${DOCKERD_CGROUP}`],
  { stdio: ["ignore", log, log] });
  closeSync(log);
  await waitPing(socket, child, "dockerd");
  const env = envFor(dir, socket);
  const e: Engine = {
    name: "dockerd", env, wrap: ["nsenter", `--net=${ns}`], runFlags: [], logFile: join(dir, "dockerd.log"),
    async stop() {
      const cpidFile = join(dir, "exec", "containerd", "containerd.pid");
      let cpid = 0;
      try { cpid = Number(readFileSync(cpidFile, "utf8").trim()); } catch { cpid = 0; }
      await stopChild(child);
      if (cpid > 0) { try { process.kill(cpid, "SIGTERM"); } catch { /* gone */ } }
      await sleep(500);
      execFileSync("umount", ["-l", ns], { stdio: "ignore" });
    },
  };
  const r = await run("docker", ["load"], env, image);
  if (r.code !== 0) throw new Error(`dockerd: docker load: ${r.stderr}`);
  return e;
}

// ------------------------------------------------------------------ the measures

interface Setup {
  port: number;
  net: string;
}

const SERVE = `dd if=/dev/zero of=/tmp/big bs=1M count=${FILE_MIB} 2>/dev/null && echo ok > /tmp/small && exec httpd -f -p 80 -h /tmp`;

async function setup(e: Engine, port: number): Promise<Setup> {
  const net = `nb${process.pid}`;
  await must(e, ["network", "create", net]);
  await must(e, ["run", "-d", ...e.runFlags, "--name", "srv", "--network", net, "-p", `127.0.0.1:${port}:80`, "busybox", "sh", "-c", SERVE]);
  await must(e, ["run", "-d", ...e.runFlags, "--name", "cli", "--network", net, "busybox", "sleep", "100000"]);
  // Wait for the file.
  for (let i = 0; i < 100; i++) {
    const r = await run("docker", ["exec", "cli", "wget", "-qO-", "http://srv/small"], e.env);
    if (r.code === 0) break;
    await sleep(100);
  }
  return { port, net };
}

async function hostClient(e: Engine, kind: "tput" | "conn", port: number): Promise<number> {
  const [cmd, ...pre] = [...e.wrap, process.execPath];
  const r = await run(cmd as string, [...pre, SELF, "--client", kind, "--port", String(port)], process.env);
  if (r.code !== 0) throw new Error(`${e.name}: client ${kind}: ${r.stderr}`);
  return Number(r.stdout.trim());
}

/**
 * The same downloads with curl: a client that is not itself the bottleneck. The Node client
 * spends most of a CPU in JavaScript per byte, so on a 2-CPU machine it measures how the
 * remaining kernel work is spread over the CPUs as much as the path to the container.
 */
async function hostCurl(e: Engine, port: number): Promise<number> {
  const url = `http://127.0.0.1:${port}/big`;
  const [cmd, ...pre] = [...e.wrap, "curl"];
  // `-o` names the output of one URL only: one per download.
  const urls = Array.from({ length: DOWNLOADS }, () => ["-o", "/dev/null", url]).flat();
  const r = await run(cmd as string, [...pre, "-sS", "-w", "%{size_download} %{time_total}\n", ...urls], process.env);
  if (r.code !== 0) throw new Error(`${e.name}: curl: ${r.stderr}`);
  let bytes = 0;
  let seconds = 0;
  for (const line of r.stdout.trim().split("\n")) {
    const [b, t] = line.split(" ").map(Number);
    bytes += b ?? 0;
    seconds += t ?? 0;
  }
  return bytes / 1048576 / seconds;
}

async function c2cTput(e: Engine): Promise<number> {
  const base = (await must(e, ["exec", "cli", "true"])).ms;
  const loop = `i=0; while [ $i -lt ${DOWNLOADS} ]; do wget -qO /dev/null http://srv/big || exit 1; i=$((i+1)); done`;
  const r = await must(e, ["exec", "cli", "sh", "-c", loop]);
  return (DOWNLOADS * FILE_MIB) / ((r.ms - base) / 1000);
}

async function c2cConn(e: Engine): Promise<number> {
  const n = 100;
  const base = (await must(e, ["exec", "cli", "true"])).ms;
  const loop = `i=0; while [ $i -lt ${n} ]; do wget -qO /dev/null http://srv/small; i=$((i+1)); done`;
  const r = await must(e, ["exec", "cli", "sh", "-c", loop]);
  return n / ((r.ms - base) / 1000);
}

async function runLatency(e: Engine, mode: string[]): Promise<number> {
  return (await must(e, ["run", "--rm", ...e.runFlags, ...mode, "busybox", "true"])).ms;
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, "127.0.0.1", () => { const p = (s.address() as { port: number }).port; s.close(() => resolve(p)); });
  });
}

let cleanup: () => Promise<void> = async () => undefined;

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { rounds: { type: "string", default: "5" }, client: { type: "string" }, port: { type: "string" } } });
  if (values.client !== undefined) return client(values.client, Number(values.port));
  const rounds = Number(values.rounds);
  const work = mkdtempSync(join(tmpdir(), "bnb-"));
  const engines: Engine[] = [];
  let cleaning: Promise<void> | undefined;
  // Once, from the end of the run, a failure or a signal: daemons, mounts, cgroups, files.
  cleanup = () => cleaning ??= (async () => {
    for (const e of engines) {
      await run("docker", ["rm", "-f", "srv", "cli"], e.env).catch(() => undefined);
      await run("docker", ["network", "rm", `nb${process.pid}`], e.env).catch(() => undefined);
      await e.stop().catch((err: unknown) => process.stderr.write(`# stop ${e.name}: ${String(err)}\n`));
    }
    try {
      execFileSync("sh", ["-c", `grep ' ${work}' /proc/self/mountinfo | cut -d' ' -f5 | sort -r | xargs -r -n1 umount -l`], { stdio: "ignore" });
    } catch { /* nothing mounted */ }
    removeBenchCgroups();
    rmSync(work, { recursive: true, force: true });
  })();
  for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    process.once(sig, () => {
      process.stderr.write(`# ${sig}: cleaning up\n`);
      void cleanup().finally(() => process.exit(130));
    });
  }
  try {
    const berth = await startBerth(work);
    engines.push(berth);
    const image = Buffer.from(execFileSync("docker", ["save", "busybox:latest"], { env: berth.env, maxBuffer: 1 << 28 }));
    const dockerd = await startDockerd(work, image);
    engines.push(dockerd);
    const ports = new Map<Engine, number>();
    for (const e of engines) ports.set(e, (await setup(e, await freePort())).port);
    const names = ["host→published: MiB/s", "host→published (curl): MiB/s", "host→published: conn/s", "container→container: MiB/s",
      "container→container: conn/s", "run --rm true, --network none: ms", "run --rm true, default bridge: ms"] as const;
    const samples = new Map<string, number[]>();
    const add = (e: Engine, k: string, v: number) => samples.set(`${e.name}|${k}`, [...(samples.get(`${e.name}|${k}`) ?? []), v]);
    for (let r = 0; r < rounds; r++) {
      const order = r % 2 === 0 ? engines : [...engines].reverse();
      for (const e of order) {
        const port = ports.get(e) as number;
        add(e, names[0], await hostClient(e, "tput", port));
        add(e, names[1], await hostCurl(e, port));
        add(e, names[2], await hostClient(e, "conn", port));
        add(e, names[3], await c2cTput(e));
        add(e, names[4], await c2cConn(e));
        add(e, names[5], await runLatency(e, ["--network", "none"]));
        add(e, names[6], await runLatency(e, []));
      }
      process.stderr.write(`# round ${r + 1}/${rounds} done\n`);
    }
    const out: string[] = [];
    out.push(`rounds: ${rounds}, ${cpus().length} CPUs, load ${loadavg().map((x) => x.toFixed(1)).join(" ")}`, "");
    out.push("| measure | berth (median) | dockerd (median) | berth / dockerd |", "|---|---|---|---|");
    for (const k of names) {
      const b = median(samples.get(`berth|${k}`) ?? []);
      const d = median(samples.get(`dockerd|${k}`) ?? []);
      out.push(`| ${k} | ${b.toFixed(1)} | ${d.toFixed(1)} | ${(b / d).toFixed(2)}x |`);
    }
    const share = (n: string) => median(samples.get(`${n}|${names[6]}`) ?? []) - median(samples.get(`${n}|${names[5]}`) ?? []);
    out.push("", `network share of run (default bridge − none, medians): berth ${share("berth").toFixed(1)} ms, dockerd ${share("dockerd").toFixed(1)} ms`);
    process.stdout.write(`${out.join("\n")}\n`);
  } finally {
    await cleanup();
  }
}

/** Remove a cgroup directory and whatever is left below it, deepest first (the processes are gone). */
function removeCgroupTree(dir: string): void {
  let entries: Dirent[];
  try { entries = readdirSync(dir, { withFileTypes: true }); } catch { return; }
  for (const d of entries) if (d.isDirectory()) removeCgroupTree(join(dir, d.name));
  try { rmdirSync(dir); } catch { /* busy or gone: reported by the caller's check */ }
}

/**
 * The two engines' cgroup parents in every hierarchy, the v1 ones and the cgroup2 mount
 * (`unified`, where dockerd makes the hugetlb cgroups): left behind, they would pile up run
 * after run.
 */
function removeBenchCgroups(): void {
  let hierarchies: string[];
  try { hierarchies = readdirSync("/sys/fs/cgroup"); } catch { return; }
  for (const h of hierarchies) {
    for (const name of [DOCKERD_CGROUP, BERTH_CGROUP]) {
      const dir = join("/sys/fs/cgroup", h, name);
      removeCgroupTree(dir);
      if (existsSync(dir)) process.stderr.write(`# could not remove ${dir}\n`);
    }
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench/network: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  process.exit(1);
});
