/** `berth update`: new resource limits and restart policy for one or more containers. */
import { Command } from "commander";
import type { Cli } from "../../cli.js";
import type { ContainerUpdateBody } from "../../../api/containers.js";
import { BerthError } from "../../../shared/errors.js";
import { reportErrors } from "../report-errors.js";
import { containers } from "./client.js";
import { parseMemory } from "./create-options.js";
import { parseRestartPolicy } from "./flags/policy-flags.js";

/** The flags as commander gives them (strings, as typed). */
export interface UpdateFlags {
  blkioWeight?: string;
  cpuPeriod?: string;
  cpuQuota?: string;
  cpuShares?: string;
  cpus?: string;
  cpusetCpus?: string;
  cpusetMems?: string;
  memory?: string;
  memoryReservation?: string;
  memorySwap?: string;
  pidsLimit?: string;
  restart?: string;
}

function int(flag: string, v: string): number {
  if (!/^[+-]?\d+$/.test(v.trim())) throw new BerthError("invalid-argument", `invalid argument "${v}" for "--${flag}" flag: strconv.ParseInt: parsing "${v}": invalid syntax`);
  return Number(v);
}

function bytes(flag: string, v: string, allowUnlimited: boolean): number {
  if (allowUnlimited && v.trim() === "-1") return -1;
  try {
    return parseMemory(v);
  } catch (err) {
    throw new BerthError("invalid-argument", `invalid argument "${v}" for "--${flag}" flag: ${(err as Error).message}`);
  }
}

/** The update body of the flags (docker's runUpdate); a flag-less call is an error as in docker. */
export function updateBody(f: UpdateFlags): ContainerUpdateBody {
  const b: ContainerUpdateBody = {};
  if (f.blkioWeight !== undefined) b.BlkioWeight = int("blkio-weight", f.blkioWeight);
  if (f.cpuPeriod !== undefined) b.CpuPeriod = int("cpu-period", f.cpuPeriod);
  if (f.cpuQuota !== undefined) b.CpuQuota = int("cpu-quota", f.cpuQuota);
  if (f.cpuShares !== undefined) b.CpuShares = int("cpu-shares", f.cpuShares);
  if (f.cpus !== undefined) {
    const n = Number(f.cpus);
    if (f.cpus.trim() === "" || !Number.isFinite(n)) throw new BerthError("invalid-argument", `invalid argument "${f.cpus}" for "--cpus" flag: failed to parse ${f.cpus} as a rational number`);
    b.NanoCpus = Math.round(n * 1e9);
  }
  if (f.cpusetCpus !== undefined) b.CpusetCpus = f.cpusetCpus;
  if (f.cpusetMems !== undefined) b.CpusetMems = f.cpusetMems;
  if (f.memory !== undefined) b.Memory = bytes("memory", f.memory, false);
  if (f.memoryReservation !== undefined) b.MemoryReservation = bytes("memory-reservation", f.memoryReservation, false);
  if (f.memorySwap !== undefined) b.MemorySwap = bytes("memory-swap", f.memorySwap, true);
  if (f.pidsLimit !== undefined) b.PidsLimit = int("pids-limit", f.pidsLimit);
  if (f.restart !== undefined) {
    const p = parseRestartPolicy(f.restart);
    if (p !== undefined) b.RestartPolicy = p;
  }
  if (Object.keys(b).length === 0) throw new BerthError("invalid-argument", "you must provide one or more flags when using this command");
  return b;
}

/** Run `update`: prints each container updated, the daemon's warnings on stderr. */
export async function runUpdate(cli: Cli, names: readonly string[], f: UpdateFlags): Promise<void> {
  const body = updateBody(f);
  const errors: unknown[] = [];
  for (const n of names) {
    try {
      const r = await containers(cli).update(n, body);
      for (const w of r.Warnings ?? []) cli.err.write(`${w}\n`);
      cli.out.write(`${n}\n`);
    } catch (err) {
      errors.push(err);
    }
  }
  reportErrors(errors);
}

/** The `update` command. */
export function createUpdateCommand(cli: Cli): Command {
  return new Command("update")
    .description("Update configuration of one or more containers")
    .argument("<container...>")
    .option("--blkio-weight <weight>", "block IO (relative weight), between 10 and 1000, or 0 to disable")
    .option("--cpu-period <period>", "limit CPU CFS (Completely Fair Scheduler) period")
    .option("--cpu-quota <quota>", "limit CPU CFS (Completely Fair Scheduler) quota")
    .option("-c, --cpu-shares <shares>", "CPU shares (relative weight)")
    .option("--cpus <number>", "number of CPUs")
    .option("--cpuset-cpus <cpus>", "CPUs in which to allow execution (0-3, 0,1)")
    .option("--cpuset-mems <mems>", "MEMs in which to allow execution (0-3, 0,1)")
    .option("-m, --memory <bytes>", "memory limit")
    .option("--memory-reservation <bytes>", "memory soft limit")
    .option("--memory-swap <bytes>", "swap limit equal to memory plus swap: -1 to enable unlimited swap")
    .option("--pids-limit <limit>", "tune container pids limit (set -1 for unlimited)")
    .option("--restart <policy>", "restart policy to apply when a container exits")
    .action(async (names: string[], f: UpdateFlags) => runUpdate(cli, names, f));
}
