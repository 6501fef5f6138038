/**
 * The discovery error catalogue. These errors stay inside the coordinator process (configuration
 * problems at startup, lookup failures reported through `onError`); none is sent over the wire.
 */
export const DiscoveryErrorCode = {
  INVALID_WORKER_ADDRESS: 'INVALID_WORKER_ADDRESS',
  INVALID_DISCOVERY_OPTIONS: 'INVALID_DISCOVERY_OPTIONS',
  DISCOVERY_ALREADY_STARTED: 'DISCOVERY_ALREADY_STARTED',
  DNS_LOOKUP_FAILED: 'DNS_LOOKUP_FAILED',
  DISCOVERY_LISTENER_FAILED: 'DISCOVERY_LISTENER_FAILED',
} as const;
export type DiscoveryErrorCode = (typeof DiscoveryErrorCode)[keyof typeof DiscoveryErrorCode];

/** What each code means and what to do about it. A test checks that every code has an entry. */
export const DISCOVERY_ERROR_DOCS: Readonly<Record<DiscoveryErrorCode, string>> = Object.freeze({
  INVALID_WORKER_ADDRESS:
    'A worker address is not "host:port" (IPv6 as "[addr]:port") with a port in 1..65535. ' +
    'Thrown at startup; `problems` lists every bad entry.',
  INVALID_DISCOVERY_OPTIONS:
    'A DNS discovery option is missing or out of range. Thrown at startup; `problems` names each field and rule.',
  DISCOVERY_ALREADY_STARTED: 'start() was called twice on the same discovery instance: a programming error.',
  DNS_LOOKUP_FAILED:
    'A transient DNS failure (timeout, SERVFAIL, refused, unreachable server). Reported through onError; ' +
    'the last known worker set is kept and the lookup is retried at the next refresh.',
  DISCOVERY_LISTENER_FAILED:
    'The onChange callback threw. Reported through onError; discovery keeps running.',
});

/** An error from worker discovery, carrying a stable catalogue `code`. */
export class DiscoveryError extends Error {
  /** Stable code from {@link DiscoveryErrorCode}. */
  readonly code: DiscoveryErrorCode;
  /** Every individual problem, for validation errors; empty otherwise. */
  readonly problems: readonly string[];
  /** The `node:dns` error code (`ETIMEOUT`, `ESERVFAIL`, ...) for {@link DiscoveryErrorCode.DNS_LOOKUP_FAILED}. */
  readonly dnsCode: string | undefined;

  constructor(
    code: DiscoveryErrorCode,
    message: string,
    extra: { problems?: readonly string[]; dnsCode?: string; cause?: unknown } = {},
  ) {
    super(message, extra.cause === undefined ? undefined : { cause: extra.cause });
    this.name = 'DiscoveryError';
    this.code = code;
    this.problems = Object.freeze([...(extra.problems ?? [])]);
    this.dnsCode = extra.dnsCode;
  }
}
