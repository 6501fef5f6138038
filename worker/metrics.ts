/**
 * The worker's Prometheus series (pigrid_worker_*).
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { CHUNK_DURATION_BUCKETS } from '../shared/metrics-server.js';

export interface WorkerMetrics {
  readonly registry: Registry;
  readonly chunks: Counter<'outcome'>;
  readonly samples: Counter;
  readonly chunkDuration: Histogram;
  observe(s: { running: number; held: number; threads: number }): void;
}

export function createWorkerMetrics(threads: number): WorkerMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'pigrid_worker_process_' });
  const threadsGauge = new Gauge({
    name: 'pigrid_worker_threads',
    help: 'Kernel threads in the pool (CPUs incl. cgroup quota).',
    registers: [registry],
  });
  const utilization = new Gauge({
    name: 'pigrid_worker_pool_utilization',
    help: 'Fraction of kernel threads computing a chunk, 0..1.',
    registers: [registry],
  });
  const held = new Gauge({ name: 'pigrid_worker_leases_held', help: 'Leases held: running plus prefetched.', registers: [registry] });
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
    observe(s) {
      utilization.set(s.threads > 0 ? s.running / s.threads : 0);
      held.set(s.held);
    },
  };
}
