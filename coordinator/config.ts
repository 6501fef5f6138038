/**
 * Coordinator settings from the environment (documented in the README).
 */
import { readAuthSettings, type AuthSettings } from '../shared/api-tokens.js';
import { readTlsSettings, type TlsSettings } from '../shared/tls.js';
import type { AdmissionLimits } from './admission.js';
import { DEFAULT_HOST, DEFAULT_PORTS, EnvReader } from '../shared/config.js';
import { usableCpus } from '../shared/cpu-count.js';
import type { LogSettings } from '../shared/logger.js';
import { MAX_CHUNK_SIZE, MIN_CHUNK_SIZE } from '../shared/submit-rules.js';
import { MAX_LEASE_CHUNKS } from '../shared/wire.js';
import { DEFAULT_SCHEDULER_OPTIONS as D, type SchedulerOptions } from './core/scheduler-types.js';
import { checkDnsName, checkDnsServer, checkPortName, checkWorkerAddress } from '../shared/host-port.js';

/** The scheduler's settings (documented once, in SchedulerOptions; the per-thread prefetch cap is a fixed bound, not a setting) and the process's own. */
export interface CoordinatorConfig extends Omit<SchedulerOptions, 'maxPrefetchPerThread'> {
  /** Bind address of the gRPC API and /metrics. @default 127.0.0.1 */
  readonly host: string;
  /** gRPC port of the Calculations API. @default 50051 */
  readonly grpcPort: number;
  /** HTTP port of /metrics; -1 disables. @default 9464 */
  readonly metricsPort: number;
  /** SQLite file. @default ./data/pigrid.db */
  readonly dbPath: string;
  /** Static worker addresses host:port (IPv6 as [addr]:port), in the form gRPC dials (local runs). */
  readonly workers: readonly string[];
  /** Fully qualified DNS name of the workers' headless Service (lower case); when set, it replaces the static list. */
  readonly workerService: string | undefined;
  /** Named port of the headless Service, resolved as SRV _<name>._tcp.<service>. @default grpc */
  readonly workerPortName: string;
  /** Port used with A/AAAA records when there are no SRV records. @default 50061 */
  readonly workerPort: number;
  /** DNS re-resolution interval. @default 5000 ms */
  readonly discoveryIntervalMs: number;
  /** DNS servers (ip or ip:port) instead of the system's; for tests. @default the system's */
  readonly dnsServers: readonly string[];
  /** Default points per chunk (about a second of one core). @default 2,000,000,000 */
  readonly chunkSize: number;
  /** Largest points per calculation. @default 10^13 */
  readonly maxPoints: number;
  /** Largest chunk count per calculation. @default 1,000,000 */
  readonly maxChunks: number;
  /** Threads of the coordinator's own pool (mode=single). @default CPUs available, cgroup quota included */
  readonly threads: number;
  /** How long shutdown waits for in-flight results. @default 10000 ms */
  readonly drainGraceMs: number;
  /** Reconciliation period (expiry, grants). @default 250 ms */
  readonly tickMs: number;
  /** Mutual TLS files, or plaintext with PIGRID_INSECURE=true (shared/tls.ts). */
  readonly tls: TlsSettings;
  /** Plaintext port serving only grpc.health.v1, for the kubelet's probes; -1: none. @default -1 */
  readonly healthPort: number;
  /** API tokens and read policy (shared/api-tokens.ts). */
  readonly auth: AuthSettings;
  /** Caps on calculations, queued points and Watch streams (coordinator/admission.ts). */
  readonly admission: AdmissionLimits;
  /** PIGRID_LOG_LEVEL (@default info) and PIGRID_LOG_FORMAT (@default json). */
  readonly log: LogSettings;
}

export function loadCoordinatorConfig(env: NodeJS.ProcessEnv = process.env): CoordinatorConfig {
  const r = new EnvReader(env);
  return r.done('coordinator', {
    host: r.string('PIGRID_HOST', DEFAULT_HOST),
    grpcPort: r.port('PIGRID_GRPC_PORT', DEFAULT_PORTS.coordinatorGrpc),
    metricsPort: r.int('PIGRID_METRICS_PORT', DEFAULT_PORTS.coordinatorMetrics, -1, 65_535),
    dbPath: r.string('PIGRID_DB_PATH', './data/pigrid.db'),
    workers: r.list('PIGRID_WORKERS', checkWorkerAddress),
    workerService: r.parsed<string | undefined>('PIGRID_WORKER_SERVICE', undefined, checkDnsName),
    workerPortName: r.parsed('PIGRID_WORKER_PORT_NAME', 'grpc', checkPortName),
    workerPort: r.int('PIGRID_WORKER_PORT', DEFAULT_PORTS.workerGrpc, 1, 65_535),
    discoveryIntervalMs: r.int('PIGRID_DISCOVERY_INTERVAL_MS', 5_000, 50, 3_600_000),
    dnsServers: r.list('PIGRID_DNS_SERVER', checkDnsServer),
    leaseTtlMs: r.int('PIGRID_LEASE_TTL_MS', D.leaseTtlMs, 500, 3_600_000),
    prefetch: r.int('PIGRID_PREFETCH', D.prefetch, 0, 64),
    prefetchAheadMs: r.int('PIGRID_PREFETCH_AHEAD_MS', D.prefetchAheadMs, 0, 60_000),
    maxChunkAttempts: r.int('PIGRID_MAX_CHUNK_ATTEMPTS', D.maxChunkAttempts, 1, 100),
    stragglerFactor: r.int('PIGRID_STRAGGLER_FACTOR', D.stragglerFactor, 1, 1000),
    stragglerMinMs: r.int('PIGRID_STRAGGLER_MIN_MS', D.stragglerMinMs, 0, 3_600_000),
    verifyRate: r.number('PIGRID_VERIFY_RATE', D.verifyRate, 0, 1),
    verifyFirst: r.int('PIGRID_VERIFY_FIRST', D.verifyFirst, 0, 1_000_000),
    maxWorkerCapacity: r.int('PIGRID_MAX_WORKER_CAPACITY', D.maxWorkerCapacity, 1, 4096),
    initialCredits: r.int('PIGRID_INITIAL_CREDITS', D.initialCredits, 1, 4096),
    backoffMinMs: r.int('PIGRID_BACKOFF_MIN_MS', D.backoffMinMs, 1, 3_600_000),
    backoffMaxMs: r.int('PIGRID_BACKOFF_MAX_MS', D.backoffMaxMs, 1, 3_600_000),
    spanTargetMs: r.int('PIGRID_SPAN_TARGET_MS', D.spanTargetMs, 1, 3_600_000),
    maxSpanMs: r.int('PIGRID_MAX_SPAN_MS', D.maxSpanMs, 1, 3_600_000),
    // Workers refuse a lease of more chunks than MAX_LEASE_CHUNKS: a coordinator may not be configured to send one.
    maxSpanChunks: r.int('PIGRID_MAX_SPAN_CHUNKS', D.maxSpanChunks, 1, MAX_LEASE_CHUNKS),
    chunkSize: r.int('PIGRID_CHUNK_SIZE', 2_000_000_000, MIN_CHUNK_SIZE, MAX_CHUNK_SIZE),
    maxPoints: r.int('PIGRID_MAX_POINTS', 10_000_000_000_000, 1, Number.MAX_SAFE_INTEGER),
    maxChunks: r.int('PIGRID_MAX_CHUNKS', 1_000_000, 1, 100_000_000),
    threads: r.int('PIGRID_THREADS', usableCpus(), 1, 1024),
    drainGraceMs: r.int('PIGRID_DRAIN_GRACE_MS', 10_000, 0, 3_600_000),
    tickMs: r.int('PIGRID_TICK_MS', 250, 10, 60_000),
    tls: readTlsSettings(r),
    healthPort: r.int('PIGRID_HEALTH_PORT', -1, -1, 65_535),
    auth: readAuthSettings(r),
    admission: {
      maxActive: r.int('PIGRID_MAX_ACTIVE_CALCULATIONS', 100, 1, 1_000_000),
      maxActivePerClient: r.int('PIGRID_MAX_ACTIVE_PER_CLIENT', 20, 1, 1_000_000),
      maxQueuedPoints: r.int('PIGRID_MAX_QUEUED_POINTS', 100_000_000_000_000, 1, Number.MAX_SAFE_INTEGER),
      maxWatchStreams: r.int('PIGRID_MAX_WATCH_STREAMS', 1_000, 1, 1_000_000),
    },
    log: r.logSettings(),
  });
}
