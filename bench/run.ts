/**
 * The daemon benchmark: berthd against dockerd (Debian's docker.io), both private to this
 * run, both driven by the real docker CLI (`docker -H unix://...`), with the same busybox
 * image (saved from berthd, loaded into dockerd; nothing is pulled). Measured interleaved:
 *
 * - `docker run --rm --network none busybox true`, per call;
 * - `docker exec <c> true` into one running container per engine;
 * - a container writing 100 MB to stdout: attached `docker run` and `docker logs`;
 * - 50 containers started with `docker run -d`, 8 at a time;
 * - the daemon's idle RSS after those (dockerd + its containerd; the shims apart);
 * - daemon start to the first `/_ping` 200 with 100 containers on record, and to the first
 *   `GET /containers/json` answered with the 100 (berthd holds it until it is ready).
 *
 * Prints markdown tables (median, p90, ratios). Figures and the command are recorded in
 * bench/RESULTS.md ("Daemon").
 *
 *   node dist/bench/run.js [--iterations 20] [--warmup 2] [--big-iterations 1] [--only berth,dockerd]
 *
 * Everything this run starts is stopped by pid, its data roots, mounts and cgroups removed.
 */
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import {
  chmodSync, closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, readdirSync, rmSync, rmdirSync,
  statSync, writeFileSync,
} from "node:fs";
import { request } from "node:http";
import { cpus, loadavg, release, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { BERTHD_NODE_FLAGS } from "../src/daemon/node-flags.js";

const DAEMON_MAIN = fileURLToPath(new URL("../src/daemon/main.js", import.meta.url));
const ENGINES = ["berth", "dockerd"] as const;
type EngineName = (typeof ENGINES)[number];
const IMAGE = "busybox:latest";
/** Bytes the big-output container writes: lines of 100 bytes. */
const BIG_BYTES = 100_000_000;
const BIG_CMD = `yes ${"x".repeat(99)} | head -c ${BIG_BYTES}`;

function now(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Result of one CLI call. */
interface CallResult {
  code: number;
  ms: number;
  stdout: string;
  stderr: string;
}

/**
 * Run a command; stdout goes to `stdoutFile` when given (big outputs), else it is
 * collected. stdin is /dev/null.
 */
function call(cmd: string, args: readonly string[], env: NodeJS.ProcessEnv, stdoutFile?: string): Promise<CallResult> {
  return new Promise((resolve, reject) => {
    const outFd = stdoutFile !== undefined ? openSync(stdoutFile, "w") : undefined;
    const t0 = now();
    const child = spawn(cmd, args, { env, stdio: ["ignore", outFd ?? "pipe", "pipe"] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout?.on("data", (c: Buffer) => out.push(c));
    child.stderr?.on("data", (c: Buffer) => err.push(c));
    child.once("error", (e) => {
      if (outFd !== undefined) closeSync(outFd);
      reject(e);
    });
    child.once("close", (code) => {
      const ms = now() - t0;
      if (outFd !== undefined) closeSync(outFd);
      resolve({ code: code ?? -1, ms, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() });
    });
  });
}

function ping(socket: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ socketPath: socket, path: "/_ping", timeout: 2000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on("error", () => resolve(false));
    req.on("timeout", () => req.destroy());
    req.end();
  });
}

/** Poll /_ping every `everyMs` until 200; returns the ms since `t0`. */
async function waitPing(socket: string, child: ChildProcess, t0: number, everyMs: number, timeoutMs: number, what: string): Promise<number> {
  const end = t0 + timeoutMs;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`${what} exited early (${child.exitCode ?? child.signalCode})`);
    if (await ping(socket)) return now() - t0;
    if (now() > end) throw new Error(`${what} did not answer /_ping within ${timeoutMs} ms`);
    await sleep(everyMs);
  }
}

/**
 * After the first /_ping: ms since `t0` until `GET /containers/json?all=1` is answered with
 * `want` containers (berthd answers /_ping before it is ready and holds this request).
 */
async function waitList(socket: string, t0: number, want: number): Promise<number> {
  for (let tries = 0; tries < 1000; tries++) {
    const n = await new Promise<number>((resolve) => {
      const req = request({ socketPath: socket, path: "/containers/json?all=1", timeout: 120_000 }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          try {
            resolve(res.statusCode === 200 ? (JSON.parse(Buffer.concat(chunks).toString()) as unknown[]).length : -1);
          } catch {
            resolve(-1);
          }
        });
      });
      req.on("error", () => resolve(-1));
      req.on("timeout", () => req.destroy());
      req.end();
    });
    if (n === want) return now() - t0;
    if (n >= 0) throw new Error(`containers/json listed ${n} containers after a restart, want ${want}`);
    await sleep(1);
  }
  throw new Error("containers/json did not answer after a restart");
}

function alive(pid: number): boolean {
  try {
    return !/\) [ZX] /.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return false;
  }
}

/** VmRSS of a process in KiB (0 when gone). */
function rssKiB(pid: number): number {
  try {
    const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return Number(m?.[1] ?? 0);
  } catch {
    return 0;
  }
}

/** Pids of processes whose /proc/<pid>/exe basename is `name` and whose cmdline mentions `needle`. */
function pidsOf(name: string, needle: string): number[] {
  const out: number[] = [];
  for (const e of readdirSync("/proc")) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const cmd = readFileSync(`/proc/${e}/cmdline`, "utf8");
      const argv0 = cmd.split("\0")[0] ?? "";
      if ((argv0 === name || argv0.endsWith(`/${name}`)) && cmd.includes(needle)) out.push(Number(e));
    } catch {
      // gone
    }
  }
  return out;
}

async function stopProcess(child: ChildProcess, graceMs: number): Promise<void> {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once("exit", () => r()));
  process.kill(child.pid, "SIGTERM");
  const timer = setTimeout(() => {
    if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) process.kill(child.pid, "SIGKILL");
  }, graceMs);
  await exited;
  clearTimeout(timer);
}

async function stopPid(pid: number, graceMs: number): Promise<void> {
  if (!alive(pid)) return;
  try {
    process.kill(pid, "SIGTERM");
  } catch {
    return;
  }
  const end = now() + graceMs;
  while (alive(pid) && now() < end) await sleep(50);
  if (alive(pid)) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // gone
    }
  }
}

function unmountUnder(dir: string): void {
  const points = readFileSync("/proc/self/mountinfo", "utf8").split("\n").map((l) => l.split(" ")[4])
    .filter((p): p is string => p !== undefined && (p === dir || p.startsWith(`${dir}/`)));
  for (const p of [...new Set(points)].sort((a, b) => b.length - a.length)) {
    try {
      execFileSync("umount", ["-l", p], { stdio: "ignore" });
    } catch {
      // gone with its parent
    }
  }
}

/** Remove the cgroup `/<name>` (and children) from every hierarchy. */
function removeCgroupTree(name: string): void {
  const rm = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) if (e.isDirectory()) rm(join(d, e.name));
    rmdirSync(d);
  };
  for (const h of readdirSync("/sys/fs/cgroup")) {
    const d = join("/sys/fs/cgroup", h, name);
    if (existsSync(d)) {
      try {
        rm(d);
      } catch (err) {
        console.error(`# remove cgroup ${d}: ${(err as Error).message}`);
      }
    }
  }
}

/** One daemon under test and the docker CLI pointed at it. */
interface Engine {
  readonly name: EngineName;
  readonly socket: string;
  readonly env: NodeJS.ProcessEnv;
  docker(args: readonly string[], stdoutFile?: string): Promise<CallResult>;
  /** Must succeed: throws with the CLI's stderr otherwise. */
  must(args: readonly string[], stdoutFile?: string): Promise<CallResult>;
  /** Daemon pids whose RSS counts as "the daemon" (berthd; dockerd + containerd). */
  daemonPids(): number[];
  /** Per-container helper processes (berth-shim; containerd-shim). */
  shimPids(): number[];
  /** Stop the daemon and start it again; ms from spawn to the first /_ping 200, and to the list of `want` containers. */
  restart(want: number): Promise<{ ping: number; list: number }>;
  close(): Promise<void>;
}

const DOCKER = "docker";

function dockerEnv(dir: string, socket: string): NodeJS.ProcessEnv {
  mkdirSync(join(dir, "docker-config"), { recursive: true });
  const env: NodeJS.ProcessEnv = { ...process.env, DOCKER_HOST: `unix://${socket}`, DOCKER_CONFIG: join(dir, "docker-config"), DOCKER_CONTEXT: "" };
  delete env.DOCKER_TLS_VERIFY;
  delete env.DOCKER_CERT_PATH;
  return env;
}

function logTail(file: string): string {
  try {
    return readFileSync(file, "utf8").trimEnd().split("\n").slice(-8).join("\n");
  } catch {
    return "";
  }
}

function engineCalls(name: EngineName, env: NodeJS.ProcessEnv, logFile: string): Pick<Engine, "docker" | "must"> {
  const docker = (args: readonly string[], stdoutFile?: string) => call(DOCKER, args, env, stdoutFile);
  return {
    docker,
    async must(args, stdoutFile) {
      const r = await docker(args, stdoutFile);
      if (r.code !== 0) throw new Error(`${name}: docker ${args.join(" ")}: exit ${r.code}: ${r.stderr.trim()}\n${name} log:\n${logTail(logFile)}`);
      return r;
    },
  };
}

/**
 * berthd on its own data root, exec root and socket. NODE_EXTRA_CA_CERTS is unset for it:
 * this sandbox sets it, and it makes every Node start read the whole CA bundle (about
 * 40 ms here) for TLS that a loopback benchmark never uses.
 */
async function startBerth(work: string): Promise<Engine> {
  const dir = join(work, "b");
  mkdirSync(dir, { recursive: true });
  const socket = join(dir, "berth.sock");
  writeFileSync(join(dir, "daemon.json"), "{}");
  const daemonEnv = { ...process.env };
  delete daemonEnv.NODE_EXTRA_CA_CERTS;
  let child: ChildProcess;
  const spawnIt = () => {
    const log = openSync(join(dir, "berthd.log"), "a");
    try {
      child = spawn(process.execPath, [...BERTHD_NODE_FLAGS, DAEMON_MAIN, "--data-root", join(dir, "data"), "--exec-root", join(dir, "e"),
        "-H", `unix://${socket}`, "--pidfile", join(dir, "berthd.pid"), "--config-file", join(dir, "daemon.json")],
      { stdio: ["ignore", "ignore", log], env: daemonEnv });
    } finally {
      closeSync(log);
    }
    return child;
  };
  const t0 = now();
  await waitPing(socket, spawnIt(), t0, 20, 120_000, "berthd");
  const env = dockerEnv(dir, socket);
  const calls = engineCalls("berth", env, join(dir, "berthd.log"));
  return {
    name: "berth", socket, env, ...calls,
    daemonPids: () => (child.pid !== undefined ? [child.pid] : []),
    shimPids: () => pidsOf("berth-shim", dir),
    async restart(want: number) {
      await stopProcess(child, 60_000);
      const t = now();
      const ping = await waitPing(socket, spawnIt(), t, 1, 120_000, "berthd");
      return { ping, list: await waitList(socket, t, want) };
    },
    async close() {
      const ids = (await calls.docker(["ps", "-aq"])).stdout.split("\n").filter((l) => l !== "");
      if (ids.length > 0) await calls.docker(["rm", "-f", ...ids]);
      await stopProcess(child, 60_000);
    },
  };
}

/**
 * A private dockerd (Debian's docker.io): own data root, exec root (its managed containerd
 * lives there), socket, pid file and daemon.json; no bridge, no iptables, no forwarding;
 * cgroups under `/<cgroupParent>`. overlay2, its default storage driver.
 */
async function startDockerd(work: string, cgroupParent: string): Promise<Engine> {
  const dir = join(work, "dockerd");
  mkdirSync(dir, { recursive: true });
  chmodSync(dir, 0o755);
  const socket = join(dir, "docker.sock");
  const v = execFileSync("dockerd", ["--version"], { encoding: "utf8" });
  const major = Number(/version (\d+)\./.exec(v)?.[1] ?? "0");
  // dockerd before 23 writes a trust key to /etc/docker/key.json unless told otherwise.
  writeFileSync(join(dir, "daemon.json"), JSON.stringify(major > 0 && major < 23 ? { "deprecated-key-path": join(dir, "key.json") } : {}));
  const env = dockerEnv(dir, socket);
  let child: ChildProcess;
  const spawnIt = () => {
    const log = openSync(join(dir, "dockerd.log"), "a");
    try {
      child = spawn("dockerd", [
        "--data-root", join(dir, "data"), "--exec-root", join(dir, "exec"), "--pidfile", join(dir, "dockerd.pid"),
        "-H", `unix://${socket}`, "--config-file", join(dir, "daemon.json"),
        "--bridge", "none", "--iptables=false", "--ip6tables=false", "--ip-forward=false", "--ip-masq=false",
        "--userland-proxy=false",
        // The default -500 needs CAP_SYS_RESOURCE, which this machine's bounding set lacks.
        "--oom-score-adjust", "0",
        "--exec-opt", "native.cgroupdriver=cgroupfs", "--cgroup-parent", `/${cgroupParent}`,
      ], { stdio: ["ignore", log, log], env });
    } finally {
      closeSync(log);
    }
    return child;
  };
  const containerdPid = () => {
    const f = join(dir, "exec", "containerd", "containerd.pid");
    return existsSync(f) ? Number(readFileSync(f, "utf8").trim()) : 0;
  };
  const stopAll = async () => {
    const cpid = containerdPid();
    await stopProcess(child, 60_000);
    // dockerd stops its managed containerd on a clean exit; not after a SIGKILL.
    if (cpid > 0) await stopPid(cpid, 30_000);
  };
  const t0 = now();
  await waitPing(socket, spawnIt(), t0, 20, 120_000, "dockerd");
  const calls = engineCalls("dockerd", env, join(dir, "dockerd.log"));
  return {
    name: "dockerd", socket, env, ...calls,
    daemonPids: () => [child.pid ?? 0, containerdPid()].filter((p) => p > 0),
    shimPids: () => pidsOf("containerd-shim-runc-v2", dir),
    async restart(want: number) {
      await stopAll();
      const t = now();
      const ping = await waitPing(socket, spawnIt(), t, 1, 120_000, "dockerd");
      return { ping, list: await waitList(socket, t, want) };
    },
    async close() {
      const ids = (await calls.docker(["ps", "-aq"])).stdout.split("\n").filter((l) => l !== "");
      if (ids.length > 0) await calls.docker(["rm", "-f", ...ids]);
      await stopAll();
    },
  };
}

/** Nearest-rank percentile of sorted values. */
function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i] ?? Number.NaN;
}

function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  if (s.length === 0) return Number.NaN;
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[mid] ?? Number.NaN) : ((s[mid - 1] ?? 0) + (s[mid] ?? 0)) / 2;
}

function fmt(ms: number): string {
  return Number.isFinite(ms) ? ms.toFixed(1) : "-";
}

/** A measure: per engine the samples, the unit, and the target for berth. */
interface Measure {
  title: string;
  unit: "ms" | "MiB";
  samples: Map<EngineName, number[]>;
  target: string;
  /** Does berth's median meet the target, given both medians? */
  meets: (berth: number, dockerd: number | undefined) => boolean;
}

function measure(title: string, unit: Measure["unit"], target: string, meets: Measure["meets"]): Measure {
  return { title, unit, samples: new Map(), target, meets };
}

function add(m: Measure, e: EngineName, v: number): void {
  const a = m.samples.get(e) ?? [];
  a.push(v);
  m.samples.set(e, a);
}

function summaryTable(ms: readonly Measure[]): string {
  const lines = [
    "| measure | berth median | berth p90 | dockerd median | dockerd p90 | berth / dockerd | target (berth) | met |",
    "|---|---|---|---|---|---|---|---|",
  ];
  for (const m of ms) {
    const b = [...(m.samples.get("berth") ?? [])].sort((x, y) => x - y);
    const d = [...(m.samples.get("dockerd") ?? [])].sort((x, y) => x - y);
    const bm = median(b);
    const dm = d.length > 0 ? median(d) : undefined;
    const ratio = dm !== undefined && Number.isFinite(bm) && dm > 0 ? `${(bm / dm).toFixed(3)}x` : "-";
    const met = Number.isFinite(bm) ? (m.meets(bm, dm) ? "yes" : "**no**") : "-";
    const n = (a: readonly number[]) => (a.length > 1 ? ` (n=${a.length})` : "");
    lines.push(`| ${m.title} (${m.unit}) | ${fmt(bm)}${n(b)} | ${b.length > 1 ? fmt(percentile(b, 90)) : "-"} | ${dm !== undefined ? fmt(dm) : "-"}${n(d)} | ${d.length > 1 ? fmt(percentile(d, 90)) : "-"} | ${ratio} | ${m.target} | ${met} |`);
  }
  return lines.join("\n");
}

/** Rotate the engine order every iteration, so neither always goes first. */
function rotated<T>(xs: readonly T[], i: number): T[] {
  return xs.map((_, k) => xs[(k + i) % xs.length] as T);
}

function fileSize(p: string): number {
  try {
    return statSync(p).size;
  } catch {
    return -1;
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      iterations: { type: "string", short: "n", default: "20" },
      warmup: { type: "string", default: "2" },
      "big-iterations": { type: "string", default: "1" },
      only: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help === true) {
    console.log("usage: node dist/bench/run.js [--iterations N] [--warmup N] [--big-iterations N] [--only berth,dockerd]");
    return;
  }
  const iterations = Number(values.iterations);
  const warmup = Number(values.warmup);
  const bigIterations = Number(values["big-iterations"]);
  for (const [k, v, min] of [["iterations", iterations, 1], ["warmup", warmup, 0], ["big-iterations", bigIterations, 0]] as const) {
    if (!Number.isInteger(v) || v < min) throw new RangeError(`invalid --${k} "${String(v)}": want an integer >= ${min}`);
  }
  const only = values.only?.split(",").map((s) => s.trim()) ?? [...ENGINES];
  for (const n of only) if (!(ENGINES as readonly string[]).includes(n)) throw new RangeError(`invalid --only "${n}": want one of ${ENGINES.join(", ")}`);
  if (!only.includes("berth")) throw new RangeError("invalid --only: berth is always measured");
  if (process.getuid?.() !== 0) throw new Error("the daemon benchmark needs root");
  if (only.includes("dockerd")) {
    try {
      execFileSync("sh", ["-c", "command -v dockerd && command -v containerd"], { stdio: "ignore" });
    } catch {
      console.error("# dockerd missing: apt-get install -y docker.io");
      execFileSync("apt-get", ["-o", "DPkg::Lock::Timeout=600", "install", "-y", "-qq", "docker.io"], { stdio: "ignore", env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" } });
    }
  }

  // Short: berth-shim's socket path (<exec-root>/shim/<64 hex>/shim.sock) must fit sun_path.
  const work = mkdtempSync(join(tmpdir(), "bbd-"));
  chmodSync(work, 0o755);
  const cgroupParent = `berth-bench-dockerd-${process.pid}`;
  const engines: Engine[] = [];
  const log = (s: string) => console.error(`# ${new Date().toISOString().slice(11, 19)} ${s}`);
  try {
    log("starting berthd");
    const berth = await startBerth(work);
    engines.push(berth);
    if (only.includes("dockerd")) {
      log("starting dockerd");
      const dockerd = await startDockerd(work, cgroupParent);
      engines.push(dockerd);
      // The same image in both: berth's seed, saved and loaded (never pulled).
      const tar = join(work, "busybox.tar");
      await berth.must(["save", "-o", tar, IMAGE]);
      await dockerd.must(["load", "-i", tar]);
      rmSync(tar);
    }
    const versions = await Promise.all(engines.map(async (e) => `${e.name}: ${(await e.must(["version", "--format", "{{.Server.Version}} (API {{.Server.APIVersion}})"])).stdout.trim()}`));
    const client = (await berth.must(["version", "--format", "{{.Client.Version}}"])).stdout.trim();

    const ping = measure("`docker version` (CLI round trip, for reference)", "ms", "-", () => true);
    const run = measure("`docker run --rm busybox true`", "ms", "<= 1/4 of dockerd", (b, d) => d === undefined || b <= d / 4);
    const exec = measure("`docker exec c true`", "ms", "<= 1/3 of dockerd", (b, d) => d === undefined || b <= d / 3);
    const bigRun = measure("100 MB to stdout, attached `docker run`", "ms", "<= 2000 ms", (b) => b <= 2000);
    const bigLogs = measure("100 MB, `docker logs`", "ms", "<= 2000 ms", (b) => b <= 2000);
    const fifty = measure("50 × `docker run -d`, 8 at a time", "ms", "<= 1/4 of dockerd", (b, d) => d === undefined || b <= d / 4);
    const rss = measure("daemon RSS, idle with 50 running (dockerd: + containerd)", "MiB", "<= 60 MiB", (b) => b <= 60);
    const shimRss = measure("per-container shim RSS, mean of 50", "MiB", "-", () => true);
    const startup = measure("daemon start to first `/_ping` 200, 100 containers on record", "ms", "<= 100 ms", (b) => b <= 100);
    const startupList = measure("daemon start to `GET /containers/json` with the 100", "ms", "-", () => true);

    // 1. run --rm true, and the CLI's own round trip.
    log(`run --rm true and version: ${warmup} warm-up + ${iterations} iterations`);
    for (let i = 0; i < warmup + iterations; i++) {
      for (const e of rotated(engines, i)) {
        const v = await e.must(["version", "--format", "{{.Server.Version}}"]);
        const r = await e.must(["run", "--rm", "--network", "none", IMAGE, "true"]);
        if (i >= warmup) {
          add(ping, e.name, v.ms);
          add(run, e.name, r.ms);
        }
      }
    }

    // 2. exec into one running container per engine.
    log("exec true");
    const execName = `bench-exec-${process.pid}`;
    for (const e of engines) await e.must(["run", "-d", "--name", execName, "--network", "none", IMAGE, "sleep", "100000"]);
    for (let i = 0; i < warmup + iterations; i++) {
      for (const e of rotated(engines, i)) {
        const r = await e.must(["exec", execName, "true"]);
        if (i >= warmup) add(exec, e.name, r.ms);
      }
    }
    for (const e of engines) await e.must(["rm", "-f", execName]);

    // 3. 100 MB to stdout: attached run, then logs of the same container.
    log(`100 MB output: ${bigIterations} iteration(s)`);
    for (let i = 0; i < bigIterations; i++) {
      for (const e of rotated(engines, i)) {
        const name = `bench-big-${process.pid}-${i}`;
        const out = join(work, `${e.name}-big.out`);
        const r = await e.must(["run", "--name", name, "--network", "none", IMAGE, "sh", "-c", BIG_CMD], out);
        if (fileSize(out) !== BIG_BYTES) throw new Error(`${e.name}: attached run gave ${fileSize(out)} bytes, want ${BIG_BYTES}`);
        add(bigRun, e.name, r.ms);
        log(`${e.name} attached run ${fmt(r.ms)} ms`);
        const l = await e.must(["logs", name], out);
        if (fileSize(out) !== BIG_BYTES) throw new Error(`${e.name}: logs gave ${fileSize(out)} bytes, want ${BIG_BYTES}`);
        add(bigLogs, e.name, l.ms);
        log(`${e.name} logs ${fmt(l.ms)} ms`);
        rmSync(out);
        await e.must(["rm", "-f", name]);
      }
    }

    // 4. 50 containers, 8 at a time; 5. idle RSS with them running.
    log("50 containers, 8 at a time");
    for (const e of engines) {
      const t0 = now();
      let next = 0;
      const worker = async () => {
        while (next < 50) {
          const k = next++;
          await e.must(["run", "-d", "--name", `bench-many-${process.pid}-${k}`, "--network", "none", IMAGE, "sleep", "100000"]);
        }
      };
      await Promise.all(Array.from({ length: 8 }, worker));
      add(fifty, e.name, now() - t0);
      log(`${e.name} 50 containers in ${fmt(now() - t0)} ms`);
    }
    await sleep(5000);
    for (const e of engines) {
      add(rss, e.name, e.daemonPids().reduce((s, p) => s + rssKiB(p), 0) / 1024);
      const shims = e.shimPids();
      add(shimRss, e.name, shims.length > 0 ? shims.reduce((s, p) => s + rssKiB(p), 0) / 1024 / shims.length : Number.NaN);
    }
    for (const e of engines) {
      const ids = (await e.must(["ps", "-aq"])).stdout.split("\n").filter((l) => l !== "");
      if (ids.length > 0) await e.must(["rm", "-f", ...ids]);
    }

    // 6. start-up with 100 containers on record (created, never started).
    log("daemon start with 100 containers on record");
    for (const e of engines) {
      let next = 0;
      const worker = async () => {
        while (next < 100) {
          const k = next++;
          await e.must(["create", "--name", `bench-rec-${process.pid}-${k}`, "--network", "none", IMAGE, "true"]);
        }
      };
      await Promise.all(Array.from({ length: 8 }, worker));
    }
    const restarts = Math.max(3, Math.min(iterations, 7));
    for (let i = 0; i < restarts; i++) {
      for (const e of rotated(engines, i)) {
        const r = await e.restart(100);
        add(startup, e.name, r.ping);
        add(startupList, e.name, r.list);
      }
    }
    for (const e of engines) {
      const n = (await e.must(["ps", "-aq"])).stdout.split("\n").filter((l) => l !== "").length;
      if (n !== 100) throw new Error(`${e.name}: ${n} containers on record after restarts, want 100`);
    }

    const when = new Date().toISOString();
    const cpu = cpus()[0]?.model ?? "?";
    console.log([
      `#### Run, ${when}`,
      "",
      `- command: \`node dist/bench/${process.argv.slice(1).map((a) => a.replace(/^.*\/dist\/bench\//, "")).join(" ")}\``,
      `- host: kernel ${release()}, ${cpus().length} CPUs (${cpu.trim()}), load average at the end ${loadavg().map((x) => x.toFixed(2)).join(" ")}`,
      `- node ${process.version}; docker CLI ${client}; ${versions.join("; ")}`,
      `- ${iterations} iterations after ${warmup} warm-up for run and exec, ${bigIterations} for the 100 MB output, ${restarts} restarts`,
      "",
      summaryTable([ping, run, exec, bigRun, bigLogs, fifty, rss, shimRss, startup, startupList]),
      "",
    ].join("\n"));
  } finally {
    for (const e of engines.reverse()) {
      try {
        await e.close();
      } catch (err) {
        console.error(`# stop ${e.name}: ${(err as Error).message}`);
      }
    }
    unmountUnder(work);
    removeCgroupTree(cgroupParent);
    rmSync(work, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.stack ?? err.message : String(err));
  process.exitCode = 1;
});
