/**
 * The worker's Prometheus series (pigrid_worker_*). Nothing here may wake the main thread on its own while the kernel
 * threads hold the cores (docs/performance.md, "The worker's main thread between chunks"): the gauges are read from
 * the pool at each scrape instead of being set on every lease event, and Node.js's process metrics (whose event-loop
 * lag monitor is a timer) run only when /metrics is served, with that timer at {@link LAG_RESOLUTION_MS}.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { CHUNK_DURATION_BUCKETS } from '../shared/metrics-server.js';

/**
 * Sampling interval of the event-loop lag histogram (prom-client's default is 10 ms: 100 wake-ups a second, each
 * preempting a kernel thread on a busy worker). A stall of this length or more is always seen.
 */
export const LAG_RESOLUTION_MS = 100;

/** What the gauges read at each scrape. */
export interface PoolState {
  /** Chunks computing now. */
  readonly running: number;
  /** Leases held: running, posted or waiting. */
  readonly held: number;
}

export interface WorkerMetricsOptions {
  /** Kernel threads in the pool. */
  readonly threads: number;
  /** Node.js process metrics (CPU, heap, GC, event-loop lag): only worth their cost when /metrics is served. @default true */
  readonly processMetrics?: boolean;
}

export interface WorkerMetrics {
  readonly registry: Registry;
  readonly chunks: Counter<'outcome'>;
  readonly samples: Counter;
  readonly chunkDuration: Histogram;
  /** Where the utilization and leases-held gauges read the pool's state when scraped (the last call wins). */
  watch(state: () => PoolState): void;
}

export function createWorkerMetrics(options: WorkerMetricsOptions): WorkerMetrics {
  const { threads } = options;
  const registry = new Registry();
  if (options.processMetrics !== false) {
    collectDefaultMetrics({ register: registry, prefix: 'pigrid_worker_process_', eventLoopMonitoringPrecision: LAG_RESOLUTION_MS });
  }
  let state: () => PoolState = () => ({ running: 0, held: 0 });
  const threadsGauge = new Gauge({
    name: 'pigrid_worker_threads',
    help: 'Kernel threads in the pool (CPUs incl. cgroup quota).',
    registers: [registry],
  });
  new Gauge({
    name: 'pigrid_worker_pool_utilization',
    help: 'Fraction of kernel threads computing a chunk, 0..1.',
    registers: [registry],
    collect() {
      this.set(threads > 0 ? state().running / threads : 0);
    },
  });
  new Gauge({
    name: 'pigrid_worker_leases_held',
    help: 'Leases held: running plus prefetched.',
    registers: [registry],
    collect() {
      this.set(state().held);
    },
  });
  threadsGauge.set(threads);
  const chunks = new Counter({
    name: 'pigrid_worker_chunks_total',
    help: 'Chunks handled, by outcome (completed, failed, revoked).',
    labelNames: ['outcome'],
    registers: [registry],
  });
  for (const outcome of ['completed', 'failed', 'revoked']) chunks.inc({ outcome }, 0);
  return {
    registry,
    chunks,
    samples: new Counter({ name: 'pigrid_worker_samples_total', help: 'Samples computed.', registers: [registry] }),
    chunkDuration: new Histogram({
      name: 'pigrid_worker_chunk_duration_seconds',
      help: 'Kernel time per chunk.',
      buckets: [...CHUNK_DURATION_BUCKETS],
      registers: [registry],
    }),
    watch(s) {
      state = s;
    },
  };
}
