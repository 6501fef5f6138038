import { isIP, isIPv6 } from 'node:net';
import { DiscoveryError, DiscoveryErrorCode } from './errors.js';

/** A parsed worker address. `host` is lower-case and never bracketed (IPv6 is bare: `::1`). */
export interface HostPort {
  readonly host: string;
  readonly port: number;
}

// RFC 1123 labels; underscores are accepted because Docker Compose service names use them.
const LABEL = /^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$/;

/**
 * Says what is wrong with a `host:port` string, or returns the parsed address.
 * Used where every problem of a list must be collected before throwing.
 */
export function checkHostPort(input: string): HostPort | { readonly problem: string } {
  const s = input.trim();
  if (s === '') return { problem: 'empty entry' };
  let host: string;
  let portText: string;
  if (s.startsWith('[')) {
    const close = s.indexOf(']');
    if (close < 0) return { problem: 'unclosed "[" in IPv6 address' };
    host = s.slice(1, close);
    if (!isIPv6(host)) return { problem: `"${host}" is not an IPv6 address` };
    if (s[close + 1] !== ':') return { problem: 'missing ":port" after "]"' };
    portText = s.slice(close + 2);
  } else {
    const colon = s.lastIndexOf(':');
    if (colon < 0) return { problem: 'missing ":port"' };
    host = s.slice(0, colon);
    portText = s.slice(colon + 1);
    if (host.includes(':')) return { problem: 'IPv6 addresses must be bracketed, as "[::1]:50061"' };
    if (host === '') return { problem: 'missing host' };
    host = host.toLowerCase().replace(/\.$/, '');
    if (isIP(host) === 0 && !isHostname(host)) return { problem: `"${host}" is not a valid host name` };
  }
  if (!/^[0-9]{1,5}$/.test(portText)) return { problem: `port "${portText}" is not an integer` };
  const port = Number(portText);
  if (port < 1 || port > 65535) return { problem: `port ${port} is outside 1..65535` };
  return Object.freeze({ host: host.toLowerCase(), port });
}

/**
 * Parses `"host:port"` (IPv6 as `"[::1]:50061"`).
 * @throws {@link DiscoveryError} with code `INVALID_WORKER_ADDRESS` naming the bad entry and the rule.
 */
export function parseHostPort(input: string): HostPort {
  const r = checkHostPort(input);
  if ('problem' in r) {
    const problem = `"${input}": ${r.problem}`;
    throw new DiscoveryError(DiscoveryErrorCode.INVALID_WORKER_ADDRESS, `invalid worker address ${problem}`, {
      problems: [problem],
    });
  }
  return r;
}

/** Formats an address the way gRPC dials it: `10.0.0.1:50061`, `[::1]:50061`, `worker-0:50061`. */
export function formatHostPort(host: string, port: number): string {
  return isIPv6(host) ? `[${host}]:${port}` : `${host}:${port}`;
}

/** The canonical form of a worker set, as every `onChange` receives it: sorted, de-duplicated, frozen. */
export function normalizeAddressSet(addresses: Iterable<string>): readonly string[] {
  return Object.freeze([...new Set(addresses)].sort());
}

function isHostname(host: string): boolean {
  // An all-numeric name that is not an IPv4 address ("10.0.0.256") is a typo, not a host name.
  if (/^[0-9.]+$/.test(host)) return false;
  return host.length <= 253 && host.split('.').every((label) => LABEL.test(label));
}
