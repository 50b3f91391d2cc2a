/**
 * The network leak run of issue 5 ("no leaks after 10,000 start/stop cycles"), through the
 * daemon: a private berthd (in a fresh network namespace of its own, so the counts are its
 * alone) starts and stops one container on the default bridge with a published port, over
 * the Engine API, `--cycles` times. Every `--every` cycles it counts, with the container
 * stopped: links and nft rules/map elements in the daemon's namespace, namespace files
 * under the exec root, mounts under the run's directory, the daemon's open fds and RSS, and the processes under the
 * run's directory. The run passes when every count except RSS is back to its value after
 * the first cycle.
 *
 *   node dist/bench/net-leak.js [--cycles 10000] [--every 500]
 *
 * Everything it starts is stopped by pid; the namespace, mounts and directory are removed,
 * also on failure or a signal.
 */
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { closeSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { loadavg } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const DAEMON_MAIN = fileURLToPath(new URL("../src/daemon/main.js", import.meta.url));
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** One Engine API call over the daemon's socket: status and body. */
function api(socket: string, method: string, path: string, body?: unknown): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const req = request({ socketPath: socket, method, path, headers: data === undefined ? {} : { "content-type": "application/json", "content-length": data.length } }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end(data);
  });
}

async function must(socket: string, method: string, path: string, body?: unknown): Promise<string> {
  const r = await api(socket, method, path, body);
  if (r.status >= 300) throw new Error(`${method} ${path}: ${r.status} ${r.body.trim()}`);
  return r.body;
}

/** What is counted at each sample. */
interface Counts {
  cycle: number;
  links: number;
  nftRules: number;
  nftElements: number;
  netnsFiles: number;
  mounts: number;
  fds: number;
  processes: number;
  rssMiB: number;
  seconds: number;
}

const LEAK_KEYS = ["links", "nftRules", "nftElements", "netnsFiles", "mounts", "fds", "processes"] as const;

function count(o: { ns: string; pid: number; execRoot: string; work: string; cycle: number; t0: number }): Counts {
  const inNs = (cmd: string, args: string[]) => execFileSync("nsenter", [`--net=${o.ns}`, cmd, ...args], { encoding: "utf8" });
  const links = (JSON.parse(inNs("ip", ["-j", "link", "show"])) as unknown[]).length;
  const rs = JSON.parse(inNs("nft", ["-j", "list", "ruleset"])) as { nftables: Array<{ rule?: unknown; map?: { elem?: unknown[] }; set?: { elem?: unknown[] } }> };
  const nftRules = rs.nftables.filter((x) => x.rule !== undefined).length;
  const nftElements = rs.nftables.reduce((n, x) => n + (x.map?.elem?.length ?? 0) + (x.set?.elem?.length ?? 0), 0);
  let netnsFiles = 0;
  try { netnsFiles = readdirSync(join(o.execRoot, "netns")).length; } catch { netnsFiles = 0; }
  // The daemon shares the host's mount namespace: only the mounts under this run's directory are its.
  const mounts = readFileSync(`/proc/${o.pid}/mountinfo`, "utf8").split("\n").filter((l) => l.split(" ")[4]?.startsWith(o.work) === true).length;
  const fds = readdirSync(`/proc/${o.pid}/fd`).length;
  const rss = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${o.pid}/status`, "utf8"))?.[1] ?? "0";
  let processes = 0;
  for (const p of readdirSync("/proc")) {
    if (!/^\d+$/.test(p) || Number(p) === o.pid) continue;
    try { if (readFileSync(`/proc/${p}/cmdline`, "utf8").includes(o.work)) processes++; } catch { /* gone */ }
  }
  return { cycle: o.cycle, links, nftRules, nftElements, netnsFiles, mounts, fds, processes, rssMiB: Number(rss) / 1024, seconds: (performance.now() - o.t0) / 1000 };
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { cycles: { type: "string", default: "10000" }, every: { type: "string", default: "500" } } });
  const cycles = Number(values.cycles);
  const every = Math.max(1, Number(values.every));
  // Short: the shim's socket path under the exec root must fit in sockaddr_un.
  const work = mkdtempSync("/tmp/bnl-");
  const ns = join(work, "netns");
  const execRoot = join(work, "e");
  const socket = join(work, "s.sock");
  let child: ChildProcess | undefined;
  let cleaning: Promise<void> | undefined;
  const cleanup = (): Promise<void> => cleaning ??= (async () => {
    if (child?.pid !== undefined && child.exitCode === null && child.signalCode === null) {
      await api(socket, "DELETE", "/containers/leak?force=1").catch(() => undefined);
      const done = new Promise((r) => child?.once("exit", r));
      process.kill(child.pid, "SIGTERM");
      const t = setTimeout(() => { if (child?.pid !== undefined && child.exitCode === null) process.kill(child.pid, "SIGKILL"); }, 60_000);
      await done;
      clearTimeout(t);
    }
    try {
      execFileSync("sh", ["-c", `grep ' ${work}' /proc/self/mountinfo | cut -d' ' -f5 | sort -r | xargs -r -n1 umount -l`], { stdio: "ignore" });
    } catch { /* nothing mounted */ }
    rmSync(work, { recursive: true, force: true });
  })();
  for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    process.once(sig, () => { void cleanup().finally(() => process.exit(130)); });
  }
  try {
    writeFileSync(ns, "");
    execFileSync("unshare", [`--net=${ns}`, "ip", "link", "set", "lo", "up"]);
    writeFileSync(join(work, "daemon.json"), "{}");
    mkdirSync(execRoot, { recursive: true });
    const log = openSync(join(work, "berthd.log"), "a");
    child = spawn("nsenter", [`--net=${ns}`, process.execPath, DAEMON_MAIN, "--data-root", join(work, "d"), "--exec-root", execRoot,
      "-H", `unix://${socket}`, "--config-file", join(work, "daemon.json")], { stdio: ["ignore", "ignore", log] });
    closeSync(log);
    const pid = child.pid ?? 0;
    // The busybox seed is built after the socket answers.
    for (let i = 0; ; i++) {
      const r = await api(socket, "GET", "/images/busybox:latest/json").catch(() => ({ status: 0 }));
      if (r.status === 200) break;
      if (child.exitCode !== null || i > 1200) throw new Error("berthd did not come up with busybox");
      await sleep(100);
    }
    await must(socket, "POST", "/containers/create?name=leak", {
      Image: "busybox", Cmd: ["sleep", "1000000"], ExposedPorts: { "80/tcp": {} },
      HostConfig: { PortBindings: { "80/tcp": [{ HostIp: "127.0.0.1", HostPort: "" }] } },
    });
    const t0 = performance.now();
    const samples: Counts[] = [];
    for (let i = 1; i <= cycles; i++) {
      await must(socket, "POST", "/containers/leak/start");
      await must(socket, "POST", "/containers/leak/stop?t=0");
      if (i === 1 || i % every === 0 || i === cycles) {
        const c = count({ ns, pid, execRoot, work, cycle: i, t0 });
        samples.push(c);
        process.stderr.write(`# ${JSON.stringify(c)}\n`);
      }
    }
    const first = samples[0] as Counts;
    const last = samples.at(-1) as Counts;
    const out: string[] = [];
    out.push(`cycles: ${cycles} start/stop of one container on the default bridge with a published port, ${last.seconds.toFixed(0)} s, load ${loadavg().map((x) => x.toFixed(1)).join(" ")}`, "");
    out.push(`| cycle | ${LEAK_KEYS.join(" | ")} | daemon RSS MiB | s |`, `|${"---|".repeat(LEAK_KEYS.length + 3)}`);
    for (const s of samples) out.push(`| ${s.cycle} | ${LEAK_KEYS.map((k) => s[k]).join(" | ")} | ${s.rssMiB.toFixed(1)} | ${s.seconds.toFixed(0)} |`);
    const leaked = LEAK_KEYS.filter((k) => last[k] !== first[k]);
    out.push("", leaked.length === 0 ? "no leak: every count is back to its value after cycle 1" : `LEAK: ${leaked.map((k) => `${k} ${first[k]} -> ${last[k]}`).join(", ")}`);
    process.stdout.write(`${out.join("\n")}\n`);
    if (leaked.length > 0) process.exitCode = 1;
  } finally {
    await cleanup();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench/net-leak: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  process.exit(1);
});
