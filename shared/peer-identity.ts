/**
 * Who is at the other end of a TLS connection, read from its certificate. pigrid names every component with a URI
 * SAN in the SPIFFE form:
 *
 *   spiffe://pigrid/coordinator          the coordinator (serves Calculations, dials workers)
 *   spiffe://pigrid/gateway              the REST gateway (calls Calculations)
 *   spiffe://pigrid/client/<name>        a person or script calling Calculations (grpcurl)
 *   spiffe://pigrid/worker/<worker-id>   one worker; <worker-id> is the worker_id it must say in its hello
 *   spiffe://pigrid/worker               a certificate shared by every worker (no per-pod identity; docs/security.md)
 *
 * The role is the first path segment. Only a certificate that chains to the configured CA is ever read here: TLS
 * checks the chain before the handshake completes.
 */
import type { PeerCertificate } from 'node:tls';

export const ROLES = ['coordinator', 'worker', 'gateway', 'client'] as const;
export type Role = (typeof ROLES)[number];

/** The trust domain of every pigrid SPIFFE id. */
export const TRUST_DOMAIN = 'pigrid';

/** Names in an id: what a pod name or a DNS label may hold. */
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,252}$/;

export interface PeerIdentity {
  readonly role: Role;
  /** The worker id or client name; undefined for the coordinator, the gateway and a shared worker certificate. */
  readonly name: string | undefined;
  /** The SPIFFE id as written in the certificate. */
  readonly uri: string;
  /** Serial number of the certificate (hex), for logs. */
  readonly serial: string;
}

/** The SPIFFE id of a role (and name). */
export function spiffeId(role: Role, name?: string): string {
  return `spiffe://${TRUST_DOMAIN}/${role}${name ? `/${name}` : ''}`;
}

/** Parses one URI; undefined when it is not a pigrid id. */
export function parseSpiffeId(uri: string): { role: Role; name: string | undefined } | undefined {
  const prefix = `spiffe://${TRUST_DOMAIN}/`;
  if (!uri.startsWith(prefix)) return undefined;
  const parts = uri.slice(prefix.length).split('/');
  const role = parts[0] as Role;
  if (!ROLES.includes(role) || parts.length > 2) return undefined;
  const name = parts[1];
  if (name !== undefined && !NAME.test(name)) return undefined;
  if (name === undefined && role === 'client') return undefined;
  if (name !== undefined && (role === 'coordinator' || role === 'gateway')) return undefined;
  return { role, name };
}

/** The URIs of a subjectAltName string as Node prints it: `DNS:a, IP Address:1.2.3.4, URI:spiffe://…`. */
export function sanUris(subjectAltName: string | undefined): string[] {
  if (!subjectAltName) return [];
  return subjectAltName
    .split(/,\s*/)
    .filter((entry) => entry.startsWith('URI:'))
    .map((entry) => entry.slice(4).replace(/^"|"$/g, ''));
}

/**
 * The identity a subjectAltName names: exactly one pigrid id. A certificate with none, or with several (which role
 * would it be?), has no identity.
 */
export function identityFromSan(subjectAltName: string | undefined, serial: string): PeerIdentity | undefined {
  const ids = sanUris(subjectAltName).flatMap((uri) => {
    const parsed = parseSpiffeId(uri);
    return parsed ? [{ ...parsed, uri }] : [];
  });
  if (ids.length !== 1) return undefined;
  return { ...ids[0], serial: serial.toLowerCase() };
}

/** The identity of a TLS peer, from the certificate TLS verified. */
export function peerIdentity(cert: PeerCertificate | null | undefined): PeerIdentity | undefined {
  if (!cert || typeof cert !== 'object' || !('subjectaltname' in cert)) return undefined;
  return identityFromSan(cert.subjectaltname, cert.serialNumber ?? '');
}

/** For logs: the id, or what the certificate says instead. */
export function describePeer(cert: PeerCertificate | null | undefined): string {
  if (!cert || typeof cert !== 'object') return '(no certificate)';
  const uris = sanUris(cert.subjectaltname);
  return uris.length > 0 ? uris.join(' ') : `subject CN=${String(cert.subject?.CN ?? '?')} (no pigrid id)`;
}
