/**
 * Worker settings from the environment (documented in the README).
 */
import { hostname } from 'node:os';
import { DEFAULT_HOST, DEFAULT_PORTS, EnvReader } from '../shared/config.js';
import { usableCpus } from '../shared/cpu-count.js';
import { readTlsSettings, type TlsSettings } from '../shared/tls.js';
import type { LogSettings } from '../shared/logger.js';

export interface WorkerConfig {
  /** Bind address. @default 127.0.0.1 */
  readonly host: string;
  /** gRPC port of the Work service. @default 50061 */
  readonly grpcPort: number;
  /** HTTP port of /metrics; 0 picks a free one, -1 disables. @default 9465 */
  readonly metricsPort: number;
  /** Kernel threads. @default CPUs available, cgroup quota included */
  readonly threads: number;
  /** Identity announced in the hello. @default $POD_NAME, else hostname-pid */
  readonly workerId: string;
  /** How long a draining worker keeps finishing running chunks. @default 20000 ms */
  readonly drainGraceMs: number;
  /** Mutual TLS files, or plaintext with PIGRID_INSECURE=true (shared/tls.ts). */
  readonly tls: TlsSettings;
  /** Plaintext port serving only grpc.health.v1, for the kubelet's probes; -1: none. @default -1 */
  readonly healthPort: number;
  /** PIGRID_LOG_LEVEL (@default info) and PIGRID_LOG_FORMAT (@default json). */
  readonly log: LogSettings;
}

export function loadWorkerConfig(env: NodeJS.ProcessEnv = process.env): WorkerConfig {
  const r = new EnvReader(env);
  return r.done('worker', {
    host: r.string('PIGRID_HOST', DEFAULT_HOST),
    grpcPort: r.port('PIGRID_GRPC_PORT', DEFAULT_PORTS.workerGrpc),
    metricsPort: r.int('PIGRID_METRICS_PORT', DEFAULT_PORTS.workerMetrics, -1, 65_535),
    threads: r.int('PIGRID_THREADS', usableCpus(), 1, 1024),
    workerId: r.string('PIGRID_WORKER_ID', r.string('POD_NAME', `${hostname()}-${process.pid}`)),
    drainGraceMs: r.int('PIGRID_DRAIN_GRACE_MS', 20_000, 0, 3_600_000),
    tls: readTlsSettings(r),
    healthPort: r.int('PIGRID_HEALTH_PORT', -1, -1, 65_535),
    log: r.logSettings(),
  });
}
