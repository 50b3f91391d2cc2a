/**
 * berthd's networking settings with dockerd's names: `--bridge`/`"bridge"` (the default
 * bridge's Linux name, "none" for no default bridge), `--bip`/`"bip"` (its gateway address
 * with prefix), `"default-address-pools"`, `--ip-forward`, `--ip-masq` and `--iptables`
 * (false: berth writes no nftables rules at all). Booleans on the command line take a value
 * (`--iptables=false`), as dockerd users write them.
 */
import { createHash } from "node:crypto";
import { invalidArgument } from "../shared/errors.js";

/** The networking part of the daemon's configuration. */
export interface DaemonNetworkConfig {
  /** The default bridge's interface name, or "none". */
  bridge: string;
  /** `--bip`: gateway/prefix of the default bridge ("172.30.0.1/16"). */
  bip: string | undefined;
  defaultAddressPools: Array<{ base: string; size: number }> | undefined;
  ipForward: boolean;
  ipMasq: boolean;
  iptables: boolean;
  /** berth's nftables table: "berth" on the default data root, else one per data root. */
  nftTable: string;
}

/** Networking flags as parsed from the command line (undefined = not given). */
export interface DaemonNetworkFlags {
  bridge?: string | undefined;
  bip?: string | undefined;
  ipForward?: string | undefined;
  ipMasq?: string | undefined;
  iptables?: string | undefined;
}

const FILE_KEYS: Record<string, keyof DaemonNetworkFlags | "defaultAddressPools"> = {
  bridge: "bridge",
  bip: "bip",
  "ip-forward": "ipForward",
  "ip-masq": "ipMasq",
  iptables: "iptables",
  "default-address-pools": "defaultAddressPools",
};

/** The config-file keys handled here. */
export const NETWORK_FILE_KEYS: ReadonlySet<string> = new Set(Object.keys(FILE_KEYS));

function flagBool(name: string, v: string): boolean {
  if (v === "true" || v === "1") return true;
  if (v === "false" || v === "0") return false;
  throw invalidArgument(`invalid argument "${v}" for "--${name}" flag: parse error`);
}

function fileBool(configFile: string, key: string, v: unknown): boolean {
  if (typeof v !== "boolean") throw invalidArgument(`config file "${configFile}": "${key}" must be a boolean`);
  return v;
}

function pools(configFile: string, v: unknown): Array<{ base: string; size: number }> {
  const bad = () => invalidArgument(`config file "${configFile}": "default-address-pools" must be a list of {"base": "a.b.c.d/n", "size": n}`);
  if (!Array.isArray(v)) throw bad();
  return v.map((p: unknown) => {
    if (p === null || typeof p !== "object") throw bad();
    const { base, size } = p as { base?: unknown; size?: unknown };
    if (typeof base !== "string" || !/^\d+\.\d+\.\d+\.\d+\/\d+$/.test(base) || typeof size !== "number" || !Number.isInteger(size) || size < 1 || size > 30) throw bad();
    const baseLen = Number(base.split("/")[1]);
    if (size < baseLen) throw invalidArgument(`config file "${configFile}": default-address-pools: size ${size} is larger than the base ${base}`);
    return { base, size };
  });
}

/** The interface-name-safe default bridge and the table name for a data root. */
export function perDataRootNames(dataRoot: string, isDefault: boolean): { bridge: string; nftTable: string } {
  if (isDefault) return { bridge: "berth0", nftTable: "berth" };
  const h = createHash("sha256").update(dataRoot).digest("hex").slice(0, 8);
  return { bridge: `berth-${h}`, nftTable: `berth_${h}` };
}

/**
 * Merge the networking flags and config-file keys. `both` collects keys given both ways
 * (the caller reports them with the others).
 */
export function loadNetworkConfig(
  flags: DaemonNetworkFlags,
  file: Record<string, unknown>,
  o: { configFile: string; dataRoot: string; defaultDataRoot: boolean; both: string[] },
): DaemonNetworkConfig {
  const names = perDataRootNames(o.dataRoot, o.defaultDataRoot);
  const out: DaemonNetworkConfig = {
    bridge: names.bridge, bip: undefined, defaultAddressPools: undefined, ipForward: true, ipMasq: true, iptables: true, nftTable: names.nftTable,
  };
  const given = new Set<string>();
  for (const [key, field] of Object.entries(FILE_KEYS)) {
    if (!(key in file)) continue;
    const v = file[key];
    if (field !== "defaultAddressPools" && flags[field] !== undefined) {
      o.both.push(key);
      continue;
    }
    given.add(field);
    if (field === "defaultAddressPools") out.defaultAddressPools = pools(o.configFile, v);
    else if (field === "bridge" || field === "bip") {
      if (typeof v !== "string") throw invalidArgument(`config file "${o.configFile}": "${key}" must be a string`);
      out[field] = v;
    } else out[field] = fileBool(o.configFile, key, v);
  }
  if (flags.bridge !== undefined) out.bridge = flags.bridge;
  if (flags.bip !== undefined) out.bip = flags.bip;
  if (flags.ipForward !== undefined) out.ipForward = flagBool("ip-forward", flags.ipForward);
  if (flags.ipMasq !== undefined) out.ipMasq = flagBool("ip-masq", flags.ipMasq);
  if (flags.iptables !== undefined) out.iptables = flagBool("iptables", flags.iptables);
  if (out.bridge !== "none" && !/^[A-Za-z0-9_.-]{1,15}$/.test(out.bridge)) throw invalidArgument(`invalid bridge name "${out.bridge}"`);
  if (out.bip !== undefined && !/^\d+\.\d+\.\d+\.\d+\/\d+$/.test(out.bip)) throw invalidArgument(`invalid bip "${out.bip}": expected an address with a prefix length (172.30.0.1/16)`);
  if (out.bip !== undefined && out.bridge === "none") throw invalidArgument("you specified -b & --bip, mutually exclusive options. Please specify only one");
  return out;
}
