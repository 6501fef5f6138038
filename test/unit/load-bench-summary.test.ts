import { describe, expect, it, vi } from 'vitest';
import { LoadAccounting } from '../../bench/load/accounting.js';
import { cpuFromMetrics, snapshotFromStatus, toNumber } from '../../bench/load/cluster-snapshot.js';
import { LOAD_BENCH_CSV_COLUMNS, type SampleRow } from '../../bench/load/csv.js';
import { ErrorTally } from '../../bench/load/errors.js';
import { resolveLoadBenchOptions } from '../../bench/load/options.js';
import { computeSummary, scaleEvents } from '../../bench/load/summary.js';

function row(over: Partial<SampleRow>): SampleRow {
  return { ...(Object.fromEntries(LOAD_BENCH_CSV_COLUMNS.map((c) => [c, null])) as SampleRow), ...over };
}

describe('LoadAccounting', () => {
  it('keeps submitted = completed + failed + in_flight and closes intervals', () => {
    const ledger = new LoadAccounting();
    ledger.submitStarted();
    ledger.submitStarted();
    ledger.submitStarted();
    expect(ledger.attempts).toBe(3);
    ledger.submitFinished(100, 20, { id: 'a', status: 'queued', points: 1000, durationMs: null }, 1000);
    ledger.submitFinished(110, 30, { id: 'b', status: 'running', points: null, durationMs: null }, 500);
    ledger.submitFinished(120, 40, null, 500);
    expect(ledger.takeInterval(500)).toEqual({
      t_s: 0.5,
      submitted: 3,
      completed: 0,
      failed: 1,
      in_flight: 2,
      submit_latency_ms_p50: 30,
      submit_latency_ms_p95: 39,
      samples_per_s_completed: 0,
    });
    expect(ledger.ended('a', 'completed', 900, 700)).toBe(true);
    expect(ledger.ended('a', 'completed', 950)).toBe(false);
    expect(ledger.ended('b', 'abandoned', 1000)).toBe(true);
    expect(ledger.takeInterval(1000)).toEqual({
      t_s: 1,
      submitted: 3,
      completed: 1,
      failed: 2,
      in_flight: 0,
      submit_latency_ms_p50: null,
      submit_latency_ms_p95: null,
      samples_per_s_completed: 2000,
    });
    expect(ledger.totals()).toEqual({
      submitted: 3,
      accepted: 2,
      rejected: 1,
      completed: 1,
      failed: 0,
      cancelled: 0,
      abandoned: 1,
      pointsCompleted: 1000,
    });
    expect(ledger.completionLatenciesMs).toEqual([820]);
    expect(ledger.serverDurationsMs).toEqual([700]);
  });

  it('ends a calculation at once when the submit answer is already terminal', () => {
    const ledger = new LoadAccounting();
    ledger.submitStarted();
    ledger.submitFinished(50, 10, { id: 'x', status: 'failed', points: 5, durationMs: 1 }, 5);
    expect(ledger.inFlightCount).toBe(0);
    expect(ledger.totals().failed).toBe(1);
  });

  it('wakes a waiter on change, on timeout and on abort, and not before', async () => {
    vi.useFakeTimers();
    try {
      const ledger = new LoadAccounting();
      /** Whether `p` has resolved, read after letting pending promise callbacks run. */
      const watch = (p: Promise<void>) => {
        let done = false;
        void p.then(() => (done = true));
        return async () => {
          await vi.advanceTimersByTimeAsync(0);
          return done;
        };
      };

      const onChange = watch(ledger.changed(10_000));
      ledger.submitStarted(); // a submission in progress is no change of the ledger's answers yet
      expect(await onChange()).toBe(false);
      ledger.submitFinished(1, 1, null, 1);
      expect(await onChange()).toBe(true);

      const onTimeout = watch(ledger.changed(5));
      await vi.advanceTimersByTimeAsync(4);
      expect(await onTimeout()).toBe(false);
      await vi.advanceTimersByTimeAsync(1);
      expect(await onTimeout()).toBe(true);

      const stop = new AbortController();
      const onAbort = watch(ledger.changed(10_000, stop.signal));
      expect(await onAbort()).toBe(false);
      stop.abort();
      expect(await onAbort()).toBe(true);
      expect(await watch(ledger.changed(10_000, AbortSignal.abort()))()).toBe(true);
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('cluster snapshot', () => {
  const status = {
    in_cluster: true,
    namespace: 'pigrid',
    pods: {
      coordinator: [],
      gateway: [],
      worker: [
        { name: 'w-1', phase: 'Running', ready: true },
        { name: 'w-2', phase: 'Pending', ready: false },
      ],
    },
    hpas: [
      { name: 'gateway', target: { kind: 'Deployment', name: 'gateway' }, current_replicas: 1, desired_replicas: 1 },
      { name: 'pigrid-hpa', target: { kind: 'Deployment', name: 'pigrid-worker' }, current_replicas: 2, desired_replicas: 5 },
    ],
    coordinator: {
      workers: [
        { id: 'w-1', state: 'READY' },
        { id: 'w-2', state: 'CONNECTING' },
        { id: 'w-3', state: 'ready' },
      ],
      total_capacity: 8,
      leases_in_flight: 6,
      backlog_chunks: '120',
      active_calculations: 2,
    },
    errors: [],
  };

  it('reads every status column, the worker HPA, and int64 strings', () => {
    expect(snapshotFromStatus(status)).toEqual({
      backlog_chunks: 120,
      leases_in_flight: 6,
      workers_ready: 2,
      total_capacity: 8,
      worker_pods_ready: 1,
      hpa_current_replicas: 2,
      hpa_desired_replicas: 5,
    });
  });

  it('leaves pod and HPA columns blank outside a cluster, and rejects a non-object', () => {
    const local = { ...status, in_cluster: false, pods: { coordinator: [], worker: [], gateway: [] }, hpas: [] };
    expect(snapshotFromStatus(local)).toMatchObject({
      workers_ready: 2,
      worker_pods_ready: null,
      hpa_current_replicas: null,
      hpa_desired_replicas: null,
    });
    expect(snapshotFromStatus({})).toEqual({
      backlog_chunks: null,
      leases_in_flight: null,
      workers_ready: null,
      total_capacity: null,
      worker_pods_ready: null,
      hpa_current_replicas: null,
      hpa_desired_replicas: null,
    });
    expect(snapshotFromStatus('oops')).toBeNull();
    expect(snapshotFromStatus([])).toBeNull();
  });

  it('reads worker CPU from totals, else sums worker pods, blank when empty', () => {
    expect(
      cpuFromMetrics({ pods: [{ component: 'worker', cpu_millicores: 300 }], totals: { worker: { cpu_millicores: 300, pods: 1 } } }),
    ).toBe(300);
    expect(
      cpuFromMetrics({
        pods: [
          { component: 'worker', cpu_millicores: 100 },
          { component: 'worker', cpu_millicores: '50' },
          { component: 'gateway', cpu_millicores: 9 },
        ],
      }),
    ).toBe(150);
    expect(cpuFromMetrics({ pods: [], totals: {} })).toBeNull();
    expect(cpuFromMetrics(null)).toBeUndefined();
    expect(toNumber('12')).toBe(12);
    expect(toNumber('1e3')).toBeNull();
  });
});

describe('scale events and summary', () => {
  const rows = [
    row({ t_s: 0, hpa_desired_replicas: 1, worker_pods_ready: 1, hpa_current_replicas: 1, samples_per_s_completed: null }),
    row({ t_s: 1, hpa_desired_replicas: 3, worker_pods_ready: 1, hpa_current_replicas: 1, samples_per_s_completed: 100 }),
    row({ t_s: 2, hpa_desired_replicas: 3, worker_pods_ready: 3, hpa_current_replicas: 3, samples_per_s_completed: 300 }),
    row({ t_s: 3, hpa_desired_replicas: 1, worker_pods_ready: 3, hpa_current_replicas: 3, samples_per_s_completed: 200 }),
    row({ t_s: 4, hpa_desired_replicas: 1, worker_pods_ready: 1, hpa_current_replicas: 1, samples_per_s_completed: 0 }),
    row({ t_s: 5, hpa_desired_replicas: 1, worker_pods_ready: 1, hpa_current_replicas: 1, samples_per_s_completed: 0 }),
  ];

  it('finds the first rise above the baseline and the return to it after the load', () => {
    expect(scaleEvents(rows, (r) => r.hpa_desired_replicas, 2.5)).toEqual({ start: 1, max: 3, upS: 1, downAfterLoadS: 0.5 });
    expect(scaleEvents(rows, (r) => r.worker_pods_ready, 2.5)).toEqual({ start: 1, max: 3, upS: 2, downAfterLoadS: 1.5 });
    expect(scaleEvents(rows, (r) => r.workers_ready, 2.5)).toEqual({ start: null, max: null, upS: null, downAfterLoadS: null });
    const flat = rows.map((r) => ({ ...r, worker_pods_ready: 2 }));
    expect(scaleEvents(flat, (r) => r.worker_pods_ready, 2.5)).toEqual({ start: 2, max: 2, upS: null, downAfterLoadS: null });
  });

  it('computes totals, throughput over the intervals up to the drain end, and replica figures', () => {
    const s = computeSummary({
      options: resolveLoadBenchOptions({ durationS: 2, concurrency: 2, outDir: '/tmp/o' }),
      rows,
      phases: { loadEndS: 2.5, drainEndS: 3.5, endS: 5 },
      stoppedBy: 'duration',
      totals: { submitted: 4, accepted: 4, rejected: 0, completed: 4, failed: 0, cancelled: 0, abandoned: 0, pointsCompleted: 700 },
      latencies: { submitMs: [10, 20], completionMs: [100], serverMs: [] },
      startedAt: 'a',
      finishedAt: 'b',
      errors: new ErrorTally().toJSON(),
    });
    // Intervals starting before the drain end (3.5 s): 100, 300, 200, 0.
    expect(s.throughput).toEqual({ overallSamplesPerS: 200, medianSamplesPerS: 150, p95SamplesPerS: 285, intervals: 4 });
    expect(s.latencyMs.submit).toEqual({ count: 2, p50: 15, p95: 19.5, p99: 19.9, max: 20 });
    expect(s.latencyMs.server.count).toBe(0);
    expect(s.replicas).toMatchObject({ readySource: 'worker_pods_ready', maxSeen: 3, hpaCurrentMax: 3, scaleUpS: 1, scaleDownS: 1.5 });
    expect(s.loop).toEqual({ kind: 'closed', concurrency: 2 });
    expect(s.samples).toBe(6);
  });
});
