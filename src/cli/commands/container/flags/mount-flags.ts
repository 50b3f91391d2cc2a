/**
 * `run`/`create` storage flags, translated as the docker CLI does
 * (cli/command/container/opts.go, cli/opts/mount.go): `-v/--volume` (a spec with a source
 * goes to HostConfig.Binds, a bare destination to Config.Volumes), `--mount` (docker's csv
 * syntax into HostConfig.Mounts), `--tmpfs` (HostConfig.Tmpfs), `--volumes-from`.
 */
import { resolve } from "node:path";
import type { Command } from "commander";
import type { MountSpec } from "../../../../api/volumes.js";
import { BerthError } from "../../../../shared/errors.js";
import { flagGroup } from "../flag-group.js";

/** The flags of this group as commander parses them. */
export interface MountFlags {
  volume?: string[];
  mount?: string[];
  tmpfs?: string[];
  volumesFrom?: string[];
}

const collect = (v: string, p: string[] = []): string[] => [...p, v];
const bad = (msg: string): BerthError => new BerthError("invalid-argument", msg);

/** One csv record (Go's encoding/csv: fields may be quoted, `""` is a quote inside quotes). */
export function splitCsv(line: string): string[] {
  const out: string[] = [];
  let cur = "";
  let quoted = false;
  let i = 0;
  let fieldStart = true;
  while (i < line.length) {
    const c = line[i] as string;
    if (quoted) {
      if (c === "\"" && line[i + 1] === "\"") {
        cur += "\"";
        i += 2;
        continue;
      }
      if (c === "\"") quoted = false;
      else cur += c;
    } else if (c === "\"" && fieldStart) {
      quoted = true;
    } else if (c === ",") {
      out.push(cur);
      cur = "";
      fieldStart = true;
      i++;
      continue;
    } else {
      cur += c;
    }
    fieldStart = false;
    i++;
  }
  if (quoted) throw bad("extraneous or missing \" in quoted-field");
  out.push(cur);
  return out;
}

/** go-units RAMInBytes: "64m", "1g", "512k", "100" (binary multiples). */
function ramInBytes(v: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)\s*([kmgtp]?)i?b?$/i.exec(v.trim());
  if (m === null) return undefined;
  const mult = { "": 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4, p: 1024 ** 5 }[(m[2] ?? "").toLowerCase() as "" | "k"] ?? 1;
  return Math.floor(Number(m[1]) * mult);
}

function parseBool(v: string): boolean | undefined {
  if (["1", "t", "T", "TRUE", "true", "True"].includes(v)) return true;
  if (["0", "f", "F", "FALSE", "false", "False"].includes(v)) return false;
  return undefined;
}

/** docker's MountOpt.Set: one `--mount` value. Errors are the CLI's texts (without the flag prefix). */
export function parseMountFlag(value: string, cwd: string = process.cwd()): MountSpec {
  const m: MountSpec = { Type: "volume" };
  const vol = () => (m.VolumeOptions ??= {});
  const bind = () => (m.BindOptions ??= {});
  const tmpfs = () => (m.TmpfsOptions ??= {});
  const setOnMap = (target: Record<string, string>, v: string) => {
    const i = v.indexOf("=");
    if (i === -1) target[v] = "";
    else target[v.slice(0, i)] = v.slice(i + 1);
  };
  for (const field of splitCsv(value)) {
    const eq = field.indexOf("=");
    const key = (eq === -1 ? field : field.slice(0, eq)).toLowerCase();
    const val = eq === -1 ? "" : field.slice(eq + 1);
    if (eq === -1) {
      if (key === "readonly" || key === "ro") m.ReadOnly = true;
      else if (key === "volume-nocopy") vol().NoCopy = true;
      else if (key === "bind-nonrecursive") bind().NonRecursive = true;
      else throw bad(`invalid field '${field}' must be a key=value pair`);
      continue;
    }
    switch (key) {
      case "type": m.Type = val.toLowerCase(); break;
      case "source": case "src":
        m.Source = val.startsWith("./") || val === "." ? resolve(cwd, val) : val;
        break;
      case "target": case "dst": case "destination": m.Target = val; break;
      case "readonly": case "ro": {
        const b = parseBool(val);
        if (b === undefined) throw bad(`invalid value for ${key}: ${val}`);
        m.ReadOnly = b;
        break;
      }
      case "consistency": m.Consistency = val.toLowerCase(); break;
      case "bind-propagation": bind().Propagation = val.toLowerCase(); break;
      case "bind-nonrecursive": {
        const b = parseBool(val);
        if (b === undefined) throw bad(`invalid value for ${key}: ${val}`);
        bind().NonRecursive = b;
        break;
      }
      case "volume-nocopy": {
        const b = parseBool(val);
        if (b === undefined) throw bad(`invalid value for volume-nocopy: ${val}`);
        vol().NoCopy = b;
        break;
      }
      case "volume-label": setOnMap((vol().Labels ??= {}), val); break;
      case "volume-driver": (vol().DriverConfig ??= {}).Name = val; break;
      case "volume-opt": {
        const dc = (vol().DriverConfig ??= {});
        setOnMap((dc.Options ??= {}), val);
        break;
      }
      case "tmpfs-size": {
        const n = ramInBytes(val);
        if (n === undefined) throw bad(`invalid value for ${key}: ${val}`);
        tmpfs().SizeBytes = n;
        break;
      }
      case "tmpfs-mode": {
        if (!/^[0-7]+$/.test(val) || parseInt(val, 8) > 0xffffffff) throw bad(`invalid value for ${key}: ${val}`);
        tmpfs().Mode = parseInt(val, 8);
        break;
      }
      default: throw bad(`unexpected key '${key}' in '${field}'`);
    }
  }
  if (m.Type === "") throw bad("type is required");
  if ((m.Target ?? "") === "") throw bad("target is required");
  if (m.VolumeOptions !== undefined && m.Type !== "volume") throw bad(`cannot mix 'volume-*' options with mount type '${m.Type}'`);
  if (m.BindOptions !== undefined && m.Type !== "bind") throw bad(`cannot mix 'bind-*' options with mount type '${m.Type}'`);
  if (m.TmpfsOptions !== undefined && m.Type !== "tmpfs") throw bad(`cannot mix 'tmpfs-*' options with mount type '${m.Type}'`);
  return m;
}

/**
 * `-v` values split as the docker CLI does: a spec with a source is a bind (a host path
 * starting with "." made absolute), a bare destination an anonymous volume.
 */
export function splitVolumeFlags(values: readonly string[], cwd: string = process.cwd()): { binds: string[]; volumes: Record<string, Record<string, never>> } {
  const binds: string[] = [];
  const volumes: Record<string, Record<string, never>> = {};
  for (const v of values) {
    const i = v.indexOf(":");
    if (i === -1) {
      volumes[v] = {};
      continue;
    }
    const host = v.slice(0, i);
    binds.push(host.startsWith(".") ? `${resolve(cwd, host)}${v.slice(i)}` : v);
  }
  return { binds, volumes };
}

export const mountFlags = flagGroup<MountFlags>({
  add(cmd: Command): Command {
    return cmd
      .option("-v, --volume <spec>", "bind mount a volume", collect)
      .option("--mount <mount>", "attach a filesystem mount to the container", collect)
      .option("--tmpfs <path>", "mount a tmpfs directory", collect)
      .option("--volumes-from <container>", "mount volumes from the specified container(s)", collect);
  },
  apply(f: MountFlags, body): void {
    const hc = body.HostConfig;
    const { binds, volumes } = splitVolumeFlags(f.volume ?? []);
    if (binds.length > 0) hc.Binds = [...(hc.Binds ?? []), ...binds];
    if (Object.keys(volumes).length > 0) body.Volumes = { ...(body.Volumes ?? {}), ...volumes };
    const mounts: MountSpec[] = [];
    for (const v of f.mount ?? []) {
      try {
        mounts.push(parseMountFlag(v));
      } catch (err) {
        throw bad(`invalid argument "${v}" for "--mount" flag: ${(err as Error).message}`);
      }
    }
    if (mounts.length > 0) hc.Mounts = mounts;
    const tmpfs: Record<string, string> = {};
    for (const t of f.tmpfs ?? []) {
      const i = t.indexOf(":");
      if (i === -1) tmpfs[t] = "";
      else tmpfs[t.slice(0, i)] = t.slice(i + 1);
    }
    if (Object.keys(tmpfs).length > 0) hc.Tmpfs = tmpfs;
    if ((f.volumesFrom ?? []).length > 0) hc.VolumesFrom = [...(f.volumesFrom ?? [])];
  },
});
