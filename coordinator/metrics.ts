/**
 * The coordinator's Prometheus series. Names follow Prometheus conventions: one `pigrid_` prefix, base units,
 * `_total` on counters only. HPA/adapter rules and alerts in k8s/ read these names: keep them stable.
 */
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import { CHUNK_DURATION_BUCKETS, EVENT_LOOP_SAMPLE_MS } from '../shared/metrics-server.js';
import { PlainHistogram } from './plain-histogram.js';
import { LEASE_PURPOSES, REJECT_REASONS, RELEASE_REASONS, type ConnectionState, type PoolSnapshot } from './core/scheduler-types.js';

const CONNECTION_STATES: readonly ConnectionState[] = ['ready', 'draining', 'backoff', 'unresponsive', 'quarantined'];

export interface CoordinatorMetrics {
  readonly registry: Registry;
  readonly leasesGranted: Counter<'kind'>;
  readonly chunksCompleted: Counter;
  readonly chunksReleased: Counter<'reason'>;
  readonly samples: Counter;
  /** One observation per committed chunk: prom-client's Histogram cost microseconds each (see PlainHistogram). */
  readonly chunkDuration: PlainHistogram;
  readonly duplicateResults: Counter;
  readonly resultMismatches: Counter;
  readonly calculationsEnded: Counter<'status'>;
  readonly resultsRejected: Counter<'reason'>;
  readonly verifications: Counter<'outcome'>;
  readonly workersQuarantined: Counter;
  /** Where the pool gauges read from, at scrape time (never per event). */
  bindClusterStatus(source: () => PoolSnapshot): void;
}

export function createCoordinatorMetrics(): CoordinatorMetrics {
  const registry = new Registry();
  // The event-loop delay histogram samples the loop every EVENT_LOOP_SAMPLE_MS: prom-client's default (10 ms) wakes an
  // idle coordinator 100 times a second, ~2.8 ms of CPU per second on this VM against ~0.4 ms at 100 ms.
  collectDefaultMetrics({ register: registry, prefix: 'pigrid_coordinator_', eventLoopMonitoringPrecision: EVENT_LOOP_SAMPLE_MS });
  // The pool gauges are read at scrape time from one snapshot (taken at most once per scrape), never per event.
  let source: (() => PoolSnapshot) | undefined;
  let snap: { at: number; value: PoolSnapshot } | undefined;
  const pool = (): PoolSnapshot | undefined => {
    if (!source) return undefined;
    const now = Date.now();
    if (!snap || now - snap.at > 100) snap = { at: now, value: source() };
    return snap.value;
  };
  const poolGauge = (name: string, help: string, read: (p: PoolSnapshot) => number) =>
    new Gauge({
      name,
      help,
      registers: [registry],
      collect() {
        const p = pool();
        if (p) this.set(read(p));
      },
    });
  poolGauge('pigrid_backlog_chunks', 'Chunks of active distributed calculations waiting to be leased.', (p) => p.backlogChunks);
  poolGauge(
    'pigrid_single_backlog_chunks',
    'Chunks of active single-mode calculations waiting for the coordinator pool.',
    (p) => p.singleBacklogChunks,
  );
  poolGauge('pigrid_leases_in_flight', 'Leases held by remote workers.', (p) => p.leasesInFlight);
  new Gauge({
    name: 'pigrid_workers_connected',
    help: 'Remote workers with an open Work stream, by state.',
    labelNames: ['state'],
    registers: [registry],
    collect() {
      const p = pool();
      if (!p) return;
      const remote = p.workers.filter((w) => w.kind === 'remote');
      for (const state of CONNECTION_STATES) this.set({ state }, remote.filter((w) => w.state === state).length);
    },
  });
  poolGauge('pigrid_worker_capacity_threads', 'Threads announced by ready remote workers.', (p) => p.totalCapacity);
  poolGauge('pigrid_calculations_active', 'Calculations queued or running.', (p) => p.activeCalculations);
  poolGauge('pigrid_workers_quarantined', 'Worker instances quarantined for a wrong result.', (p) => p.quarantined.length);
  const leasesGranted = new Counter({
    name: 'pigrid_leases_granted_total',
    help: 'Leases granted: primary, straggler backup, or verification of a committed chunk.',
    labelNames: ['kind'],
    registers: [registry],
  });
  const chunksReleased = new Counter({
    name: 'pigrid_chunks_released_total',
    help: 'Chunks returned to the queue to be leased again, by reason.',
    labelNames: ['reason'],
    registers: [registry],
  });
  const calculationsEnded = new Counter({
    name: 'pigrid_calculations_ended_total',
    help: 'Calculations that ended, by status.',
    labelNames: ['status'],
    registers: [registry],
  });
  // Every label value starts at 0, so rate() and alerts see the series before the first event.
  const resultsRejected = new Counter({
    name: 'pigrid_results_rejected_total',
    help: 'Worker results refused before they touched any state, by reason.',
    labelNames: ['reason'],
    registers: [registry],
  });
  const verifications = new Counter({
    name: 'pigrid_verifications_total',
    help: 'Second computations of committed chunks, by outcome (match or mismatch).',
    labelNames: ['outcome'],
    registers: [registry],
  });
  for (const kind of LEASE_PURPOSES) leasesGranted.inc({ kind }, 0);
  for (const reason of REJECT_REASONS) resultsRejected.inc({ reason }, 0);
  for (const outcome of ['match', 'mismatch']) verifications.inc({ outcome }, 0);
  for (const reason of RELEASE_REASONS) chunksReleased.inc({ reason }, 0);
  for (const status of ['completed', 'failed', 'cancelled']) calculationsEnded.inc({ status }, 0);
  return {
    registry,
    leasesGranted,
    chunksCompleted: new Counter({
      name: 'pigrid_chunks_completed_total',
      help: 'Chunks committed (each chunk once).',
      registers: [registry],
    }),
    chunksReleased,
    samples: new Counter({ name: 'pigrid_samples_total', help: 'Samples of committed chunks.', registers: [registry] }),
    chunkDuration: new PlainHistogram({
      name: 'pigrid_chunk_duration_seconds',
      help: 'Kernel time of committed chunks as reported by workers.',
      buckets: [...CHUNK_DURATION_BUCKETS],
      registers: [registry],
    }),
    duplicateResults: new Counter({
      name: 'pigrid_duplicate_results_total',
      help: 'Chunk results that arrived again and matched the committed copy.',
      registers: [registry],
    }),
    resultMismatches: new Counter({
      name: 'pigrid_result_mismatches_total',
      help: 'Chunk results that disagreed with the committed copy (an alarm).',
      registers: [registry],
    }),
    calculationsEnded,
    resultsRejected,
    verifications,
    workersQuarantined: new Counter({
      name: 'pigrid_workers_quarantined_total',
      help: 'Workers quarantined for a wrong result (an alarm).',
      registers: [registry],
    }),
    bindClusterStatus(s) {
      source = s;
    },
  };
}
