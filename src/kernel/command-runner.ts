/**
 * Host commands (`mount`, `umount`, `ip`, `nft`, `unshare`, `mkfifo`...) run from a few
 * long-lived `sh` processes instead of one Node spawn each. Node forks its whole process
 * to spawn, so a spawn from the daemon costs tens of milliseconds (well over 100 ms here
 * with a 150 MB daemon on a loaded machine), while a fork from a small shell costs one or
 * two. The shells read one command line at a time; each command's stdin, stdout and stderr
 * are files in a private tmpfs directory, and its status comes back on the shell's stdout.
 * Shells are unreferenced while idle, so they never keep a process alive, and they exit
 * when their stdin closes (the owner exited).
 */
import { spawn, type ChildProcessByStdio } from "node:child_process";
import type { Socket } from "node:net";
import type { Readable, Writable } from "node:stream";
import { mkdtempSync, readdirSync, rmSync, existsSync } from "node:fs";
import { readFile, writeFile, unlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** A finished command. */
export interface CommandResult {
  /** Exit status (128+n when killed by signal n; 127 when the command was not found). */
  code: number;
  stdout: Buffer;
  stderr: Buffer;
}

/** Options of one command. */
export interface CommandOptions {
  input?: string | Buffer | undefined;
  cwd?: string | undefined;
}

const POOL = 4;

/** Quote for sh: every argument single-quoted. */
export function shellQuote(s: string): string {
  return `'${s.replace(/'/g, "'\\''")}'`;
}

interface Job {
  line: string;
  inFile: string | undefined;
  input: string | Buffer | undefined;
  resolve(r: CommandResult): void;
  reject(e: Error): void;
}

let workDir: string | undefined;

/** Remove the directories of owners that died without their exit handler (SIGKILL, a signal). */
function removeStale(base: string): void {
  let names: string[];
  try {
    names = readdirSync(base);
  } catch {
    return;
  }
  for (const n of names) {
    const m = /^berth-cmd-(\d+)-/.exec(n);
    if (m === null) continue;
    try {
      process.kill(Number(m[1]), 0);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ESRCH") rmSync(join(base, n), { recursive: true, force: true });
    }
  }
}

function dir(): string {
  if (workDir === undefined) {
    const base = existsSync("/dev/shm") ? "/dev/shm" : tmpdir();
    removeStale(base);
    workDir = mkdtempSync(join(base, `berth-cmd-${process.pid}-`));
    const d = workDir;
    process.once("exit", () => rmSync(d, { recursive: true, force: true }));
  }
  return workDir;
}

class Shell {
  readonly #child: ChildProcessByStdio<Writable, Readable, null>;
  readonly #out: string;
  readonly #err: string;
  #buf = "";
  #job: Job | undefined;
  dead = false;

  constructor(readonly index: number) {
    this.#out = join(dir(), `${index}.out`);
    this.#err = join(dir(), `${index}.err`);
    this.#child = spawn("sh", [], { stdio: ["pipe", "pipe", "ignore"] });
    this.#child.stdout.setEncoding("utf8");
    this.#child.stdout.on("data", (c: string) => this.#onData(c));
    this.#child.stdin.on("error", () => undefined);
    this.#child.on("error", (e) => this.#die(e));
    this.#child.on("exit", () => this.#die(new Error("command shell exited")));
    this.#idle();
  }

  get busy(): boolean {
    return this.#job !== undefined;
  }

  // The pipes are sockets: they too hold the event loop unless unreferenced.
  #idle(): void {
    this.#child.unref();
    (this.#child.stdout as Socket).unref();
    (this.#child.stdin as Socket).unref();
  }

  #busy(): void {
    this.#child.ref();
    (this.#child.stdout as Socket).ref();
    (this.#child.stdin as Socket).ref();
  }

  #die(e: Error): void {
    if (this.dead) return;
    this.dead = true;
    const j = this.#job;
    this.#job = undefined;
    j?.reject(e);
  }

  run(job: Job): void {
    this.#job = job;
    this.#busy();
    const stdin = job.inFile !== undefined ? shellQuote(job.inFile) : "/dev/null";
    // A subshell per command: a `cd` or an `exec` in it cannot change the next one.
    this.#child.stdin.write(`(${job.line}) <${stdin} >${shellQuote(this.#out)} 2>${shellQuote(this.#err)}; echo "@@ $?"\n`);
  }

  #onData(c: string): void {
    this.#buf += c;
    const nl = this.#buf.indexOf("\n");
    if (nl === -1) return;
    const line = this.#buf.slice(0, nl);
    this.#buf = this.#buf.slice(nl + 1);
    const job = this.#job;
    if (job === undefined) return;
    const m = /^@@ (\d+)$/.exec(line);
    void (async () => {
      try {
        if (m === null) throw new Error(`command shell: unexpected output "${line}"`);
        const [stdout, stderr] = await Promise.all([readFile(this.#out), readFile(this.#err)]);
        if (job.inFile !== undefined) await unlink(job.inFile).catch(() => undefined);
        this.#job = undefined;
        this.#idle();
        job.resolve({ code: Number(m[1]), stdout, stderr });
      } catch (err) {
        this.#job = undefined;
        this.#idle();
        job.reject(err as Error);
      }
      pump();
    })();
  }
}

const shells: Shell[] = [];
const queue: Job[] = [];
let inputs = 0;

function pump(): void {
  while (queue.length > 0) {
    for (let i = shells.length - 1; i >= 0; i--) if (shells[i]?.dead === true) shells.splice(i, 1);
    let sh = shells.find((s) => !s.busy);
    if (sh === undefined && shells.length < POOL) {
      sh = new Shell(nextIndex++);
      shells.push(sh);
    }
    if (sh === undefined) return;
    const job = queue.shift() as Job;
    sh.run(job);
  }
}
let nextIndex = 0;

/**
 * Run `cmd args...` on a command shell and resolve with its status and output (a non-zero
 * status resolves too; a shell that died rejects).
 */
export async function runCommand(cmd: string, args: readonly string[], o: CommandOptions = {}): Promise<CommandResult> {
  const words = [cmd, ...args].map(shellQuote).join(" ");
  const line = o.cwd !== undefined ? `cd ${shellQuote(o.cwd)} && ${words}` : words;
  let inFile: string | undefined;
  if (o.input !== undefined && o.input.length > 0) {
    inFile = join(dir(), `in-${process.pid}-${inputs++}`);
    await writeFile(inFile, o.input, { mode: 0o600 });
  }
  return new Promise((resolve, reject) => {
    queue.push({ line, inFile, input: o.input, resolve, reject });
    pump();
  });
}

/** `runCommand` that rejects on a non-zero status with the first lines of stderr. */
export async function runChecked(cmd: string, args: readonly string[], o: CommandOptions = {}): Promise<CommandResult> {
  const r = await runCommand(cmd, args, o);
  if (r.code !== 0) {
    const detail = r.stderr.toString("utf8").trim();
    throw Object.assign(new Error(`${cmd}: ${detail !== "" ? detail : `exit status ${r.code}`}`), { stderr: detail, code: r.code });
  }
  return r;
}
