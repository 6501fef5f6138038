/**
 * A real DNS server on 127.0.0.1 (UDP and TCP on the same random port) whose records a test changes
 * while it runs. It speaks the wire protocol through `dns2`, so `node:dns` (c-ares) talks to it exactly
 * as it talks to CoreDNS: point a `Resolver` or `createDnsDiscovery({ servers: [dns.address] })` at it.
 *
 * Semantics, modelled on CoreDNS serving a headless Service:
 * - a name with no records at all → NXDOMAIN (rcode 3; `node:dns` reports ENOTFOUND);
 * - a name with records of other types only → NOERROR with no answers (NODATA; ENODATA);
 * - answers have TTL 0 by default, so nothing is cached between lookups;
 * - responses over 512 bytes are truncated on UDP and c-ares retries over TCP, as with a real server.
 */
import { isIPv4, isIPv6, type Socket } from 'node:net';
import { Packet, type Question, type Resource } from 'dns2';
import { listenDnsOnOnePort } from '../../scripts/local/worker-dns.js';

/** One SRV record of a name. */
export interface FakeSrvRecord {
  readonly target: string;
  readonly port: number;
  /** @default 0 */
  readonly priority?: number;
  /** @default 10 */
  readonly weight?: number;
}

/** A failure injected with {@link FakeDnsServer.failNext}: SERVFAIL answers rcode 2, timeout never answers. */
export type FakeDnsFailure = 'SERVFAIL' | 'timeout';

/** One query the server received (failed ones included). */
export interface FakeDnsQuery {
  /** Lower-case, without trailing dot. */
  readonly name: string;
  /** 'A', 'AAAA', 'SRV', or the numeric type for others. */
  readonly type: string;
  readonly transport: 'udp' | 'tcp';
  readonly at: number;
}

/** One pod behind a fake headless Service. */
export interface FakeHeadlessEndpoint {
  readonly ip: string;
  readonly port: number;
  /** Pod host name; its DNS name is `<hostname>.<service>`. @default the IP with '.'/':' replaced by '-' */
  readonly hostname?: string;
}

/** A running fake DNS server. */
export interface FakeDnsServer {
  /** `'127.0.0.1:<port>'`, for `Resolver.setServers` or the `servers` discovery option. */
  readonly address: string;
  readonly port: number;
  /** Queries received so far. */
  readonly queryCount: number;
  /** Queries received and not yet answered. */
  readonly inFlight: number;
  /** Highest number of queries received but not yet answered at the same moment (see {@link setDelay}). */
  readonly maxInFlight: number;
  /** Replaces the SRV records of `name`; `[]` removes them. */
  setSrv(name: string, records: readonly FakeSrvRecord[]): void;
  /** Replaces the A records of `name`; `[]` removes them. */
  setA(name: string, ips: readonly string[]): void;
  /** Replaces the AAAA records of `name`; `[]` removes them. */
  setAAAA(name: string, ips: readonly string[]): void;
  /** Removes every record of `name`: it answers NXDOMAIN from now on. */
  remove(name: string): void;
  /**
   * Publishes a headless Service the way CoreDNS does: SRV `_<portName>._tcp.<service>` → one target per
   * endpoint, A/AAAA for each target, and A/AAAA of `<service>` listing every IP. Replaces the records
   * of the previous call for the same service; `[]` removes them all (NXDOMAIN, as with no ready pods).
   */
  setHeadlessService(service: string, endpoints: readonly FakeHeadlessEndpoint[], opts?: { readonly portName?: string }): void;
  /**
   * Makes the next `count` queries fail (for `onlyName`, only queries of that name); `Infinity` until
   * {@link clearFailures}. Each query received counts, so a client retry (`tries` > 1) uses one more.
   */
  failNext(kind: FakeDnsFailure, count?: number, onlyName?: string): void;
  clearFailures(): void;
  /** Answers every query `ms` later (0 = at once). */
  setDelay(ms: number): void;
  /** Removes all records, failures and the delay. Counters are kept. */
  reset(): void;
  /** A copy of the query log. */
  queries(): FakeDnsQuery[];
  /** Stops both sockets. Idempotent. */
  close(): Promise<void>;
}

/** Options of {@link startFakeDnsServer}. */
export interface FakeDnsServerOptions {
  /** TTL of every answer, in seconds. @default 0 */
  readonly ttl?: number;
}

interface NameRecords {
  srv: FakeSrvRecord[];
  a: string[];
  aaaa: string[];
}

type Send = (response: Packet) => unknown;

const TYPE_NAMES: Readonly<Record<number, string>> = { 1: 'A', 28: 'AAAA', 33: 'SRV' };
const LOOPBACK = '127.0.0.1';
// RFC 1035 §4.1.1 (dns2's Packet.RCODE exists at run time but not in its type declarations).
const RCODE_SERVFAIL = 2;
const RCODE_NXDOMAIN = 3;

/** Starts a fake DNS server on 127.0.0.1, UDP and TCP on one random port. */
export async function startFakeDnsServer(options: FakeDnsServerOptions = {}): Promise<FakeDnsServer> {
  const ttl = options.ttl ?? 0;
  const names = new Map<string, NameRecords>();
  const headless = new Map<string, Set<string>>();
  const failures: { kind: FakeDnsFailure; remaining: number; name: string | undefined }[] = [];
  const log: FakeDnsQuery[] = [];
  const sockets = new Set<Socket>();
  let delayMs = 0;
  let inFlight = 0;
  let maxInFlight = 0;
  let closed: Promise<void> | undefined;

  const recordsOf = (name: string): NameRecords => {
    const key = normalize(name);
    let r = names.get(key);
    if (r === undefined) {
      r = { srv: [], a: [], aaaa: [] };
      names.set(key, r);
    }
    return r;
  };
  const dropIfEmpty = (name: string): void => {
    const r = names.get(normalize(name));
    if (r && r.srv.length === 0 && r.a.length === 0 && r.aaaa.length === 0) names.delete(normalize(name));
  };

  const handle = (request: Packet, send: Send, transport: 'udp' | 'tcp'): void => {
    const question = request.questions[0];
    const name = normalize(question?.name ?? '');
    log.push({ name, type: TYPE_NAMES[question?.type] ?? String(question?.type), transport, at: Date.now() });
    const at = failures.findIndex((f) => f.name === undefined || f.name === name);
    const failure = at < 0 ? undefined : failures[at];
    if (failure !== undefined && --failure.remaining <= 0) failures.splice(at, 1);
    if (failure?.kind === 'timeout') return;
    const response = Packet.createResponseFromRequest(request);
    response.header.aa = 1;
    response.header.ra = 1;
    const records = names.get(name);
    if (failure?.kind === 'SERVFAIL') response.header.rcode = RCODE_SERVFAIL;
    else if (question === undefined || records === undefined) response.header.rcode = RCODE_NXDOMAIN;
    else response.answers = answersFor(question, records, ttl);
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    const reply = (): void => {
      inFlight--;
      if (closed !== undefined) return;
      try {
        void Promise.resolve(send(response)).catch(() => {});
      } catch {
        // The socket closed under us; the client will time out, which is what a dead server does.
      }
    };
    if (delayMs > 0) setTimeout(reply, delayMs);
    else reply();
  };

  // Malformed packets are ignored, like a real server would.
  const { udp, tcp, port } = await listenDnsOnOnePort(handle, sockets, () => {});

  return {
    address: `${LOOPBACK}:${port}`,
    port,
    get queryCount() {
      return log.length;
    },
    get inFlight() {
      return inFlight;
    },
    get maxInFlight() {
      return maxInFlight;
    },
    setSrv(name, records) {
      for (const r of records) {
        if (!Number.isInteger(r.port) || r.port < 0 || r.port > 65535) throw new TypeError(`bad SRV port ${r.port}`);
        if (typeof r.target !== 'string' || r.target === '') throw new TypeError('SRV target must be a name');
      }
      recordsOf(name).srv = records.map((r) => ({ ...r, target: normalize(r.target) }));
      dropIfEmpty(name);
    },
    setA(name, ips) {
      for (const ip of ips) if (!isIPv4(ip)) throw new TypeError(`not an IPv4 address: ${ip}`);
      recordsOf(name).a = [...new Set(ips)];
      dropIfEmpty(name);
    },
    setAAAA(name, ips) {
      for (const ip of ips) if (!isIPv6(ip)) throw new TypeError(`not an IPv6 address: ${ip}`);
      recordsOf(name).aaaa = [...new Set(ips)];
      dropIfEmpty(name);
    },
    remove(name) {
      names.delete(normalize(name));
    },
    setHeadlessService(service, endpoints, opts = {}) {
      const svc = normalize(service);
      for (const n of headless.get(svc) ?? []) names.delete(n);
      headless.delete(svc);
      if (endpoints.length === 0) return;
      const owned = new Set<string>();
      const srv: FakeSrvRecord[] = [];
      const add = (name: string, ip: string): void => {
        if (!isIPv4(ip) && !isIPv6(ip)) throw new TypeError(`not an IP address: ${ip}`);
        owned.add(name);
        const r = recordsOf(name);
        const list = isIPv6(ip) ? r.aaaa : r.a;
        if (!list.includes(ip)) list.push(ip);
      };
      for (const ep of endpoints) {
        const target = `${ep.hostname ?? ep.ip.replace(/[.:]/g, '-')}.${svc}`;
        add(target, ep.ip);
        add(svc, ep.ip);
        srv.push({ target, port: ep.port, priority: 0, weight: 10 });
      }
      const srvName = `_${opts.portName ?? 'grpc'}._tcp.${svc}`;
      recordsOf(srvName).srv = srv;
      owned.add(srvName);
      headless.set(svc, owned);
    },
    failNext(kind, count = 1, onlyName) {
      if (!(count > 0)) throw new TypeError('count must be positive');
      failures.push({ kind, remaining: count, name: onlyName === undefined ? undefined : normalize(onlyName) });
    },
    clearFailures() {
      failures.length = 0;
    },
    setDelay(ms) {
      delayMs = ms;
    },
    reset() {
      names.clear();
      headless.clear();
      failures.length = 0;
      delayMs = 0;
    },
    queries() {
      return [...log];
    },
    close() {
      closed ??= (async () => {
        for (const s of sockets) s.destroy();
        await Promise.all([
          new Promise<void>((resolve) => udp.close(() => resolve())),
          new Promise<void>((resolve) => tcp.close(() => resolve())),
        ]);
      })();
      return closed;
    },
  };
}

function answersFor(question: Question, r: NameRecords, ttl: number): Resource[] {
  const make = (fields: Partial<Resource>): Resource =>
    Packet.createResourceFromQuestion(question, { ttl, class: Packet.CLASS.IN, ...fields });
  switch (question.type) {
    case Packet.TYPE.A:
      return r.a.map((address) => make({ type: Packet.TYPE.A, address }));
    case Packet.TYPE.AAAA:
      return r.aaaa.map((address) => make({ type: Packet.TYPE.AAAA, address }));
    case Packet.TYPE.SRV:
      return r.srv.map((s) =>
        make({
          type: Packet.TYPE.SRV,
          target: s.target,
          port: s.port,
          priority: s.priority ?? 0,
          weight: s.weight ?? 10,
        }),
      );
    default:
      return []; // NODATA for types the fake does not serve
  }
}

function normalize(name: string): string {
  return name.toLowerCase().replace(/\.$/, '');
}
