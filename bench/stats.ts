/**
 * The stats/ps benchmark: `docker stats --no-stream` and `docker ps -a` with 100 running
 * containers present, berthd against dockerd (Debian's docker.io), both private to this
 * run and driven by the real docker CLI, with the same busybox image (saved from berthd,
 * loaded into dockerd; nothing is pulled). The engines are interleaved, their order
 * rotated every iteration. Prints markdown tables (median, p90, ratio).
 *
 *   node dist/bench/stats.js [--containers 100] [--iterations 10] [--warmup 1] [--only berth,dockerd]
 *
 * Everything this run starts is stopped by pid; data roots, mounts and cgroups are removed.
 */
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { chmodSync, closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, readdirSync, rmSync, rmdirSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { cpus, loadavg, release, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const DAEMON_MAIN = fileURLToPath(new URL("../src/daemon/main.js", import.meta.url));
const ENGINES = ["berth", "dockerd"] as const;
type EngineName = (typeof ENGINES)[number];
const IMAGE = "busybox:latest";

const now = () => Number(process.hrtime.bigint()) / 1e6;
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

interface CallResult { code: number; ms: number; stdout: string; stderr: string }

function call(args: readonly string[], env: NodeJS.ProcessEnv): Promise<CallResult> {
  return new Promise((resolve, reject) => {
    const t0 = now();
    const child = spawn("docker", args, { env, stdio: ["ignore", "pipe", "pipe"] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on("data", (c: Buffer) => out.push(c));
    child.stderr.on("data", (c: Buffer) => err.push(c));
    child.once("error", reject);
    child.once("close", (code) => resolve({ code: code ?? -1, ms: now() - t0, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() }));
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

async function waitPing(socket: string, child: ChildProcess, what: string): Promise<void> {
  const end = now() + 120_000;
  while (!(await ping(socket))) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`${what} exited early`);
    if (now() > end) throw new Error(`${what} did not answer /_ping`);
    await sleep(50);
  }
}

function alive(pid: number): boolean {
  try {
    return !/\) [ZX] /.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return false;
  }
}

async function stopPid(pid: number): Promise<void> {
  if (pid <= 0 || !alive(pid)) return;
  process.kill(pid, "SIGTERM");
  const end = now() + 60_000;
  while (alive(pid) && now() < end) await sleep(50);
  if (alive(pid)) process.kill(pid, "SIGKILL");
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

interface Engine {
  name: EngineName;
  must(args: readonly string[]): Promise<CallResult>;
  close(): Promise<void>;
}

function dockerEnv(dir: string, socket: string): NodeJS.ProcessEnv {
  mkdirSync(join(dir, "docker-config"), { recursive: true });
  const env: NodeJS.ProcessEnv = { ...process.env, DOCKER_HOST: `unix://${socket}`, DOCKER_CONFIG: join(dir, "docker-config"), DOCKER_CONTEXT: "" };
  delete env.DOCKER_TLS_VERIFY;
  delete env.DOCKER_CERT_PATH;
  return env;
}

function engine(name: EngineName, env: NodeJS.ProcessEnv, stop: () => Promise<void>): Engine {
  const must = async (args: readonly string[]) => {
    const r = await call(args, env);
    if (r.code !== 0) throw new Error(`${name}: docker ${args.join(" ")}: exit ${r.code}: ${r.stderr.trim()}`);
    return r;
  };
  return {
    name, must,
    async close() {
      const ids = (await call(["ps", "-aq"], env)).stdout.split("\n").filter((l) => l !== "");
      if (ids.length > 0) await call(["rm", "-f", ...ids], env);
      await stop();
    },
  };
}

async function startBerth(work: string): Promise<Engine> {
  const dir = join(work, "b");
  mkdirSync(dir, { recursive: true });
  const socket = join(dir, "berth.sock");
  writeFileSync(join(dir, "daemon.json"), "{}");
  const env = { ...process.env };
  delete env.NODE_EXTRA_CA_CERTS;
  const log = openSync(join(dir, "berthd.log"), "a");
  const child = spawn(process.execPath, [DAEMON_MAIN, "--data-root", join(dir, "data"), "--exec-root", join(dir, "e"),
    "-H", `unix://${socket}`, "--config-file", join(dir, "daemon.json")], { stdio: ["ignore", "ignore", log], env });
  closeSync(log);
  await waitPing(socket, child, "berthd");
  return engine("berth", dockerEnv(dir, socket), () => stopPid(child.pid ?? 0));
}

async function startDockerd(work: string, cgroupParent: string): Promise<Engine> {
  const dir = join(work, "d");
  mkdirSync(dir, { recursive: true });
  chmodSync(dir, 0o755);
  const socket = join(dir, "docker.sock");
  const major = Number(/version (\d+)\./.exec(execFileSync("dockerd", ["--version"], { encoding: "utf8" }))?.[1] ?? "0");
  writeFileSync(join(dir, "daemon.json"), JSON.stringify(major > 0 && major < 23 ? { "deprecated-key-path": join(dir, "key.json") } : {}));
  const env = dockerEnv(dir, socket);
  const log = openSync(join(dir, "dockerd.log"), "a");
  const child = spawn("dockerd", [
    "--data-root", join(dir, "data"), "--exec-root", join(dir, "exec"), "--pidfile", join(dir, "dockerd.pid"),
    "-H", `unix://${socket}`, "--config-file", join(dir, "daemon.json"),
    "--bridge", "none", "--iptables=false", "--ip6tables=false", "--ip-forward=false", "--ip-masq=false", "--userland-proxy=false",
    // The default -500 needs CAP_SYS_RESOURCE, which this machine's bounding set lacks.
    "--oom-score-adjust", "0", "--exec-opt", "native.cgroupdriver=cgroupfs", "--cgroup-parent", `/${cgroupParent}`,
  ], { stdio: ["ignore", log, log], env });
  closeSync(log);
  await waitPing(socket, child, "dockerd");
  const containerdPid = () => {
    const f = join(dir, "exec", "containerd", "containerd.pid");
    return existsSync(f) ? Number(readFileSync(f, "utf8").trim()) : 0;
  };
  return engine("dockerd", env, async () => {
    const c = containerdPid();
    await stopPid(child.pid ?? 0);
    await stopPid(c);
  });
}

function percentile(sorted: readonly number[], p: number): number {
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i] ?? Number.NaN;
}

function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[mid] ?? Number.NaN) : ((s[mid - 1] ?? 0) + (s[mid] ?? 0)) / 2;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      containers: { type: "string", default: "100" },
      iterations: { type: "string", short: "n", default: "10" },
      warmup: { type: "string", default: "1" },
      only: { type: "string" },
    },
  });
  const count = Number(values.containers);
  const iterations = Number(values.iterations);
  const warmup = Number(values.warmup);
  for (const [k, v, min] of [["containers", count, 1], ["iterations", iterations, 1], ["warmup", warmup, 0]] as const) {
    if (!Number.isInteger(v) || v < min) throw new RangeError(`invalid --${k} "${String(v)}": want an integer >= ${min}`);
  }
  const only = values.only?.split(",").map((s) => s.trim()) ?? [...ENGINES];
  for (const n of only) if (!(ENGINES as readonly string[]).includes(n)) throw new RangeError(`invalid --only "${n}": want one of ${ENGINES.join(", ")}`);
  if (!only.includes("berth")) throw new RangeError("invalid --only: berth is always measured");
  if (process.getuid?.() !== 0) throw new Error("the stats benchmark needs root");

  const work = mkdtempSync(join(tmpdir(), "bst-"));
  chmodSync(work, 0o755);
  const cgroupParent = `berth-bench-stats-${process.pid}`;
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
      const tar = join(work, "busybox.tar");
      await berth.must(["save", "-o", tar, IMAGE]);
      await dockerd.must(["load", "-i", tar]);
      rmSync(tar);
    }
    const versions = await Promise.all(engines.map(async (e) => `${e.name} ${(await e.must(["version", "--format", "{{.Server.Version}}"])).stdout.trim()}`));
    for (const e of engines) {
      log(`${e.name}: ${count} running containers, 8 at a time`);
      let next = 0;
      const worker = async () => {
        while (next < count) {
          const k = next++;
          await e.must(["run", "-d", "--name", `bench-stats-${process.pid}-${k}`, "--network", "none", IMAGE, "sleep", "100000"]);
        }
      };
      await Promise.all(Array.from({ length: 8 }, worker));
    }
    await sleep(3000);
    const samples = new Map<string, number[]>();
    const add = (k: string, v: number) => samples.set(k, [...(samples.get(k) ?? []), v]);
    log(`measuring: ${warmup} warm-up + ${iterations} iterations`);
    for (let i = 0; i < warmup + iterations; i++) {
      for (const e of engines.map((_, k) => engines[(k + i) % engines.length] as Engine)) {
        const ps = await e.must(["ps", "-a"]);
        const rows = ps.stdout.trimEnd().split("\n").length - 1;
        if (rows !== count) throw new Error(`${e.name}: ps -a listed ${rows} containers, want ${count}`);
        const st = await e.must(["stats", "--no-stream"]);
        const srows = st.stdout.trimEnd().split("\n").length - 1;
        if (srows !== count) throw new Error(`${e.name}: stats --no-stream listed ${srows} containers, want ${count}`);
        if (i >= warmup) {
          add(`ps:${e.name}`, ps.ms);
          add(`stats:${e.name}`, st.ms);
        }
      }
    }
    const fmt = (x: number) => (Number.isFinite(x) ? x.toFixed(1) : "-");
    const lines = [
      `berth bench/stats.ts: ${count} running containers, ${iterations} iterations (+${warmup} warm-up), ${cpus().length} CPUs, kernel ${release()}, load ${loadavg().map((l) => l.toFixed(1)).join(" ")}; ${versions.join(", ")}`,
      "",
      "| command | berth median (ms) | berth p90 | dockerd median (ms) | dockerd p90 | berth / dockerd |",
      "|---|---|---|---|---|---|",
    ];
    for (const [what, title] of [["ps", "`docker ps -a`"], ["stats", "`docker stats --no-stream`"]] as const) {
      const b = [...(samples.get(`${what}:berth`) ?? [])].sort((x, y) => x - y);
      const d = [...(samples.get(`${what}:dockerd`) ?? [])].sort((x, y) => x - y);
      const ratio = d.length > 0 ? `${(median(b) / median(d)).toFixed(2)}x` : "-";
      lines.push(`| ${title} | ${fmt(median(b))} | ${fmt(percentile(b, 90))} | ${d.length > 0 ? fmt(median(d)) : "-"} | ${d.length > 0 ? fmt(percentile(d, 90)) : "-"} | ${ratio} |`);
    }
    console.log(lines.join("\n"));
  } finally {
    for (const e of engines.reverse()) await e.close().catch((err: unknown) => console.error(`# close ${e.name}: ${(err as Error).message}`));
    unmountUnder(work);
    removeCgroupTree(cgroupParent);
    rmSync(work, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
