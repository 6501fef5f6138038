import { isIP } from 'node:net';
import { DiscoveryError, DiscoveryErrorCode } from './errors.js';
import { checkHostPort } from './host-port.js';

/** Options of {@link ./dns-discovery.js#createDnsDiscovery}. Only `service` is required. */
export interface DnsDiscoveryOptions {
  /**
   * Fully qualified name of the headless Service, e.g. `pigrid-worker.pigrid.svc.cluster.local`.
   * Must be fully qualified: `node:dns` `resolve*` does not apply the resolv.conf search list.
   */
  readonly service: string;
  /** Name of the Service port whose SRV records are read: `_<portName>._<protocol>.<service>`. @default 'grpc' */
  readonly portName?: string;
  /** SRV protocol label. @default 'tcp' */
  readonly protocol?: 'tcp';
  /** Port used with plain A/AAAA records of `service` when it has no SRV records. @default 50061 */
  readonly fallbackPort?: number;
  /** Pause between the end of one lookup and the start of the next, in ms. @default 5000 */
  readonly refreshIntervalMs?: number;
  /** DNS servers as `'ip'` or `'ip:port'` (IPv6 `'[::1]:53'`). @default the system resolver's servers */
  readonly servers?: readonly string[];
  /** Timeout of one DNS query attempt, in ms. @default min(2000, refreshIntervalMs) */
  readonly timeoutMs?: number;
  /** Attempts per DNS query before it counts as failed. @default 2 */
  readonly tries?: number;
  /** Receives transient lookup failures (`DNS_LOOKUP_FAILED`) and listener failures. @default ignore */
  readonly onError?: (err: Error) => void;
  /** Structured log sink (set changes, recoveries). @default ignore */
  readonly log?: (msg: string, fields?: object) => void;
}

/** {@link DnsDiscoveryOptions} with every default applied; frozen. */
export interface DnsDiscoveryConfig {
  readonly service: string;
  readonly portName: string;
  readonly protocol: 'tcp';
  readonly fallbackPort: number;
  readonly refreshIntervalMs: number;
  readonly servers: readonly string[] | undefined;
  readonly timeoutMs: number;
  readonly tries: number;
  readonly onError: (err: Error) => void;
  readonly log: (msg: string, fields?: object) => void;
  /** `_<portName>._<protocol>.<service>`, the name whose SRV records are read. */
  readonly srvName: string;
}

const LABEL = '[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?';
const DNS_NAME = new RegExp(`^(?=.{1,253}$)${LABEL}(?:\\.${LABEL})*$`, 'i');
// Kubernetes port names are IANA service names: at most 15 characters, lower-case alphanumerics and '-'.
const PORT_NAME = /^(?=.{1,15}$)[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;
const noop = (): void => {};

/**
 * Validates every option, reports all problems in one error, and returns the frozen config.
 * @throws {@link DiscoveryError} `INVALID_DISCOVERY_OPTIONS` whose `problems` name each field and rule.
 */
export function resolveDnsDiscoveryOptions(opts: DnsDiscoveryOptions): DnsDiscoveryConfig {
  const problems: string[] = [];
  const o = (opts ?? {}) as Partial<DnsDiscoveryOptions>;
  const service = typeof o.service === 'string' ? o.service.trim().replace(/\.$/, '') : '';
  if (!DNS_NAME.test(service)) {
    problems.push('service: must be a DNS name such as "pigrid-worker.pigrid.svc.cluster.local"');
  }
  const portName = o.portName ?? 'grpc';
  if (typeof portName !== 'string' || !PORT_NAME.test(portName)) {
    problems.push('portName: must be a Kubernetes port name (1-15 of a-z, 0-9, "-")');
  }
  const protocol = o.protocol ?? 'tcp';
  if (protocol !== 'tcp') problems.push('protocol: must be "tcp"');
  const fallbackPort = o.fallbackPort ?? 50061;
  if (!isIntIn(fallbackPort, 1, 65535)) problems.push('fallbackPort: must be an integer in 1..65535');
  const refreshIntervalMs = o.refreshIntervalMs ?? 5000;
  if (!isIntIn(refreshIntervalMs, 10, 86_400_000)) {
    problems.push('refreshIntervalMs: must be an integer in 10..86400000');
  }
  const timeoutMs = o.timeoutMs ?? Math.min(2000, isIntIn(refreshIntervalMs, 10, Infinity) ? refreshIntervalMs : 2000);
  if (!isIntIn(timeoutMs, 1, 600_000)) problems.push('timeoutMs: must be an integer in 1..600000');
  const tries = o.tries ?? 2;
  if (!isIntIn(tries, 1, 10)) problems.push('tries: must be an integer in 1..10');
  let servers: readonly string[] | undefined;
  if (o.servers !== undefined) {
    if (!Array.isArray(o.servers) || o.servers.length === 0) {
      problems.push('servers: must be a non-empty array of "ip" or "ip:port" (or be left out)');
    } else {
      o.servers.forEach((s, i) => {
        if (!isServerAddress(s)) problems.push(`servers[${i}]: "${String(s)}" is not "ip" or "ip:port"`);
      });
      servers = Object.freeze([...o.servers]);
    }
  }
  if (o.onError !== undefined && typeof o.onError !== 'function') problems.push('onError: must be a function');
  if (o.log !== undefined && typeof o.log !== 'function') problems.push('log: must be a function');
  if (problems.length > 0) {
    throw new DiscoveryError(
      DiscoveryErrorCode.INVALID_DISCOVERY_OPTIONS,
      `invalid DNS discovery options: ${problems.join('; ')}`,
      { problems },
    );
  }
  return Object.freeze({
    service: service.toLowerCase(),
    portName,
    protocol,
    fallbackPort,
    refreshIntervalMs,
    servers,
    timeoutMs,
    tries,
    onError: o.onError ?? noop,
    log: o.log ?? noop,
    srvName: `_${portName}._${protocol}.${service.toLowerCase()}`,
  });
}

function isIntIn(v: unknown, min: number, max: number): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max;
}

function isServerAddress(s: unknown): boolean {
  if (typeof s !== 'string') return false;
  if (isIP(s) !== 0) return true;
  const r = checkHostPort(s);
  return !('problem' in r) && isIP(r.host) !== 0;
}
