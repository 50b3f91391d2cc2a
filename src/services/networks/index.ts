/** Networks: records, IPAM, the bridge/host/null drivers, published ports, embedded DNS. */
export {
  NetworkService,
  type NetworkServiceOptions,
  type DefaultBridgeOptions,
  type ConnectOptions,
  type EndpointInfo,
} from "./network-service.js";
export type { NetworkFilters } from "./network-filters.js";
export type { NetworkRecord, EndpointRecord, PortBinding, NetworkInspect, SubnetRecord } from "./network-record.js";
export type { NetworkCreateRequest } from "./create-request.js";
export { DEFAULT_ADDRESS_POOLS, POOL_OVERLAP, type AddressPool } from "./ipam.js";
export { buildHostsFile, buildHostnameFile, buildResolvConf, parseResolvConf, type ExtraHost, type HostsFileOptions, type ResolvConfOptions } from "./container-files.js";
export { DnsServer, type DnsUpstream } from "./dns/dns-server.js";
