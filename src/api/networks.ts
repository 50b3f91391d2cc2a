/** Engine API wire types for networks (field names as in engine-api-v1.50.yaml). */

/** `Network` (GET /networks/{id}, entries of GET /networks). */
export interface NetworkResource {
  Name: string;
  Id: string;
  Created: string;
  Scope: string;
  Driver: string;
  EnableIPv4: boolean;
  EnableIPv6: boolean;
  IPAM: {
    Driver: string;
    Options: Record<string, string> | null;
    Config: Array<{ Subnet?: string; Gateway?: string; IPRange?: string; AuxiliaryAddresses?: Record<string, string> }> | null;
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

/** POST /networks/create body. */
export interface NetworkCreateBody {
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

/** POST /networks/create response. */
export interface NetworkCreateResponse {
  Id: string;
  Warning: string;
}

/** POST /networks/{id}/connect body. */
export interface NetworkConnectBody {
  Container: string;
  EndpointConfig?: {
    IPAMConfig?: { IPv4Address?: string; IPv6Address?: string } | null;
    Aliases?: string[] | null;
    MacAddress?: string;
    [k: string]: unknown;
  } | null;
}

/** POST /networks/{id}/disconnect body. */
export interface NetworkDisconnectBody {
  Container: string;
  Force?: boolean;
}

/** POST /networks/prune response. */
export interface NetworkPruneResponse {
  NetworksDeleted: string[] | null;
}
