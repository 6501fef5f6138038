/**
 * DNS discovery against a real DNS server on loopback (test/fakes/fake-dns-server.ts). Timing is measured in lookups
 * (queries the server received), not milliseconds; the one duration asserted is a lower bound the feature sets.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createDnsDiscovery, type DnsDiscoveryOptions, type WorkerDiscovery } from '../../coordinator/discovery/index.js';
import { captureLogs } from '../../harness/log-lines.js';
import { PigridError } from '../../shared/errors.js';
import { startFakeDnsServer, type FakeDnsServer } from '../fakes/fake-dns-server.js';

const SVC = 'pigrid-worker.pigrid.svc.cluster.local';
const SRV = `_grpc._tcp.${SVC}`;
/** What the coordinator's config passes by default (and a logger nobody reads). */
const DEFAULTS = { portName: 'grpc', fallbackPort: 50061, refreshIntervalMs: 5000, log: captureLogs('error').log } as const;

let dns: FakeDnsServer;
const running: WorkerDiscovery[] = [];

beforeEach(async () => {
  dns = await startFakeDnsServer();
});
afterEach(async () => {
  for (const d of running.splice(0)) d.close();
  await dns.close();
});

/** Starts a discovery against the fake server and records everything it reports and logs. */
function watch(opts: Partial<DnsDiscoveryOptions> = {}) {
  const sets: (readonly string[])[] = [];
  const errors: PigridError[] = [];
  const { log, records } = captureLogs('debug');
  const d = createDnsDiscovery({
    ...DEFAULTS,
    log,
    service: SVC,
    servers: [dns.address],
    refreshIntervalMs: 50,
    timeoutMs: 150,
    tries: 1,
    onError: (e) => errors.push(e),
    ...opts,
  });
  running.push(d);
  d.start((s) => sets.push(s));
  return { d, sets, errors, records, last: () => sets.at(-1) };
}

async function until(cond: () => boolean, what: string, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The node:dns code (ETIMEOUT, ESERVFAIL, ...) of a DNS_LOOKUP_FAILED error: its cause's. */
const dnsCodeOf = (err: PigridError) => (err.cause as NodeJS.ErrnoException | undefined)?.code;

/** SRV queries the server has received for `service`: one per lookup. */
const lookupsOf = (service: string) => dns.queries().filter((q) => q.type === 'SRV' && q.name === `_grpc._tcp.${service}`).length;

/**
 * Waits while another discovery (another service, the same server and interval) completes `n` lookups: a window
 * measured in lookups, in which a discovery that still ran would have queried too.
 */
async function whileAnotherDiscoveryLooksUp(n: number, refreshIntervalMs: number): Promise<void> {
  const other = 'control.pigrid.svc.cluster.local';
  dns.setHeadlessService(other, [{ ip: '10.9.0.1', port: 7001 }]);
  const before = lookupsOf(other);
  const control = watch({ service: other, refreshIntervalMs, timeoutMs: 1000 });
  // The (n+1)-th lookup starts only after the n-th has ended.
  await until(() => lookupsOf(other) >= before + n + 1, `${n} control lookups`, 10_000);
  control.d.close();
}

describe('DNS discovery against a real DNS server on loopback', () => {
  it('resolves SRV targets to A addresses paired with the SRV ports', async () => {
    dns.setSrv(SRV, [
      { target: `w-1.${SVC}`, port: 7002 },
      { target: `w-0.${SVC}`, port: 7001 },
    ]);
    dns.setA(`w-0.${SVC}`, ['10.0.0.1']);
    dns.setA(`w-1.${SVC}`, ['10.0.0.2']);
    dns.setA(SVC, ['10.9.9.9']); // the fallback must not be used when SRV records exist
    const w = watch();
    await until(() => w.sets.length > 0, 'initial set');
    expect(w.sets[0]).toEqual(['10.0.0.1:7001', '10.0.0.2:7002']);
    expect(Object.isFrozen(w.sets[0])).toBe(true);
    expect(w.errors).toEqual([]);
  });

  it('reads the SRV records of the configured port name', async () => {
    dns.setHeadlessService(SVC, [{ ip: '10.0.0.5', port: 9000, hostname: 'w-5' }], { portName: 'work' });
    const w = watch({ portName: 'work' });
    await until(() => w.sets.length > 0, 'initial set');
    expect(w.last()).toEqual(['10.0.0.5:9000']);
  });

  it('formats AAAA targets as [ip]:port', async () => {
    dns.setSrv(SRV, [{ target: `w-0.${SVC}`, port: 7001 }]);
    dns.setA(`w-0.${SVC}`, ['10.0.0.1']);
    dns.setAAAA(`w-0.${SVC}`, ['::1']);
    const w = watch();
    await until(() => w.sets.length > 0, 'initial set');
    expect(w.last()).toEqual(['10.0.0.1:7001', '[::1]:7001']);
  });

  it('falls back to A/AAAA of the service with fallbackPort when there is no SRV record', async () => {
    dns.setA(SVC, ['10.0.0.4', '10.0.0.3']);
    dns.setAAAA(SVC, ['fd00::3']);
    const nx = watch({ fallbackPort: 6000 }); // SRV name: NXDOMAIN
    await until(() => nx.sets.length > 0, 'initial set');
    expect(nx.last()).toEqual(['10.0.0.3:6000', '10.0.0.4:6000', '[fd00::3]:6000']);

    dns.setA(SRV, ['10.1.1.1']); // SRV name exists but has no SRV records: NODATA
    const nodata = watch(); // default fallbackPort
    await until(() => nodata.sets.length > 0, 'initial set');
    expect(nodata.last()).toEqual(['10.0.0.3:50061', '10.0.0.4:50061', '[fd00::3]:50061']);
    expect([...nx.errors, ...nodata.errors]).toEqual([]);
  });

  it('gives the empty set, without an error, when nothing exists (NXDOMAIN)', async () => {
    const w = watch();
    await until(() => w.sets.length > 0, 'initial set');
    expect(w.last()).toEqual([]);
    expect(w.errors).toEqual([]);
    // An empty first answer is said as such, not as a change of the worker set.
    expect(w.records.map((r) => r.msg)).toContain('dns discovery: no workers yet');
    expect(w.records.filter((r) => r.msg === 'dns discovery: worker set changed')).toEqual([]);
  });

  it('skips an SRV target that has vanished (NXDOMAIN) without an error', async () => {
    dns.setSrv(SRV, [
      { target: `w-0.${SVC}`, port: 7001 },
      { target: `gone.${SVC}`, port: 7002 },
    ]);
    dns.setA(`w-0.${SVC}`, ['10.0.0.1']);
    const w = watch();
    await until(() => w.sets.length > 0, 'initial set');
    expect(w.last()).toEqual(['10.0.0.1:7001']);
    expect(w.errors).toEqual([]);
  });

  it('shows added and removed workers within one refresh interval, down to none', async () => {
    const intervalMs = 150;
    dns.setHeadlessService(SVC, [{ ip: '10.0.0.1', port: 7001, hostname: 'w-0' }]);
    const w = watch({ refreshIntervalMs: intervalMs });
    await until(() => w.sets.length === 1, 'initial set');
    expect(w.last()).toEqual(['10.0.0.1:7001']);

    const expectWithinInterval = async (expected: string[]) => {
      const lookupsBefore = lookupsOf(SVC);
      await until(() => JSON.stringify(w.last()) === JSON.stringify(expected), `set ${expected.join(',')}`);
      // Seen by the next lookup after the change (one may have been on the wire already): one interval.
      expect(lookupsOf(SVC) - lookupsBefore).toBeLessThanOrEqual(2);
    };
    dns.setHeadlessService(SVC, [
      { ip: '10.0.0.1', port: 7001, hostname: 'w-0' },
      { ip: '10.0.0.2', port: 7001, hostname: 'w-1' },
    ]);
    await expectWithinInterval(['10.0.0.1:7001', '10.0.0.2:7001']);
    dns.setHeadlessService(SVC, [{ ip: '10.0.0.2', port: 7001, hostname: 'w-1' }]);
    await expectWithinInterval(['10.0.0.2:7001']);
    dns.setHeadlessService(SVC, []); // no ready pods: everything NXDOMAIN
    await expectWithinInterval([]);
    expect(w.sets).toHaveLength(4);
    expect(w.errors).toEqual([]);
    // Each change is logged at info with what came and went.
    expect(w.records.filter((r) => r.msg === 'dns discovery: worker set changed')).toEqual([
      expect.objectContaining({ level: 30, count: 1, added: ['10.0.0.1:7001'], removed: [] }),
      expect.objectContaining({ level: 30, count: 2, added: ['10.0.0.2:7001'], removed: [] }),
      expect.objectContaining({ level: 30, count: 1, added: [], removed: ['10.0.0.1:7001'] }),
      expect.objectContaining({ level: 30, count: 0, added: [], removed: ['10.0.0.2:7001'] }),
    ]);
  });

  it('calls onChange only when the set changes, not after every lookup', async () => {
    dns.setHeadlessService(SVC, [{ ip: '10.0.0.1', port: 7001 }]);
    const w = watch({ refreshIntervalMs: 20 });
    await until(() => dns.queryCount >= 30, '10 lookups');
    expect(w.sets).toEqual([['10.0.0.1:7001']]);
    expect(w.records.filter((r) => r.msg === 'dns discovery: worker set changed')).toHaveLength(1);
  });

  it.each(['SERVFAIL', 'timeout'] as const)('keeps the last set and reports %s through onError', async (kind) => {
    dns.setHeadlessService(SVC, [{ ip: '10.0.0.1', port: 7001 }]);
    const w = watch({ timeoutMs: 100 });
    await until(() => w.sets.length === 1, 'initial set');

    dns.failNext(kind, Infinity);
    dns.setHeadlessService(SVC, []); // would read as "no workers" if the failure were mistaken for NXDOMAIN
    await until(() => w.errors.length >= 2, 'two reported failures');
    expect(w.sets).toEqual([['10.0.0.1:7001']]);
    expect(w.errors[0]).toBeInstanceOf(PigridError);
    expect(w.errors[0].code).toBe('DNS_LOOKUP_FAILED');
    expect(dnsCodeOf(w.errors[0])).toBe(kind === 'SERVFAIL' ? 'ESERVFAIL' : 'ETIMEOUT');
    expect(w.errors[0].message).toContain(SRV);
    expect(w.records.find((r) => r.msg === 'dns discovery: lookup failed, keeping the last known set')).toMatchObject({
      level: 40,
      kept: 1,
      err: { code: 'DNS_LOOKUP_FAILED' },
    });

    dns.clearFailures();
    await until(() => w.sets.length === 2, 'recovery');
    expect(w.last()).toEqual([]);
  });

  it('keeps the whole last set when only a target lookup fails', async () => {
    dns.setHeadlessService(SVC, [
      { ip: '10.0.0.1', port: 7001, hostname: 'w-0' },
      { ip: '10.0.0.2', port: 7001, hostname: 'w-1' },
    ]);
    const w = watch();
    await until(() => w.sets.length === 1, 'initial set');
    dns.failNext('SERVFAIL', Infinity, `w-1.${SVC}`);
    dns.setHeadlessService(SVC, [
      { ip: '10.0.0.1', port: 7001, hostname: 'w-0' },
      { ip: '10.0.0.3', port: 7001, hostname: 'w-1' },
    ]);
    await until(() => w.errors.length >= 2, 'two reported failures');
    expect(w.sets).toHaveLength(1);
    expect(w.errors[0].message).toContain(`w-1.${SVC}`);
  });

  it('does not call onChange before the first successful lookup', async () => {
    dns.setHeadlessService(SVC, [{ ip: '10.0.0.1', port: 7001 }]);
    dns.failNext('SERVFAIL', 3);
    const w = watch();
    await until(() => w.sets.length === 1, 'initial set');
    expect(w.errors).toHaveLength(3);
    expect(w.last()).toEqual(['10.0.0.1:7001']);
  });

  it('reports an unreachable DNS server as a transient failure', async () => {
    const deadPort = dns.port;
    await dns.close();
    const w = watch({ servers: [`127.0.0.1:${deadPort}`], timeoutMs: 100 });
    await until(() => w.errors.length >= 1, 'a reported failure');
    expect(['ECONNREFUSED', 'ETIMEOUT']).toContain(dnsCodeOf(w.errors[0]));
    expect(w.sets).toEqual([]);
  });

  it('reads a worker set too large for one UDP answer (TCP retry)', async () => {
    const endpoints = Array.from({ length: 40 }, (_, i) => ({
      ip: `10.0.1.${i + 1}`,
      port: 50061,
      hostname: `w-${i}`,
    }));
    dns.setHeadlessService(SVC, endpoints);
    const w = watch();
    await until(() => w.sets.length === 1, 'initial set');
    expect(w.last()).toHaveLength(40);
    expect(dns.queries().some((q) => q.transport === 'tcp' && q.type === 'SRV')).toBe(true);
  });

  it('never overlaps lookups: a slow lookup delays the next one', async () => {
    const delayMs = 120;
    dns.setHeadlessService(SVC, [{ ip: '10.0.0.1', port: 7001 }]);
    dns.setDelay(delayMs);
    const w = watch({ refreshIntervalMs: 10, timeoutMs: 1000 });
    await until(() => lookupsOf(SVC) >= 3, 'three lookups', 10_000);
    // One lookup = SRV alone, then A and AAAA of the one target together: never more than 2 at once.
    expect(dns.maxInFlight).toBe(2);
    // Each lookup starts after the previous one's two answer rounds, whatever the 10 ms interval says.
    const srvAt = dns
      .queries()
      .filter((q) => q.type === 'SRV')
      .map((q) => q.at);
    for (let i = 1; i < srvAt.length; i++) expect(srvAt[i] - srvAt[i - 1]).toBeGreaterThanOrEqual(2 * delayMs - 5);
    expect(w.sets).toEqual([['10.0.0.1:7001']]);
  });

  it('close() stops the queries, cancels an in-flight lookup, and is idempotent', async () => {
    dns.setHeadlessService(SVC, [{ ip: '10.0.0.1', port: 7001 }]);
    const w = watch({ refreshIntervalMs: 20 });
    await until(() => lookupsOf(SVC) >= 3, 'three lookups');
    w.d.close();
    w.d.close();
    // A query already on the wire may still arrive; then, while another discovery looks up 5 times, nothing more.
    await whileAnotherDiscoveryLooksUp(1, 20);
    const after = lookupsOf(SVC);
    await whileAnotherDiscoveryLooksUp(5, 20);
    expect(lookupsOf(SVC)).toBe(after);
    expect(w.errors).toEqual([]);

    dns.setDelay(200);
    const slow = watch();
    await until(() => dns.inFlight > 0, 'the slow lookup to start');
    slow.d.close();
    // Another lookup runs start to end (so the server has answered the cancelled query): the closed one reports nothing.
    await whileAnotherDiscoveryLooksUp(1, 20);
    expect(slow.sets).toEqual([]);
    expect(slow.errors).toEqual([]);
  });

  it('reports a throwing onChange and keeps running', async () => {
    dns.setHeadlessService(SVC, [{ ip: '10.0.0.1', port: 7001 }]);
    const errors: PigridError[] = [];
    const d = createDnsDiscovery({
      ...DEFAULTS,
      service: SVC,
      servers: [dns.address],
      refreshIntervalMs: 20,
      onError: (e) => errors.push(e),
    });
    running.push(d);
    let calls = 0;
    d.start(() => {
      calls++;
      throw new Error('listener bug');
    });
    await until(() => errors.length === 1, 'the listener failure');
    expect(errors[0]).toMatchObject({ code: 'INTERNAL', message: expect.stringContaining('listener bug') });
    dns.setHeadlessService(SVC, [{ ip: '10.0.0.2', port: 7001 }]);
    await until(() => calls === 2, 'the next change');
  });

  it('refuses a second start and ignores start after close', () => {
    const d = createDnsDiscovery({ ...DEFAULTS, service: SVC, servers: [dns.address] });
    d.start(() => {});
    expect(() => d.start(() => {})).toThrow(expect.objectContaining({ code: 'INTERNAL', message: 'DNS discovery already started' }));
    d.close();
    const closed = createDnsDiscovery({ ...DEFAULTS, service: SVC, servers: [dns.address] });
    closed.close();
    closed.start(() => {});
    expect(dns.queryCount).toBeLessThanOrEqual(1); // only the first instance's SRV query, if it got out
  });
});
