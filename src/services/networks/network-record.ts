/**
 * What the network service persists (one atomic JSON record per network under
 * `<dataRoot>/networks/`) and the Docker Engine API shape it is shown as. Endpoints live in
 * their network's record, so address allocations survive a restart with the record.
 */

/** A published port as stored and as returned by `publish`. */
export interface PortBinding {
  /** "0.0.0.0" for every host address. */
  hostIp: string;
  hostPort: number;
  containerPort: number;
  proto: "tcp" | "udp";
}

/** One container's attachment to one network. */
export interface EndpointRecord {
  /** 64 hex. */
  id: string;
  containerId: string;
  /** The container's name without the leading "/". */
  name: string;
  aliases: string[];
  /** Dotted quad; empty on host/none networks. */
  ip: string;
  mac: string;
  /** The interface name inside the container ("eth0"). */
  ifname: string;
  /** The host end of the veth pair. */
  hostVeth: string;
  ports: PortBinding[];
}

/** One IPv4 IPAM pool of a network. */
export interface SubnetRecord {
  subnet: string;
  gateway: string;
  ipRange?: string;
  /** True when the user gave the subnet (requested IPs are allowed only then, as in Docker). */
  userSubnet: boolean;
}

/** The stored network. */
export interface NetworkRecord {
  /** 64 hex. */
  id: string;
  name: string;
  /** RFC 3339 with nanoseconds. */
  created: string;
  driver: "bridge" | "host" | "null";
  internal: boolean;
  attachable: boolean;
  /** True for the predefined networks (bridge, host, none). */
  builtin: boolean;
  ipamDriver: string;
  ipamOptions: Record<string, string>;
  /** Empty for host and none. */
  subnets: SubnetRecord[];
  options: Record<string, string>;
  labels: Record<string, string>;
  /** Bridge networks: the Linux bridge's name. */
  bridge?: string;
  mtu?: number;
  masquerade: boolean;
  /**
   * Inter-container communication on the bridge (`com.docker.network.bridge.enable_icc`).
   * Enforced by the forward chain, which sees bridged traffic only with br_netfilter on.
   * Absent means true (records written before the field existed).
   */
  icc?: boolean;
  /** Keyed by endpoint id. */
  endpoints: Record<string, EndpointRecord>;
}

/** `Network` of the Engine API (GET /networks/{id}). */
export interface NetworkInspect {
  Name: string;
  Id: string;
  Created: string;
  Scope: "local";
  Driver: string;
  EnableIPv4: boolean;
  EnableIPv6: boolean;
  IPAM: {
    Driver: string;
    Options: Record<string, string>;
    Config: Array<{ Subnet: string; Gateway?: string; IPRange?: string }>;
  };
  Internal: boolean;
  Attachable: boolean;
  Ingress: boolean;
  ConfigFrom: { Network: string };
  ConfigOnly: boolean;
  Containers: Record<string, { Name: string; EndpointID: string; MacAddress: string; IPv4Address: string; IPv6Address: string }>;
  Options: Record<string, string>;
  Labels: Record<string, string>;
}

/** The Engine API shape of a record. */
export function toInspect(n: NetworkRecord): NetworkInspect {
  const containers: NetworkInspect["Containers"] = {};
  const prefixLen = n.subnets[0]?.subnet.split("/")[1];
  for (const ep of Object.values(n.endpoints)) {
    containers[ep.containerId] = {
      Name: ep.name,
      EndpointID: ep.id,
      MacAddress: ep.mac,
      IPv4Address: ep.ip !== "" && prefixLen !== undefined ? `${ep.ip}/${prefixLen}` : "",
      IPv6Address: "",
    };
  }
  return {
    Name: n.name,
    Id: n.id,
    Created: n.created,
    Scope: "local",
    Driver: n.driver,
    EnableIPv4: true,
    EnableIPv6: false,
    IPAM: {
      Driver: n.ipamDriver,
      Options: { ...n.ipamOptions },
      Config: n.subnets.map((s) => {
        const c: { Subnet: string; Gateway?: string; IPRange?: string } = { Subnet: s.subnet, Gateway: s.gateway };
        if (s.ipRange !== undefined) c.IPRange = s.ipRange;
        return c;
      }),
    },
    Internal: n.internal,
    Attachable: n.attachable,
    Ingress: false,
    ConfigFrom: { Network: "" },
    ConfigOnly: false,
    Containers: containers,
    Options: { ...n.options },
    Labels: { ...n.labels },
  };
}

/** RFC 3339 with nanoseconds, as Docker writes `Created`. */
export function rfc3339Nano(ms: number, nanosExtra = 0): string {
  const iso = new Date(ms).toISOString(); // 2024-01-02T03:04:05.678Z
  const frac = `${iso.slice(20, 23)}${String(nanosExtra % 1_000_000).padStart(6, "0")}`;
  return `${iso.slice(0, 19)}.${frac}Z`;
}

function fail(id: string, field: string, why: string): never {
  throw new RangeError(`network record "${id}": ${field} ${why}`);
}

function str(id: string, o: Record<string, unknown>, field: string, re?: RegExp): string {
  const v = o[field];
  if (typeof v !== "string") fail(id, field, "is not a string");
  if (re !== undefined && !re.test(v)) fail(id, field, `is malformed: "${v}"`);
  return v;
}

function bool(id: string, o: Record<string, unknown>, field: string): boolean {
  const v = o[field];
  if (typeof v !== "boolean") fail(id, field, "is not a boolean");
  return v;
}

function strMap(id: string, o: Record<string, unknown>, field: string): Record<string, string> {
  const v = o[field];
  if (typeof v !== "object" || v === null || Array.isArray(v)) fail(id, field, "is not an object");
  for (const [k, x] of Object.entries(v)) if (typeof x !== "string") fail(id, `${field}.${k}`, "is not a string");
  return v as Record<string, string>;
}

const HEX64 = /^[0-9a-f]{64}$/;
const IPV4 = /^(\d{1,3}\.){3}\d{1,3}$/;
const CIDR = /^(\d{1,3}\.){3}\d{1,3}\/\d{1,2}$/;
const IFNAME = /^[A-Za-z0-9_.-]{1,15}$/;

/**
 * Check a record read from disk (a hand edit or a bug must not crash the daemon or drive
 * `ip` with nonsense): every field's type, ids, addresses and interface names. Throws
 * RangeError naming the record and the field.
 */
export function validateRecord(raw: unknown): NetworkRecord {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) throw new RangeError("network record: not an object");
  const o = raw as Record<string, unknown>;
  const id = typeof o["id"] === "string" ? o["id"] : "?";
  str(id, o, "id", HEX64);
  str(id, o, "name", /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/);
  str(id, o, "created");
  const driver = str(id, o, "driver");
  if (driver !== "bridge" && driver !== "host" && driver !== "null") fail(id, "driver", `is unknown: "${driver}"`);
  for (const f of ["internal", "attachable", "builtin", "masquerade"]) bool(id, o, f);
  if (o["icc"] !== undefined) bool(id, o, "icc");
  str(id, o, "ipamDriver");
  strMap(id, o, "ipamOptions");
  strMap(id, o, "options");
  strMap(id, o, "labels");
  if (o["bridge"] !== undefined) str(id, o, "bridge", IFNAME);
  if (driver === "bridge" && o["bridge"] === undefined) fail(id, "bridge", "is missing");
  if (o["mtu"] !== undefined && (typeof o["mtu"] !== "number" || !Number.isInteger(o["mtu"]) || o["mtu"] < 68 || o["mtu"] > 65535)) fail(id, "mtu", "is not an MTU");
  const subnets = o["subnets"];
  if (!Array.isArray(subnets)) fail(id, "subnets", "is not a list");
  if (driver === "bridge" && subnets.length !== 1) fail(id, "subnets", "must hold one IPv4 pool");
  subnets.forEach((s: unknown, i: number) => {
    if (typeof s !== "object" || s === null) fail(id, `subnets[${i}]`, "is not an object");
    const so = s as Record<string, unknown>;
    str(id, so, "subnet", CIDR);
    str(id, so, "gateway", IPV4);
    if (so["ipRange"] !== undefined) str(id, so, "ipRange", CIDR);
    bool(id, so, "userSubnet");
  });
  const eps = o["endpoints"];
  if (typeof eps !== "object" || eps === null || Array.isArray(eps)) fail(id, "endpoints", "is not an object");
  for (const [key, e] of Object.entries(eps)) {
    const f = `endpoints.${key}`;
    if (typeof e !== "object" || e === null) fail(id, f, "is not an object");
    const eo = e as Record<string, unknown>;
    if (str(id, eo, "id", HEX64) !== key) fail(id, `${f}.id`, "does not match its key");
    str(id, eo, "containerId", /^[0-9a-f]{12,64}$/);
    str(id, eo, "name");
    if (!Array.isArray(eo["aliases"]) || eo["aliases"].some((a) => typeof a !== "string")) fail(id, `${f}.aliases`, "is not a list of strings");
    if (driver === "bridge") {
      str(id, eo, "ip", IPV4);
      str(id, eo, "mac", /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/);
      str(id, eo, "ifname", IFNAME);
      str(id, eo, "hostVeth", IFNAME);
    }
    const ports = eo["ports"];
    if (!Array.isArray(ports)) fail(id, `${f}.ports`, "is not a list");
    ports.forEach((p: unknown, i: number) => {
      const po = (typeof p === "object" && p !== null ? p : {}) as Record<string, unknown>;
      str(id, po, "hostIp", IPV4);
      if (po["proto"] !== "tcp" && po["proto"] !== "udp") fail(id, `${f}.ports[${i}].proto`, "is not tcp or udp");
      for (const k of ["hostPort", "containerPort"]) {
        const n = po[k];
        if (typeof n !== "number" || !Number.isInteger(n) || n < 1 || n > 65535) fail(id, `${f}.ports[${i}].${k}`, "is not a port");
      }
    });
  }
  return raw as NetworkRecord;
}
