/** Worker discovery: the port, its two adapters, and the address rules they share with the coordinator's config. */
export type { DiscoveryState, WorkerDiscovery, WorkerEndpoint } from './discovery.js';
export { createStaticDiscovery } from './static-discovery.js';
export { createDnsDiscovery, lookupWorkerAddresses, type DnsDiscoveryOptions } from './dns-discovery.js';
export {
  checkDnsName,
  checkDnsServer,
  checkHostPort,
  checkPortName,
  checkWorkerAddress,
  formatHostPort,
  normalizeAddressSet,
  type HostPort,
} from '../../shared/host-port.js';
