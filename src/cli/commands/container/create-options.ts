/** The flags shared by `run` and `create`, and their translation to a create body (docker's opts). */
import { readFileSync } from "node:fs";
import { Command } from "commander";
import type { ContainerCreateBody } from "../../../api/containers.js";
import { BerthError } from "../../../shared/errors.js";
import type { CreateBodyDraft } from "./flag-group.js";
import { FLAG_GROUPS } from "./flag-groups.js";

/** Parsed `run`/`create` flags. */
export interface CreateFlags {
  /** docker's --pull: "missing" (default), "always" or "never". */
  pull?: string;
  interactive?: boolean;
  tty?: boolean;
  name?: string;
  env: string[];
  envFile: string[];
  workdir?: string;
  user?: string;
  entrypoint?: string;
  hostname?: string;
  label: string[];
  memory?: string;
  cpus?: string;
  pidsLimit?: string;
  capAdd: string[];
  capDrop: string[];
  readOnly?: boolean;
  privileged?: boolean;
  /** `--network`, parsed by flags/network-flags.ts. */
  network?: string;
  rm?: boolean;
  detach?: boolean;
}

const collect = (v: string, prev: string[]) => [...prev, v];

/** Add the create flags to a command. */
export function addCreateFlags(cmd: Command): Command {
  cmd
    .option("--pull <policy>", 'pull image before running ("always", "missing", "never")', "missing")
    .option("-i, --interactive", "keep STDIN open even if not attached")
    .option("-t, --tty", "allocate a pseudo-TTY")
    .option("--name <name>", "assign a name to the container")
    .option("-e, --env <env>", "set environment variables", collect, [])
    .option("--env-file <file>", "read in a file of environment variables", collect, [])
    .option("-w, --workdir <dir>", "working directory inside the container")
    .option("-u, --user <user>", "username or UID (format: <name|uid>[:<group|gid>])")
    .option("--entrypoint <cmd>", "overwrite the default ENTRYPOINT of the image")
    .option("-h, --hostname <name>", "container host name")
    .option("-l, --label <label>", "set meta data on a container", collect, [])
    .option("-m, --memory <bytes>", "memory limit")
    .option("--cpus <n>", "number of CPUs")
    .option("--pids-limit <n>", "tune container pids limit (-1 for unlimited)")
    .option("--cap-add <cap>", "add Linux capabilities", collect, [])
    .option("--cap-drop <cap>", "drop Linux capabilities", collect, [])
    .option("--read-only", "mount the container's root filesystem as read only")
    .option("--privileged", "give extended privileges to this container")
    .option("--rm", "automatically remove the container when it exits")
    .helpOption("--help", "display help for command");
  for (const g of FLAG_GROUPS) g.add(cmd);
  return cmd;
}

/** go-units RAMInBytes: "64m", "1g", "512k", "100" (bytes). */
export function parseMemory(v: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([kmgtp]?)i?b?$/i.exec(v.trim());
  if (m === null) throw new BerthError("invalid-argument", `invalid size: '${v}'`);
  const mult = { "": 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4, p: 1024 ** 5 }[(m[2] ?? "").toLowerCase() as "" | "k"] ?? 1;
  return Math.floor(Number(m[1]) * mult);
}

function parseEnvFile(path: string): string[] {
  const out: string[] = [];
  for (const raw of readFileSync(path, "utf8").split("\n")) {
    const line = raw.replace(/^\s+/, "");
    if (line === "" || line.startsWith("#")) continue;
    if (line.includes("=")) out.push(line);
    else if (process.env[line] !== undefined) out.push(`${line}=${process.env[line]}`);
  }
  return out;
}

function expandEnv(e: string): string[] {
  if (e.includes("=")) return [e];
  // "-e NAME" takes the value from the client's environment, as docker does.
  const v = process.env[e];
  return v === undefined ? [] : [`${e}=${v}`];
}

/** Build the create body. */
export function createBody(image: string, args: readonly string[], f: CreateFlags): ContainerCreateBody {
  const env = [...f.envFile.flatMap(parseEnvFile), ...f.env.flatMap(expandEnv)];
  const labels: Record<string, string> = {};
  for (const l of f.label) {
    const i = l.indexOf("=");
    if (i === -1) labels[l] = "";
    else labels[l.slice(0, i)] = l.slice(i + 1);
  }
  const hc: NonNullable<ContainerCreateBody["HostConfig"]> = {
    AutoRemove: f.rm === true,
    Privileged: f.privileged === true,
    ReadonlyRootfs: f.readOnly === true,
    CapAdd: f.capAdd,
    CapDrop: f.capDrop,
  };
  if (f.memory !== undefined) hc.Memory = parseMemory(f.memory);
  if (f.cpus !== undefined) {
    const n = Number(f.cpus);
    if (!Number.isFinite(n) || n < 0) throw new BerthError("invalid-argument", `invalid argument "${f.cpus}" for "--cpus" flag`);
    hc.NanoCpus = Math.round(n * 1e9);
  }
  if (f.pidsLimit !== undefined) hc.PidsLimit = Number(f.pidsLimit);
  const body: CreateBodyDraft = {
    Image: image,
    Tty: f.tty === true,
    OpenStdin: f.interactive === true,
    StdinOnce: f.interactive === true && f.detach !== true,
    AttachStdin: f.interactive === true && f.detach !== true,
    AttachStdout: f.detach !== true,
    AttachStderr: f.detach !== true,
    Env: env,
    Labels: labels,
    HostConfig: hc,
  };
  if (args.length > 0) body.Cmd = [...args];
  if (f.entrypoint !== undefined) body.Entrypoint = [f.entrypoint];
  if (f.workdir !== undefined) body.WorkingDir = f.workdir;
  if (f.user !== undefined) body.User = f.user;
  if (f.hostname !== undefined) body.Hostname = f.hostname;
  for (const g of FLAG_GROUPS) g.apply(f as unknown as Record<string, unknown>, body);
  return body;
}
