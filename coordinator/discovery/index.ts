/** Worker discovery: the port, its two adapters, and the address helpers they share. */
export type { DiscoveryState, WorkerDiscovery, WorkerEndpoint } from './discovery.js';
export { createStaticDiscovery, parseWorkerAddresses } from './static-discovery.js';
export { createDnsDiscovery, lookupWorkerAddresses } from './dns-discovery.js';
export {
  resolveDnsDiscoveryOptions,
  type DnsDiscoveryConfig,
  type DnsDiscoveryOptions,
} from './dns-discovery-options.js';
export { formatHostPort, normalizeAddressSet, parseHostPort, type HostPort } from './host-port.js';
export { DISCOVERY_ERROR_DOCS, DiscoveryError, DiscoveryErrorCode } from './errors.js';
