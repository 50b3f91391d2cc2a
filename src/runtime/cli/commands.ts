/**
 * The berth-runtime commands (runc's command line) over the runtime library. Each command
 * takes its parsed flags and positional arguments and returns the process exit status.
 */
import { readFileSync, writeFileSync, existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { invalidArgument, kindOf } from "../../shared/errors.js";
import type { Runtime } from "../runtime.js";
import { defaultSpec } from "../spec/default-spec.js";
import { validateSpec } from "../spec/validate.js";
import type { Process } from "../spec/types.js";
import { bool, list, parseFlags, str, type FlagSpec, type Parsed } from "./args.js";
import type { CliLog } from "./log.js";

/** What every command gets. */
export interface CommandContext {
  readonly runtime: Runtime;
  readonly log: CliLog;
  readonly out: (text: string) => void;
}

interface Command {
  readonly flags: readonly FlagSpec[];
  /** Positional arguments: [min, max] (max -1: unbounded). */
  readonly arity: readonly [number, number];
  readonly usage: string;
  run(ctx: CommandContext, p: Parsed): Promise<number>;
}

const BUNDLE: FlagSpec = { names: ["bundle", "b"], value: true };
const PID_FILE: FlagSpec = { names: ["pid-file"], value: true };
const CONSOLE: FlagSpec = { names: ["console-socket"], value: true };
const NO_PIVOT: FlagSpec = { names: ["no-pivot"] };
// Accepted for runc compatibility; they change nothing in berth.
const COMPAT: FlagSpec[] = [
  { names: ["no-new-keyring"] }, { names: ["preserve-fds"], value: true }, { names: ["no-subreaper"] },
  { names: ["notify-socket"], value: true },
];

function id(p: Parsed): string {
  return p.args[0] ?? "";
}

function bundleOf(p: Parsed): string {
  return resolve(str(p, "bundle") ?? ".");
}

function createOpts(p: Parsed) {
  const pidFile = str(p, "pid-file");
  const consoleSocket = str(p, "console-socket");
  return {
    ...(pidFile !== undefined ? { pidFile } : {}),
    ...(consoleSocket !== undefined ? { consoleSocket } : {}),
    ...(bool(p, "no-pivot") ? { noPivot: true } : {}),
    stdio: ["inherit", "inherit", "inherit"] as ["inherit", "inherit", "inherit"],
  };
}

function pad(rows: string[][]): string {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? "").length))) ?? [];
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd((widths[i] ?? 0) + 3))).join("").trimEnd()).join("\n") + "\n";
}

/** Build the process for `exec` from --process or from the container's process plus flags (runc newProcess). */
function execProcess(ctx: CommandContext, p: Parsed, base: Process | undefined): Process {
  const file = str(p, "process");
  if (file !== undefined) {
    let json: unknown;
    try {
      json = JSON.parse(readFileSync(file, "utf8"));
    } catch (err) {
      throw invalidArgument(`read process file "${file}": ${(err as Error).message}`);
    }
    const spec = validateSpec({ ociVersion: "1.0.0", root: { path: "/" }, process: json });
    return spec.process as Process;
  }
  const args = p.args.slice(1);
  if (args.length === 0) throw invalidArgument("exec: the command to run is missing (args or --process)");
  const env = [...(base?.env ?? []), ...list(p, "env")];
  const user = str(p, "user");
  let uid = base?.user.uid ?? 0;
  let gid = base?.user.gid ?? 0;
  if (user !== undefined) {
    const m = /^(\d+)(?::(\d+))?$/.exec(user);
    if (m === null) throw invalidArgument(`exec: parse user "${user}": want uid[:gid]`);
    uid = Number(m[1]);
    // As runc: without ":gid" the process keeps the container's gid.
    if (m[2] !== undefined) gid = Number(m[2]);
  }
  const extraGids = [...(base?.user.additionalGids ?? []), ...list(p, "additional-gids").map(Number)];
  const caps = list(p, "cap");
  const baseCaps = base?.capabilities;
  const withCaps = (set: readonly string[] | undefined) => [...(set ?? []), ...caps];
  const capabilities = baseCaps === undefined && caps.length === 0 ? undefined : {
    bounding: withCaps(baseCaps?.bounding), effective: withCaps(baseCaps?.effective),
    permitted: withCaps(baseCaps?.permitted), inheritable: baseCaps?.inheritable ?? [],
    ambient: baseCaps?.ambient ?? [],
  };
  const proc = {
    ...(base ?? {}),
    args, env,
    cwd: str(p, "cwd") ?? base?.cwd ?? "/",
    terminal: bool(p, "tty"),
    user: { uid, gid, ...(extraGids.length > 0 ? { additionalGids: extraGids } : {}) },
    ...(capabilities !== undefined ? { capabilities } : {}),
    ...(bool(p, "no-new-privs") ? { noNewPrivileges: true } : {}),
  };
  ctx.log.debug(`exec process: ${JSON.stringify(proc)}`);
  // Validate what the flags built, with the usual field names.
  return validateSpec({ ociVersion: "1.0.0", root: { path: "/" }, process: proc }).process as Process;
}

/** Forward the signals a foreground process gets to `kill` (berth-init passes them on). */
function forwardSignals(kill: (s: NodeJS.Signals) => void): () => void {
  const sigs: NodeJS.Signals[] = ["SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT", "SIGUSR1", "SIGUSR2", "SIGWINCH"];
  const handlers = sigs.map((s) => {
    const h = () => kill(s);
    process.on(s, h);
    return [s, h] as const;
  });
  return () => handlers.forEach(([s, h]) => process.off(s, h));
}

/** The command table (crun's commands[]). */
export const COMMANDS: { [name: string]: Command } = {
  create: {
    flags: [BUNDLE, PID_FILE, CONSOLE, NO_PIVOT, ...COMPAT],
    arity: [1, 1],
    usage: "create [--bundle dir] [--pid-file file] [--console-socket path] <container-id>",
    async run(ctx, p) {
      await ctx.runtime.create(id(p), bundleOf(p), createOpts(p));
      return 0;
    },
  },
  start: {
    flags: [], arity: [1, 1], usage: "start <container-id>",
    async run(ctx, p) {
      await ctx.runtime.start(id(p));
      return 0;
    },
  },
  run: {
    flags: [BUNDLE, PID_FILE, CONSOLE, NO_PIVOT, { names: ["detach", "d"] }, { names: ["keep"] }, ...COMPAT],
    arity: [1, 1],
    usage: "run [--bundle dir] [--detach] [--pid-file file] [--console-socket path] <container-id>",
    async run(ctx, p) {
      let stop = () => {};
      try {
        return await ctx.runtime.run(id(p), bundleOf(p), {
          ...createOpts(p),
          detach: bool(p, "detach"),
          onStart: (kill) => {
            stop = forwardSignals((s) => kill(s));
          },
        });
      } finally {
        stop();
      }
    },
  },
  state: {
    flags: [], arity: [1, 1], usage: "state <container-id>",
    async run(ctx, p) {
      const s = await ctx.runtime.state(id(p));
      ctx.out(`${JSON.stringify(s, null, 2)}\n`);
      return 0;
    },
  },
  kill: {
    flags: [{ names: ["all", "a"] }], arity: [1, 2], usage: "kill [--all] <container-id> [signal]",
    async run(ctx, p) {
      await ctx.runtime.kill(id(p), p.args[1] ?? "SIGTERM", { all: bool(p, "all") });
      return 0;
    },
  },
  delete: {
    flags: [{ names: ["force", "f"] }], arity: [1, 1], usage: "delete [--force] <container-id>",
    async run(ctx, p) {
      try {
        await ctx.runtime.delete(id(p), { force: bool(p, "force") });
      } catch (err) {
        // As runc: --force makes deleting a container that is already gone a success.
        if (!(bool(p, "force") && kindOf(err) === "not-found")) throw err;
      }
      return 0;
    },
  },
  exec: {
    flags: [
      { names: ["process", "p"], value: true }, { names: ["tty", "t"] }, { names: ["detach", "d"] }, PID_FILE, CONSOLE,
      { names: ["env", "e"], value: true, repeat: true }, { names: ["cwd"], value: true }, { names: ["user", "u"], value: true },
      { names: ["additional-gids", "g"], value: true, repeat: true }, { names: ["cap", "c"], value: true, repeat: true },
      { names: ["no-new-privs"] }, { names: ["process-label"], value: true }, { names: ["apparmor"], value: true },
      { names: ["ignore-paused"] }, { names: ["cgroup"], value: true }, ...COMPAT,
    ],
    arity: [1, -1],
    usage: "exec [--process file | -t -e K=V --cwd dir -u uid[:gid]] [--detach] [--pid-file file] <container-id> [command args...]",
    async run(ctx, p) {
      const st = await ctx.runtime.state(id(p));
      let base: Process | undefined;
      try {
        base = validateSpec(JSON.parse(readFileSync(join(st.bundle, "config.json"), "utf8"))).process;
      } catch {
        base = undefined;
      }
      const proc = execProcess(ctx, p, base);
      const pidFile = str(p, "pid-file");
      const consoleSocket = str(p, "console-socket");
      const h = await ctx.runtime.exec(id(p), proc, {
        detach: bool(p, "detach"),
        ...(pidFile !== undefined ? { pidFile } : {}),
        ...(consoleSocket !== undefined ? { consoleSocket } : {}),
        stdio: ["inherit", "inherit", "inherit"],
      });
      if (bool(p, "detach")) return 0;
      const stop = forwardSignals((s) => h.kill(s));
      try {
        return await h.exited;
      } finally {
        stop();
      }
    },
  },
  ps: {
    flags: [{ names: ["format", "f"], value: true }], arity: [1, -1], usage: "ps [--format table|json] <container-id> [ps options]",
    async run(ctx, p) {
      const pids = await ctx.runtime.ps(id(p));
      const format = str(p, "format") ?? "table";
      if (format === "json") {
        ctx.out(`${JSON.stringify(pids)}\n`);
        return 0;
      }
      if (format !== "table") throw invalidArgument(`ps: invalid format "${format}"`);
      const psArgs = p.args.length > 1 ? p.args.slice(1) : ["-ef"];
      const { execFileSync } = await import("node:child_process");
      const lines = execFileSync("ps", psArgs, { encoding: "utf8" }).split("\n");
      const header = lines[0] ?? "";
      const col = header.trim().split(/\s+/).indexOf("PID");
      if (col < 0) throw invalidArgument("ps: the ps output has no PID column");
      const keep = new Set(pids);
      const rows = lines.slice(1).filter((l) => keep.has(Number(l.trim().split(/\s+/)[col])));
      ctx.out(`${[header, ...rows].join("\n")}\n`);
      return 0;
    },
  },
  list: {
    flags: [{ names: ["format", "f"], value: true }, { names: ["quiet", "q"] }], arity: [0, 0],
    usage: "list [--format table|json] [--quiet]",
    async run(ctx, p) {
      const all = await ctx.runtime.list();
      if (bool(p, "quiet")) {
        ctx.out(all.map((c) => `${c.id}\n`).join(""));
        return 0;
      }
      const format = str(p, "format") ?? "table";
      if (format === "json") {
        ctx.out(`${JSON.stringify(all.map((c) => ({ ociVersion: "1.2.0", ...c })))}\n`);
        return 0;
      }
      if (format !== "table") throw invalidArgument(`list: invalid format "${format}"`);
      ctx.out(pad([["ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER"],
        ...all.map((c) => [c.id, String(c.pid), c.status, c.bundle, c.created, c.owner === "0" ? "root" : c.owner])]));
      return 0;
    },
  },
  pause: {
    flags: [], arity: [1, 1], usage: "pause <container-id>",
    async run(ctx, p) {
      await ctx.runtime.pause(id(p));
      return 0;
    },
  },
  resume: {
    flags: [], arity: [1, 1], usage: "resume <container-id>",
    async run(ctx, p) {
      await ctx.runtime.resume(id(p));
      return 0;
    },
  },
  events: {
    flags: [{ names: ["stats"] }, { names: ["interval"], value: true }], arity: [1, 1],
    usage: "events [--stats] [--interval 5s] <container-id>",
    async run(ctx, p) {
      const interval = parseDuration(str(p, "interval") ?? "5s");
      for (;;) {
        const data = await ctx.runtime.stats(id(p));
        ctx.out(`${JSON.stringify({ type: "stats", id: id(p), data })}\n`);
        if (bool(p, "stats")) return 0;
        await new Promise((r) => setTimeout(r, interval));
        const st = await ctx.runtime.state(id(p));
        if (st.status === "stopped") return 0;
      }
    },
  },
  spec: {
    flags: [BUNDLE, { names: ["rootless"] }], arity: [0, 0], usage: "spec [--bundle dir]",
    async run(_ctx, p) {
      const path = join(bundleOf(p), "config.json");
      if (existsSync(path)) throw invalidArgument(`spec: "${path}" already exists`);
      writeFileSync(path, `${JSON.stringify(defaultSpec(), null, 2)}\n`);
      return 0;
    },
  },
  features: {
    flags: [], arity: [0, 0], usage: "features",
    async run(ctx) {
      ctx.out(`${JSON.stringify({
        ociVersionMin: "1.0.0", ociVersionMax: "1.2.0",
        hooks: ["prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop"],
        mountOptions: ["ro", "rw", "nosuid", "suid", "nodev", "dev", "noexec", "exec", "relatime", "norelatime", "strictatime", "bind", "rbind", "private", "rprivate", "shared", "rshared", "slave", "rslave", "unbindable", "runbindable"],
        linux: {
          namespaces: ["cgroup", "ipc", "mount", "network", "pid", "user", "uts"],
          cgroup: { v1: true, v2: true },
          seccomp: { enabled: true },
        },
      }, null, 2)}\n`);
      return 0;
    },
  },
};
COMMANDS["ls"] = COMMANDS["list"]!;

function parseDuration(s: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(s);
  if (m === null) throw invalidArgument(`parse duration "${s}": want e.g. 5s or 500ms`);
  const n = Number(m[1]);
  return m[2] === "ms" ? n : m[2] === "m" ? n * 60_000 : n * 1000;
}

/** Parse a command's arguments and check its arity. */
export function parseCommand(name: string, argv: readonly string[]): { cmd: Command; parsed: Parsed } {
  const cmd = COMMANDS[name];
  if (cmd === undefined) throw invalidArgument(`unknown command "${name}"`);
  const parsed = parseFlags(argv, cmd.flags);
  const [min, max] = cmd.arity;
  if (parsed.args.length < min || (max >= 0 && parsed.args.length > max)) {
    throw invalidArgument(`${name}: wrong number of arguments; usage: berth-runtime ${cmd.usage}`);
  }
  return { cmd, parsed };
}

