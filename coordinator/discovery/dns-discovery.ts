import { Resolver } from 'node:dns/promises';
import { isIP } from 'node:net';
import { ErrorCode, PigridError } from '../../shared/errors.js';
import type { Logger } from '../../shared/logger.js';
import type { DiscoveryState, WorkerDiscovery } from './discovery.js';
import { formatHostPort, normalizeAddressSet } from '../../shared/host-port.js';

/**
 * Options of {@link createDnsDiscovery}. The values come from the coordinator's config, which checked them and
 * holds their defaults (`PIGRID_WORKER_SERVICE`, `PIGRID_WORKER_PORT_NAME`, `PIGRID_WORKER_PORT`,
 * `PIGRID_DISCOVERY_INTERVAL_MS`, `PIGRID_DNS_SERVER`).
 */
export interface DnsDiscoveryOptions {
  /** Fully qualified, lower-case name of the headless Service, e.g. `pigrid-worker.pigrid.svc.cluster.local`. */
  readonly service: string;
  /** Name of the Service port whose SRV records are read: `_<portName>._tcp.<service>`. */
  readonly portName: string;
  /** Port used with plain A/AAAA records of `service` when it has no SRV records. */
  readonly fallbackPort: number;
  /** Pause between the end of one lookup and the start of the next, in ms. */
  readonly refreshIntervalMs: number;
  /** DNS servers as `'ip'` or `'ip:port'` (IPv6 `'[::1]:53'`). @default the system resolver's servers */
  readonly servers?: readonly string[];
  /** Timeout of one DNS query attempt, in ms. @default min(2000, refreshIntervalMs) */
  readonly timeoutMs?: number;
  /** Attempts per DNS query before it counts as failed. @default 2 */
  readonly tries?: number;
  /**
   * Receives transient lookup failures (`DNS_LOOKUP_FAILED`) and listener failures (`INTERNAL`), which are also
   * logged. @default ignore
   */
  readonly onError?: (err: PigridError) => void;
  /** Where the watcher logs: start, each change of the worker set (added and removed addresses), failures, recoveries. */
  readonly log: Logger;
}

/**
 * `node:dns` codes that are an authoritative "no such records": NXDOMAIN (`ENOTFOUND`) and NODATA
 * (`ENODATA`). A headless Service with no ready pods answers this way, so they mean "no workers".
 * Every other code (ETIMEOUT, ESERVFAIL, ECONNREFUSED, EREFUSED, ...) is transient.
 */
const ABSENT_CODES: ReadonlySet<string> = new Set(['ENODATA', 'ENOTFOUND']);

/**
 * Watches the workers behind a Kubernetes headless Service.
 *
 * Each lookup reads the SRV records of `_<portName>._<protocol>.<service>` and resolves every target
 * to its A and AAAA addresses, paired with the SRV port. When the Service has no SRV records
 * (NXDOMAIN or NODATA) it falls back to the A/AAAA records of `<service>` with `fallbackPort`.
 *
 * Rules (pinned by test/integration/dns-discovery.test.ts):
 * - NXDOMAIN/NODATA everywhere → the empty set: the workers are really gone.
 * - Any transient failure in a lookup (timeout, SERVFAIL, refused) → the last known set is kept
 *   whole, the failure goes to `onError` as `DNS_LOOKUP_FAILED`, and the next refresh retries.
 *   Before the first successful lookup `onChange` is not called at all.
 * - A target that vanished between the SRV and the A query (NXDOMAIN) simply contributes nothing.
 * - Lookups never overlap: the next one starts `refreshIntervalMs` after the previous one ended.
 * - The refresh timer is unref()ed; `close()` cancels in-flight queries and is idempotent.
 *
 */
export function createDnsDiscovery(opts: DnsDiscoveryOptions): WorkerDiscovery {
  const cfg = {
    ...opts,
    srvName: `_${opts.portName}._tcp.${opts.service}`,
    onError: opts.onError ?? ((): void => {}),
  };
  const log = opts.log;
  const resolver = new Resolver({ timeout: opts.timeoutMs ?? Math.min(2_000, opts.refreshIntervalMs), tries: opts.tries ?? 2 });
  if (opts.servers) resolver.setServers([...opts.servers]);

  let state: DiscoveryState = 'IDLE';
  let timer: NodeJS.Timeout | undefined;
  let current: readonly string[] | undefined;
  let failuresInARow = 0;
  let listener: (addresses: readonly string[]) => void = () => {};

  const report = (err: PigridError): void => {
    try {
      cfg.onError(err);
    } catch (thrown) {
      log.error({ err: thrown }, 'dns discovery: onError threw');
    }
  };

  const publish = (addresses: readonly string[]): void => {
    const next = normalizeAddressSet(addresses);
    if (current !== undefined && sameList(current, next)) return;
    const previous = current ?? [];
    const first = current === undefined;
    current = next;
    if (first && next.length === 0) log.info({ count: 0 }, 'dns discovery: no workers yet');
    else
      log.info(
        { count: next.length, added: next.filter((a) => !previous.includes(a)), removed: previous.filter((a) => !next.includes(a)) },
        'dns discovery: worker set changed',
      );
    try {
      listener(next);
    } catch (err) {
      const failure = new PigridError(ErrorCode.INTERNAL, `worker set listener threw: ${String(err)}`, undefined, { cause: err });
      log.error({ err: failure }, 'dns discovery: worker set listener threw');
      report(failure);
    }
  };

  const tick = async (): Promise<void> => {
    timer = undefined;
    let addresses: string[] | undefined;
    let failure: PigridError | undefined;
    try {
      addresses = await lookupWorkerAddresses(resolver, cfg);
    } catch (err) {
      failure = asLookupError(err);
    }
    // close() during the lookup: its results (usually ECANCELLED) are nobody's business any more.
    if (state !== 'RUNNING') return;
    if (addresses !== undefined) {
      if (failuresInARow > 0) log.info({ failures: failuresInARow }, 'dns discovery: lookups recovered');
      failuresInARow = 0;
      publish(addresses);
    } else if (failure !== undefined) {
      failuresInARow++;
      log.warn(
        { err: failure, kept: current?.length ?? null, failures: failuresInARow },
        'dns discovery: lookup failed, keeping the last known set',
      );
      report(failure);
    }
    // Scheduled from the end of a lookup, so a slow lookup delays the next one instead of piling up.
    timer = setTimeout(() => void tick(), cfg.refreshIntervalMs);
    timer.unref();
  };

  return {
    start(onChange) {
      if (state === 'CLOSED') return;
      if (state === 'RUNNING') throw new PigridError(ErrorCode.INTERNAL, 'DNS discovery already started');
      state = 'RUNNING';
      listener = onChange;
      log.info(
        { srvName: cfg.srvName, servers: cfg.servers ?? 'system', refreshIntervalMs: cfg.refreshIntervalMs },
        'dns discovery: started',
      );
      void tick();
    },
    close() {
      if (state === 'CLOSED') return;
      state = 'CLOSED';
      try {
        if (timer !== undefined) clearTimeout(timer);
        timer = undefined;
      } catch (err) {
        log.error({ err }, 'dns discovery: clearing the timer failed');
      }
      try {
        resolver.cancel();
      } catch (err) {
        log.error({ err }, 'dns discovery: cancelling lookups failed');
      }
    },
  };
}

/**
 * One complete lookup: SRV → targets → A/AAAA, or the A/AAAA fallback. Returns unsorted `host:port`
 * strings; throws a `DNS_LOOKUP_FAILED` {@link PigridError} on the first transient failure, after
 * every query it started has settled (so nothing of this lookup is still in flight).
 */
export async function lookupWorkerAddresses(
  resolver: Resolver,
  cfg: Pick<DnsDiscoveryOptions, 'service' | 'fallbackPort'> & { readonly srvName: string },
): Promise<string[]> {
  const srv = await query(() => resolver.resolveSrv(cfg.srvName), 'SRV', cfg.srvName);
  const targets =
    srv === null
      ? [{ host: cfg.service, port: cfg.fallbackPort }]
      : srv
          // RFC 2782: target "." means "decidedly not available here"; port 0 cannot be dialled.
          .filter((r) => r.port > 0 && r.name !== '' && r.name !== '.')
          .map((r) => ({ host: r.name.toLowerCase().replace(/\.$/, ''), port: r.port }));
  const hosts = [...new Set(targets.map((t) => t.host))];
  const settled = await Promise.allSettled(hosts.map((h) => resolveHost(resolver, h)));
  const ips = new Map<string, readonly string[]>();
  for (let i = 0; i < hosts.length; i++) {
    const s = settled[i];
    if (s.status === 'rejected') throw s.reason;
    ips.set(hosts[i], s.value);
  }
  return targets.flatMap((t) => (ips.get(t.host) ?? []).map((ip) => formatHostPort(ip, t.port)));
}

async function resolveHost(resolver: Resolver, host: string): Promise<readonly string[]> {
  if (isIP(host) !== 0) return [host];
  const [v4, v6] = await Promise.allSettled([
    query(() => resolver.resolve4(host), 'A', host),
    query(() => resolver.resolve6(host), 'AAAA', host),
  ]);
  if (v4.status === 'rejected') throw v4.reason;
  if (v6.status === 'rejected') throw v6.reason;
  return [...(v4.value ?? []), ...(v6.value ?? [])];
}

/** Runs one query; `null` for NXDOMAIN/NODATA, a `DNS_LOOKUP_FAILED` error for anything else. */
async function query<T>(run: () => Promise<T[]>, rrtype: string, name: string): Promise<T[] | null> {
  try {
    return await run();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException | undefined)?.code;
    if (code !== undefined && ABSENT_CODES.has(code)) return null;
    // The node:dns error, with its code (ETIMEOUT, ESERVFAIL, ...), is the cause.
    throw new PigridError(ErrorCode.DNS_LOOKUP_FAILED, `DNS ${rrtype} lookup of ${name} failed: ${code ?? String(err)}`, undefined, {
      cause: err,
    });
  }
}

function asLookupError(err: unknown): PigridError {
  if (err instanceof PigridError) return err;
  return new PigridError(ErrorCode.DNS_LOOKUP_FAILED, `DNS lookup failed: ${String(err)}`, undefined, { cause: err });
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
