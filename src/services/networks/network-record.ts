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
