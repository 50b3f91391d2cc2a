/**
 * Validation of a `POST /networks/create` body (Docker's `NetworkCreateRequest`) and of
 * the bridge driver options, with Docker's texts where clients show them.
 */
import { invalidArgument, notFound, notImplemented, BerthError } from "../../shared/errors.js";
import { contains, formatIp, parseCidr, parseIp, within } from "./ipv4.js";

/** The Engine API body of `POST /networks/create`. */
export interface NetworkCreateRequest {
  Name: string;
  Driver?: string;
  Scope?: string;
  Internal?: boolean;
  Attachable?: boolean;
  Ingress?: boolean;
  ConfigOnly?: boolean;
  ConfigFrom?: { Network?: string } | null;
  EnableIPv4?: boolean;
  EnableIPv6?: boolean;
  CheckDuplicate?: boolean;
  IPAM?: {
    Driver?: string;
    Config?: Array<{ Subnet?: string; IPRange?: string; Gateway?: string; AuxiliaryAddresses?: Record<string, string> }> | null;
    Options?: Record<string, string> | null;
  } | null;
  Options?: Record<string, string> | null;
  Labels?: Record<string, string> | null;
}

/** Option keys of the bridge driver (Docker's). */
export const OPT_BRIDGE_NAME = "com.docker.network.bridge.name";
export const OPT_MTU = "com.docker.network.driver.mtu";
export const OPT_MASQUERADE = "com.docker.network.bridge.enable_ip_masquerade";
export const OPT_ICC = "com.docker.network.bridge.enable_icc";
export const OPT_HOST_BINDING = "com.docker.network.bridge.host_binding_ipv4";
export const OPT_DEFAULT_BRIDGE = "com.docker.network.bridge.default_bridge";

/** Names Docker reserves for its predefined networks. */
export const PREDEFINED = new Set(["bridge", "host", "none", "default"]);

const NAME_RE = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;
const IFNAME_RE = /^[A-Za-z0-9_.-]{1,15}$/;

/** Docker's strconv.ParseBool. */
export function parseBool(key: string, value: string): boolean {
  if (["1", "t", "T", "TRUE", "true", "True"].includes(value)) return true;
  if (["0", "f", "F", "FALSE", "false", "False"].includes(value)) return false;
  throw invalidArgument(`invalid option ${key}: "${value}" is not a boolean`);
}

/** The validated, normalised request. */
export interface ValidCreate {
  name: string;
  internal: boolean;
  attachable: boolean;
  ipamDriver: string;
  ipamOptions: Record<string, string>;
  /** At most one IPv4 pool: berth has one subnet per network. */
  pool?: { subnet: string; gateway?: string; ipRange?: string };
  options: Record<string, string>;
  labels: Record<string, string>;
  bridgeName?: string;
  mtu?: number;
  masquerade: boolean;
  icc: boolean;
  hostBinding?: string;
}

/** Check a network name (Docker's pattern). */
export function validateName(name: unknown): string {
  if (typeof name !== "string" || name === "") throw invalidArgument("network name is required");
  if (!NAME_RE.test(name)) throw invalidArgument(`invalid name (${name}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`);
  if (name.length > 200) throw invalidArgument(`invalid name (${name}): longer than 200 characters`);
  return name;
}

/** Check a Linux interface name. */
export function validateIfname(key: string, name: string): string {
  if (!IFNAME_RE.test(name) || name === "." || name === "..") {
    throw invalidArgument(`invalid option ${key}: "${name}" is not a valid interface name (1-15 of [A-Za-z0-9_.-])`);
  }
  return name;
}

function stringMap(what: string, v: unknown): Record<string, string> {
  if (v === undefined || v === null) return {};
  if (typeof v !== "object" || Array.isArray(v)) throw invalidArgument(`invalid ${what}: not an object`);
  const out: Record<string, string> = {};
  for (const [k, val] of Object.entries(v as Record<string, unknown>)) {
    if (typeof val !== "string") throw invalidArgument(`invalid ${what}: value of "${k}" is not a string`);
    out[k] = val;
  }
  return out;
}

/** Validate a create request for a user-defined bridge network. */
export function validateCreate(req: NetworkCreateRequest): ValidCreate {
  const name = validateName(req.Name);
  if (PREDEFINED.has(name)) throw new BerthError("permission-denied", `${name} is a pre-defined network and cannot be created`);
  const driver = req.Driver === undefined || req.Driver === "" ? "bridge" : req.Driver;
  if (driver === "host" || driver === "null") throw new BerthError("permission-denied", `only one instance of "${driver}" network is allowed`);
  if (driver !== "bridge") throw notFound(`plugin "${driver}" not found`);
  if (req.EnableIPv6 === true) throw notImplemented("create network: IPv6 networks are not supported");
  if (req.EnableIPv4 === false) throw notImplemented("create network: IPv4 cannot be disabled");
  if (req.Ingress === true) throw notImplemented("create network: ingress networks need swarm mode");
  if (req.ConfigOnly === true || (req.ConfigFrom?.Network ?? "") !== "") throw notImplemented("create network: config-only networks are not supported");
  if (req.Scope !== undefined && req.Scope !== "" && req.Scope !== "local") throw notImplemented(`create network: scope "${req.Scope}" is not supported`);
  const ipamDriver = req.IPAM?.Driver === undefined || req.IPAM.Driver === "" ? "default" : req.IPAM.Driver;
  if (ipamDriver !== "default") throw notFound(`plugin "${ipamDriver}" not found`);
  const ipamOptions = stringMap("IPAM options", req.IPAM?.Options);
  const options = stringMap("options", req.Options);
  const labels = stringMap("labels", req.Labels);
  const out: ValidCreate = {
    name,
    internal: req.Internal === true,
    attachable: req.Attachable === true,
    ipamDriver,
    ipamOptions,
    options,
    labels,
    masquerade: true,
    icc: true,
  };
  const configs = req.IPAM?.Config ?? [];
  if (!Array.isArray(configs)) throw invalidArgument("invalid IPAM config: not a list");
  const v4 = configs.filter((c) => !(c.Subnet ?? "").includes(":"));
  if (v4.length < configs.length) throw notImplemented("create network: IPv6 subnets are not supported");
  if (v4.length > 1) throw notImplemented("create network: more than one IPv4 subnet per network is not supported");
  const c = v4[0];
  if (c !== undefined) {
    if ((c.Subnet ?? "") === "") {
      if ((c.Gateway ?? "") !== "" || (c.IPRange ?? "") !== "") throw invalidArgument("every ip-range or gateway must have a corresponding subnet");
    } else {
      const subnetText = c.Subnet ?? "";
      const subnet = parseCidr(subnetText, true);
      if (subnet.len > 30) throw invalidArgument(`invalid subnet ${subnetText}: too small for a gateway and an endpoint`);
      const pool: { subnet: string; gateway?: string; ipRange?: string } = { subnet: subnetText };
      if ((c.Gateway ?? "") !== "") {
        let gw: number;
        try {
          gw = parseIp(c.Gateway ?? "");
        } catch {
          throw invalidArgument(`invalid gateway address ${c.Gateway ?? ""}`);
        }
        if (!contains(subnet, gw)) throw invalidArgument(`invalid gateway address ${c.Gateway ?? ""}: not in subnet ${subnetText}`);
        pool.gateway = formatIp(gw);
      }
      if ((c.IPRange ?? "") !== "") {
        const range = parseCidr(c.IPRange ?? "", true);
        if (!within(subnet, range)) throw invalidArgument(`invalid ip-range ${c.IPRange ?? ""}: not in subnet ${subnetText}`);
        pool.ipRange = c.IPRange ?? "";
      }
      if (Object.keys(c.AuxiliaryAddresses ?? {}).length > 0) throw notImplemented("create network: auxiliary addresses are not supported");
      out.pool = pool;
    }
  }
  const br = options[OPT_BRIDGE_NAME];
  if (br !== undefined) out.bridgeName = validateIfname(OPT_BRIDGE_NAME, br);
  const mtu = options[OPT_MTU];
  if (mtu !== undefined) {
    if (!/^[0-9]{1,6}$/.test(mtu) || Number(mtu) < 68 || Number(mtu) > 65535) {
      throw invalidArgument(`invalid option ${OPT_MTU}: "${mtu}" is not an MTU between 68 and 65535`);
    }
    out.mtu = Number(mtu);
  }
  const masq = options[OPT_MASQUERADE];
  if (masq !== undefined) out.masquerade = parseBool(OPT_MASQUERADE, masq);
  const icc = options[OPT_ICC];
  if (icc !== undefined) out.icc = parseBool(OPT_ICC, icc);
  const hb = options[OPT_HOST_BINDING];
  if (hb !== undefined) {
    try {
      parseIp(hb);
    } catch {
      throw invalidArgument(`invalid option ${OPT_HOST_BINDING}: "${hb}" is not an IPv4 address`);
    }
    out.hostBinding = hb;
  }
  return out;
}
