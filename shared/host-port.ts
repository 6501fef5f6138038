/**
 * The rules for worker addresses and DNS settings, as the coordinator's config checks them (each returns the parsed
 * value or the problem in words), and the canonical forms discovery publishes.
 * The TLS channel (shared/tls.ts) reads the dialled host with the same parser.
 */
import { isIP, isIPv6 } from 'node:net';
import type { Problem } from './config.js';

/** A parsed worker address. `host` is lower-case and never bracketed (IPv6 is bare: `::1`). */
export interface HostPort {
  readonly host: string;
  readonly port: number;
}

// RFC 1123 labels; underscores are accepted because Docker Compose service names use them.
const LABEL = /^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$/;

/** Parses `"host:port"` (IPv6 as `"[::1]:50061"`, port 1..65535), or says what is wrong with it. */
export function checkHostPort(input: string): HostPort | Problem {
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

/** A worker address in the form gRPC dials (`checkHostPort` then `formatHostPort`), or the problem with it. */
export function checkWorkerAddress(input: string): string | Problem {
  const r = checkHostPort(input);
  return 'problem' in r ? r : formatHostPort(r.host, r.port);
}

// Kubernetes port names are IANA service names: at most 15 characters, lower-case alphanumerics and '-'.
const PORT_NAME = /^(?=.{1,15}$)[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;

/**
 * A fully qualified DNS name such as `pigrid-worker.pigrid.svc.cluster.local`, lower-cased, without a trailing dot.
 * It must be fully qualified: `node:dns` `resolve*` does not apply the resolv.conf search list.
 */
export function checkDnsName(input: string): string | Problem {
  const name = input.trim().replace(/\.$/, '').toLowerCase();
  return isHostname(name) ? name : { problem: 'must be a DNS name such as "pigrid-worker.pigrid.svc.cluster.local"' };
}

/** A Kubernetes port name (1-15 of a-z, 0-9, "-"): the `<name>` of the SRV name `_<name>._tcp.<service>`. */
export function checkPortName(input: string): string | Problem {
  return PORT_NAME.test(input) ? input : { problem: 'must be a Kubernetes port name (1-15 of a-z, 0-9, "-")' };
}

/** A DNS server as `node:dns` takes it: `ip` or `ip:port` (IPv6 `[::1]:53`). */
export function checkDnsServer(input: string): string | Problem {
  if (isIP(input) !== 0) return input;
  const r = checkHostPort(input);
  return !('problem' in r) && isIP(r.host) !== 0 ? input : { problem: 'must be "ip" or "ip:port"' };
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
