/**
 * The coordinator's Prometheus series. Names follow Prometheus conventions: one `pigrid_` prefix, base units,
 * `_total` on counters only. HPA/adapter rules and alerts in k8s/ read these names: keep them stable.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { CHUNK_DURATION_BUCKETS } from '../shared/metrics-server.js';
import { RELEASE_REASONS, type PoolSnapshot } from './core/scheduler-types.js';

export interface CoordinatorMetrics {
  readonly registry: Registry;
  readonly leasesGranted: Counter<'kind'>;
  readonly chunksCompleted: Counter;
  readonly chunksReleased: Counter<'reason'>;
  readonly samples: Counter;
  readonly chunkDuration: Histogram;
  readonly duplicateResults: Counter;
  readonly resultMismatches: Counter;
  readonly calculationsEnded: Counter<'status'>;
  observePool(p: PoolSnapshot): void;
}

export function createCoordinatorMetrics(): CoordinatorMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'pigrid_coordinator_' });
  const backlog = new Gauge({ name: 'pigrid_backlog_chunks', help: 'Chunks of active distributed calculations waiting to be leased.', registers: [registry] });
  const singleBacklog = new Gauge({ name: 'pigrid_single_backlog_chunks', help: 'Chunks of active single-mode calculations waiting for the coordinator pool.', registers: [registry] });
  const inFlight = new Gauge({ name: 'pigrid_leases_in_flight', help: 'Leases held by remote workers.', registers: [registry] });
  const workers = new Gauge({ name: 'pigrid_workers_connected', help: 'Remote workers with an open Work stream, by state.', labelNames: ['state'], registers: [registry] });
  const capacity = new Gauge({ name: 'pigrid_worker_capacity_threads', help: 'Threads announced by ready remote workers.', registers: [registry] });
  const active = new Gauge({ name: 'pigrid_calculations_active', help: 'Calculations queued or running.', registers: [registry] });
  const leasesGranted = new Counter({ name: 'pigrid_leases_granted_total', help: 'Leases granted, primary or straggler backup.', labelNames: ['kind'], registers: [registry] });
  const chunksReleased = new Counter({ name: 'pigrid_chunks_released_total', help: 'Chunks returned to the queue to be leased again, by reason.', labelNames: ['reason'], registers: [registry] });
  const calculationsEnded = new Counter({ name: 'pigrid_calculations_ended_total', help: 'Calculations that ended, by status.', labelNames: ['status'], registers: [registry] });
  // Every label value starts at 0, so rate() and alerts see the series before the first event.
  for (const kind of ['primary', 'backup']) leasesGranted.inc({ kind }, 0);
  for (const reason of RELEASE_REASONS) chunksReleased.inc({ reason }, 0);
  for (const status of ['completed', 'failed', 'cancelled']) calculationsEnded.inc({ status }, 0);
  return {
    registry,
    leasesGranted,
    chunksCompleted: new Counter({ name: 'pigrid_chunks_completed_total', help: 'Chunks committed (each chunk once).', registers: [registry] }),
    chunksReleased,
    samples: new Counter({ name: 'pigrid_samples_total', help: 'Samples of committed chunks.', registers: [registry] }),
    chunkDuration: new Histogram({
      name: 'pigrid_chunk_duration_seconds',
      help: 'Kernel time of committed chunks as reported by workers.',
      buckets: [...CHUNK_DURATION_BUCKETS],
      registers: [registry],
    }),
    duplicateResults: new Counter({ name: 'pigrid_duplicate_results_total', help: 'Chunk results that arrived again and matched the committed copy.', registers: [registry] }),
    resultMismatches: new Counter({ name: 'pigrid_result_mismatches_total', help: 'Chunk results that disagreed with the committed copy (an alarm).', registers: [registry] }),
    calculationsEnded,
    observePool(p) {
      backlog.set(p.backlogChunks);
      singleBacklog.set(p.singleBacklogChunks);
      inFlight.set(p.leasesInFlight);
      const remote = p.workers.filter((w) => w.kind === 'remote');
      workers.set({ state: 'ready' }, remote.filter((w) => w.state === 'ready').length);
      workers.set({ state: 'draining' }, remote.filter((w) => w.state === 'draining').length);
      capacity.set(p.totalCapacity);
      active.set(p.activeCalculations);
    },
  };
}
