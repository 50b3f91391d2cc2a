/**
 * The runtime benchmark: the time to create, start, wait for and delete one container
 * running `true`, from the same bundle, with berth-runtime (its CLI and its library, many
 * containers from one Node process as the daemon will), runc and crun, interleaved in one
 * run. Also the one-command `run` of each. Prints markdown tables (median, p90, ratios to
 * crun and runc). Figures and the command are recorded in bench/RESULTS.md.
 *
 *   node dist/bench/runtime.js [--iterations 30] [--warmup 3] [--only runc,crun,berth-cli,berth-lib]
 *
 * The CLIs are driven through one long-lived `sh` per engine, so every CLI call costs the
 * same fork+exec from a shell and none pays for Node's spawn. crun 1.8 refuses this
 * machine's mixed cgroup layout (v1 hierarchies plus a cgroup2 mount holding a controller),
 * so crun's shell lives in a private mount namespace where /sys/fs/cgroup/unified is
 * unmounted; runc and berth see the real layout. Waiting is the same for every engine:
 * polling /proc/<pid>/stat every millisecond until the process is gone or a zombie.
 */
import { spawn, execFileSync, type ChildProcessWithoutNullStreams } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, rmdirSync, writeFileSync, mkdirSync } from "node:fs";
import { tmpdir, cpus, release } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { buildBusyboxRootfs } from "../src/fixtures/busybox-rootfs.js";
import { Runtime } from "../src/runtime/runtime.js";
import { defaultSpec } from "../src/runtime/spec/default-spec.js";

const BERTH_CLI = fileURLToPath(new URL("../src/runtime/cli/main.js", import.meta.url));
const ENGINES = ["berth-lib", "berth-cli", "runc", "crun"] as const;
type EngineName = (typeof ENGINES)[number];
const PHASES = ["create", "start", "wait", "delete"] as const;
type Phase = (typeof PHASES)[number];

/** Milliseconds of one create+start+wait+delete, split by phase. */
type Cycle = Record<Phase, number>;

interface Engine {
  readonly name: EngineName;
  /** create, start, wait for exit, delete. */
  cycle(id: string): Promise<Cycle>;
  /** One foreground `run` (create+start+wait+delete by the runtime itself). */
  run(id: string): Promise<number>;
  /** Force-delete whatever a failed cycle left. */
  cleanup(): Promise<void>;
  close(): Promise<void>;
}

function now(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

function shellQuote(s: string): string {
  return `'${s.replace(/'/g, "'\\''")}'`;
}

/** Poll until `pid` has exited (gone, or a zombie nobody has reaped yet). */
async function waitExit(pid: number): Promise<void> {
  for (;;) {
    let st: string;
    try {
      st = readFileSync(`/proc/${pid}/stat`, "utf8");
    } catch {
      return;
    }
    if (/\) [ZX] /.test(st)) return;
    await new Promise((r) => setTimeout(r, 1));
  }
}

/**
 * A long-lived shell that runs one command line at a time and reports its exit status on
 * stdout. The command's own stdout and stdin are /dev/null and its stderr goes to `errFile`.
 */
class Shell {
  readonly #child: ChildProcessWithoutNullStreams;
  #buf = "";
  #waiter: ((line: string) => void) | undefined;

  constructor(argv: readonly string[], readonly errFile: string) {
    const [cmd, ...args] = argv;
    if (cmd === undefined) throw new Error("start shell: empty command");
    this.#child = spawn(cmd, args, { stdio: ["pipe", "pipe", "pipe"] });
    this.#child.stderr.on("data", (c: Buffer) => process.stderr.write(c));
    this.#child.stdout.on("data", (c: Buffer) => {
      this.#buf += c.toString();
      const nl = this.#buf.indexOf("\n");
      if (nl >= 0 && this.#waiter !== undefined) {
        const line = this.#buf.slice(0, nl);
        this.#buf = this.#buf.slice(nl + 1);
        const w = this.#waiter;
        this.#waiter = undefined;
        w(line);
      }
    });
  }

  /** Run `cmdline`; resolves with its exit status. */
  exec(cmdline: string): Promise<number> {
    return new Promise((resolve, reject) => {
      this.#waiter = (line) => {
        const m = /^@@ (\d+)$/.exec(line);
        if (m?.[1] === undefined) reject(new Error(`shell: unexpected output "${line}"`));
        else resolve(Number(m[1]));
      };
      this.#child.stdin.write(`${cmdline} </dev/null >/dev/null 2>>${shellQuote(this.errFile)}; echo "@@ $?"\n`);
    });
  }

  async close(): Promise<void> {
    const exited = new Promise<void>((r) => this.#child.once("exit", () => r()));
    this.#child.stdin.end("exit\n");
    await exited;
  }
}

/** runc, crun or berth-runtime's CLI, each driven through its own shell. */
class CliEngine implements Engine {
  readonly #shell: Shell;
  readonly #cmd: string;
  readonly #root: string;

  constructor(readonly name: EngineName, shellArgv: readonly string[], runtimeArgv: readonly string[],
    readonly bundle: string, readonly work: string) {
    const root = join(work, `state-${name}`);
    mkdirSync(root);
    this.#root = root;
    this.#shell = new Shell(shellArgv, join(work, `${name}.err`));
    this.#cmd = [...runtimeArgv, "--root", root].map(shellQuote).join(" ");
  }

  async #must(args: string): Promise<void> {
    const rc = await this.#shell.exec(`${this.#cmd} ${args}`);
    if (rc !== 0) {
      const err = existsSync(this.#shell.errFile) ? readFileSync(this.#shell.errFile, "utf8").trim().split("\n").slice(-5).join("\n") : "";
      throw new Error(`${this.name} ${args}: exit ${rc}\n${err}`);
    }
  }

  async cycle(id: string): Promise<Cycle> {
    const pidFile = join(this.work, `${id}.pid`);
    const t0 = now();
    await this.#must(`create --bundle ${shellQuote(this.bundle)} --pid-file ${shellQuote(pidFile)} ${id}`);
    const t1 = now();
    const pid = Number(readFileSync(pidFile, "utf8"));
    await this.#must(`start ${id}`);
    const t2 = now();
    await waitExit(pid);
    const t3 = now();
    await this.#must(`delete ${id}`);
    const t4 = now();
    rmSync(pidFile, { force: true });
    return { create: t1 - t0, start: t2 - t1, wait: t3 - t2, delete: t4 - t3 };
  }

  async run(id: string): Promise<number> {
    const t0 = now();
    await this.#must(`run --bundle ${shellQuote(this.bundle)} ${id}`);
    return now() - t0;
  }

  async cleanup(): Promise<void> {
    for (const id of readdirSync(this.#root)) await this.#shell.exec(`${this.#cmd} delete --force ${shellQuote(id)}`);
  }

  close(): Promise<void> {
    return this.#shell.close();
  }
}

/** The runtime library in this process, as the daemon will use it. */
class LibraryEngine implements Engine {
  readonly name = "berth-lib" as const;
  readonly #rt: Runtime;

  constructor(readonly bundle: string, work: string) {
    const root = join(work, "state-berth-lib");
    mkdirSync(root);
    this.#rt = new Runtime({ root });
  }

  async cycle(id: string): Promise<Cycle> {
    const t0 = now();
    const st = await this.#rt.create(id, this.bundle, { stdio: ["ignore", "ignore", "ignore"] });
    const t1 = now();
    await this.#rt.start(id);
    const t2 = now();
    await waitExit(st.pid ?? 0);
    const t3 = now();
    await this.#rt.delete(id);
    const t4 = now();
    return { create: t1 - t0, start: t2 - t1, wait: t3 - t2, delete: t4 - t3 };
  }

  async run(id: string): Promise<number> {
    const t0 = now();
    const status = await this.#rt.run(id, this.bundle, { stdio: ["ignore", "ignore", "ignore"] });
    if (status !== 0) throw new Error(`berth-lib run: exit ${status}`);
    return now() - t0;
  }

  async cleanup(): Promise<void> {
    for (const c of await this.#rt.list()) await this.#rt.delete(c.id, { force: true });
  }

  async close(): Promise<void> {
    // nothing held between containers
  }
}

function haveBinary(bin: string): boolean {
  try {
    execFileSync("sh", ["-c", `command -v ${bin}`], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

function ensureBinary(bin: string): void {
  if (haveBinary(bin)) return;
  console.error(`# ${bin} missing: apt-get install -y ${bin}`);
  execFileSync("apt-get", ["install", "-y", "-qq", bin], { stdio: "ignore", env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" } });
}

function version(argv: readonly string[]): string {
  try {
    const [cmd, ...args] = argv;
    return execFileSync(cmd ?? "false", args, { encoding: "utf8" }).split("\n")[0]?.trim() ?? "?";
  } catch {
    return "?";
  }
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

function ratio(a: number, b: number | undefined): string {
  return b !== undefined && Number.isFinite(a) && Number.isFinite(b) && b > 0 ? `${(a / b).toFixed(2)}x` : "-";
}

function table(title: string, rows: ReadonlyMap<EngineName, number[]>): string {
  const med = new Map([...rows].map(([n, v]) => [n, median(v)] as const));
  const lines = [`### ${title}`, "", "| engine | n | median ms | p90 ms | min ms | vs crun | vs runc |", "|---|---|---|---|---|---|---|"];
  for (const [name, values] of rows) {
    const s = [...values].sort((a, b) => a - b);
    const m = med.get(name) ?? Number.NaN;
    lines.push(`| ${name} | ${s.length} | ${fmt(m)} | ${fmt(percentile(s, 90))} | ${fmt(s[0] ?? Number.NaN)} | ${ratio(m, med.get("crun"))} | ${ratio(m, med.get("runc"))} |`);
  }
  return lines.join("\n");
}

function phaseTable(cycles: ReadonlyMap<EngineName, Cycle[]>): string {
  const lines = ["### median per phase of create+start+wait+delete (ms)", "", `| engine | ${PHASES.join(" | ")} |`, `|---|${PHASES.map(() => "---").join("|")}|`];
  for (const [name, cs] of cycles) lines.push(`| ${name} | ${PHASES.map((p) => fmt(median(cs.map((c) => c[p])))).join(" | ")} |`);
  return lines.join("\n");
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

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      iterations: { type: "string", short: "n", default: "30" },
      warmup: { type: "string", default: "3" },
      only: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help === true) {
    console.log("usage: node dist/bench/runtime.js [--iterations N] [--warmup N] [--only berth-lib,berth-cli,runc,crun]");
    return;
  }
  const iterations = Number(values.iterations);
  const warmup = Number(values.warmup);
  if (!Number.isInteger(iterations) || iterations < 1) throw new RangeError(`invalid --iterations "${values.iterations}": want a positive integer`);
  if (!Number.isInteger(warmup) || warmup < 0) throw new RangeError(`invalid --warmup "${values.warmup}": want a non-negative integer`);
  const only = values.only?.split(",").map((s) => s.trim()) ?? [...ENGINES];
  for (const n of only) if (!(ENGINES as readonly string[]).includes(n)) throw new RangeError(`invalid --only "${n}": want one of ${ENGINES.join(", ")}`);
  if (process.getuid?.() !== 0) throw new Error("the runtime benchmark needs root");
  if (only.includes("runc")) ensureBinary("runc");
  if (only.includes("crun")) ensureBinary("crun");

  const work = mkdtempSync(join(tmpdir(), "berth-bench-"));
  const cgroupName = `berth-bench-${process.pid}`;
  const engines: Engine[] = [];
  try {
    const rootfs = join(work, "rootfs");
    buildBusyboxRootfs(rootfs);
    const bundle = join(work, "bundle");
    mkdirSync(bundle);
    const spec = defaultSpec({ rootfs, args: ["true"] });
    // crun 1.8 accepts only 1.0.x; the bundle is the same for every engine.
    spec.ociVersion = "1.0.2";
    // One cgroup path for every container: containers run one at a time.
    (spec.linux as { cgroupsPath?: string }).cgroupsPath = `/${cgroupName}/ctr`;
    writeFileSync(join(bundle, "config.json"), JSON.stringify(spec, null, 2));

    const unified = "/sys/fs/cgroup/unified";
    const crunShell = existsSync(unified) && readFileSync("/proc/self/mountinfo", "utf8").includes(` ${unified} `)
      ? ["unshare", "--mount", "--propagation", "private", "sh", "-c", `umount ${unified} && exec sh`]
      : ["sh"];
    for (const name of only as EngineName[]) {
      if (name === "berth-lib") engines.push(new LibraryEngine(bundle, work));
      if (name === "berth-cli") engines.push(new CliEngine(name, ["sh"], [process.execPath, BERTH_CLI], bundle, work));
      if (name === "runc") engines.push(new CliEngine(name, ["sh"], ["runc"], bundle, work));
      if (name === "crun") engines.push(new CliEngine(name, crunShell, ["crun"], bundle, work));
    }

    const cycles = new Map<EngineName, Cycle[]>(engines.map((e) => [e.name, []]));
    const runs = new Map<EngineName, number[]>(engines.map((e) => [e.name, []]));
    let seq = 0;
    for (let i = 0; i < warmup + iterations; i++) {
      // Rotate the order so no engine always runs right after another.
      const order = engines.map((_, k) => engines[(i + k) % engines.length] as Engine);
      for (const e of order) {
        const c = await e.cycle(`b${process.pid}-${e.name}-${seq++}`);
        const r = await e.run(`b${process.pid}-${e.name}-${seq++}`);
        if (i >= warmup) {
          cycles.get(e.name)?.push(c);
          runs.get(e.name)?.push(r);
        }
      }
      process.stderr.write(`\r# iteration ${i + 1}/${warmup + iterations}${i < warmup ? " (warm-up)" : ""}   `);
    }
    process.stderr.write("\n");

    // What every CLI call pays for the shell alone: fork+exec of /bin/true through a shell.
    const calib = new Shell(["sh"], join(work, "calibration.err"));
    const overhead: number[] = [];
    try {
      for (let i = 0; i < iterations; i++) {
        const t0 = now();
        await calib.exec("/bin/true");
        overhead.push(now() - t0);
      }
    } finally {
      await calib.close();
    }

    const totals = new Map<EngineName, number[]>([...cycles].map(([n, cs]) => [n, cs.map((c) => PHASES.reduce((s, p) => s + c[p], 0))]));
    const load = readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
    console.log([
      `## runtime benchmark, ${new Date().toISOString()}`,
      "",
      `- command: \`${["node dist/bench/runtime.js", ...process.argv.slice(2)].join(" ")}\` (${iterations} iterations after ${warmup} warm-up)`,
      `- host: kernel ${release()}, ${cpus().length} CPUs (${cpus()[0]?.model ?? "?"}), load average at the end ${load}`,
      `- node ${process.version}; ${version(["runc", "--version"])}; ${version(["crun", "--version"])}`,
      `- each CLI call also pays the shell round trip: ${fmt(median(overhead))} ms median for \`/bin/true\` (create+start+delete make 3 calls, \`run\` 1)`,
      `- crun: ${crunShell[0] === "unshare" ? "in a private mount namespace with /sys/fs/cgroup/unified unmounted" : "on the host mount namespace"}`,
      "",
      table("create + start + wait + delete of `true`", totals),
      "",
      phaseTable(cycles),
      "",
      table("`run` of `true` (one command; the library's `Runtime.run()`)", runs),
      "",
    ].join("\n"));
  } finally {
    for (const e of engines) {
      await e.cleanup().catch((err: unknown) => console.error(`# ${e.name} cleanup: ${(err as Error).message}`));
      await e.close().catch(() => undefined);
    }
    removeCgroupTree(cgroupName);
    rmSync(work, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(`runtime benchmark: ${(err as Error).message}`);
  process.exitCode = 1;
});
