/** Computes `summary.json` from the sample rows and the ledger. Pure. */
import type { Totals } from './accounting.js';
import { readyReplicas, type SampleRow } from './csv.js';
import type { ErrorSummary } from './errors.js';
import type { LoadMode, ResolvedLoadBenchOptions } from './options.js';
import { distribution, maxOf, percentile, type Distribution } from './stats.js';

/** Why the load phase ended: its duration, the `maxRequests` cap, or `aborted` if the signal stopped the run at any point. */
export type StoppedBy = 'duration' | 'max-requests' | 'aborted';

/** Phase boundaries, seconds since the run started (the baseline row is at 0). */
export interface Phases {
  /** Submissions stopped. */
  loadEndS: number;
  /** Nothing in flight any more (drained, or the rest cancelled). */
  drainEndS: number;
  /** Last row taken (after the cooldown). */
  endS: number;
}

/** Scale-up / scale-down of one replica series. */
export interface ScaleEvents {
  /** First non-blank value: the baseline row, taken before any submission. */
  start: number | null;
  max: number | null;
  /** Seconds since start at which the value first exceeded `start`; null if never. */
  upS: number | null;
  /** Seconds after `loadEndS` at which the value was back at or below `start`, having risen; null if not seen. */
  downAfterLoadS: number | null;
}

/** Contents of `summary.json`. */
export interface LoadBenchSummary {
  schema: 'pigrid.load-bench.summary/v1';
  url: string;
  mode: LoadMode;
  points: number;
  chunkSize: number | null;
  loop: { kind: 'open'; ratePerS: number } | { kind: 'closed'; concurrency: number };
  configured: { durationS: number; drainTimeoutS: number; cooldownS: number; sampleIntervalMs: number; maxRequests: number };
  startedAt: string;
  finishedAt: string;
  stoppedBy: StoppedBy;
  phases: Phases;
  totals: Totals;
  /** Points (samples) per second of completed calculations. Median/p95 over the rows up to the drain end. */
  throughput: { overallSamplesPerS: number | null; medianSamplesPerS: number | null; p95SamplesPerS: number | null; intervals: number };
  latencyMs: {
    /** Round trip of POST /api/calculate. */
    submit: Distribution;
    /** Submission to observed completion (resolution: the sample interval). */
    completion: Distribution;
    /** `duration_ms` reported by the gateway for completed calculations. */
    server: Distribution;
  };
  replicas: {
    /** Where "ready" comes from: worker pods in a cluster, else the coordinator's READY workers. */
    readySource: 'worker_pods_ready' | 'workers_ready' | 'none';
    /** Largest of HPA current/desired and ready seen in any row. */
    maxSeen: number | null;
    hpaCurrentMax: number | null;
    hpaDesired: ScaleEvents;
    ready: ScaleEvents;
    /** Earliest scale-up of desired or ready, seconds since start. */
    scaleUpS: number | null;
    /** Seconds after the load ended until ready replicas were back at the start (desired if ready never rose). */
    scaleDownS: number | null;
  };
  samples: number;
  errors: ErrorSummary;
  outDir: string;
}

/** Everything {@link computeSummary} needs. */
export interface SummaryInput {
  options: ResolvedLoadBenchOptions;
  rows: readonly SampleRow[];
  totals: Totals;
  latencies: { submitMs: readonly number[]; completionMs: readonly number[]; serverMs: readonly number[] };
  phases: Phases;
  stoppedBy: StoppedBy;
  startedAt: string;
  finishedAt: string;
  errors: ErrorSummary;
}

/** Rounds seconds to the millisecond (the resolution of the timestamps in samples.csv). */
const ms = (seconds: number): number => Math.round(seconds * 1000) / 1000;

/** Scale events of the series `pick(row)`; see {@link ScaleEvents}. */
export function scaleEvents(rows: readonly SampleRow[], pick: (row: SampleRow) => number | null, loadEndS: number): ScaleEvents {
  const points = rows.map((r) => ({ t: r.t_s ?? 0, v: pick(r) })).filter((p): p is { t: number; v: number } => p.v !== null);
  if (points.length === 0) return { start: null, max: null, upS: null, downAfterLoadS: null };
  const start = points[0].v;
  const up = points.find((p) => p.v > start);
  const from = Math.max(loadEndS, up?.t ?? Infinity);
  const down = up ? points.find((p) => p.t >= from && p.v <= start) : undefined;
  return { start, max: maxOf(points.map((p) => p.v)), upS: up ? ms(up.t) : null, downAfterLoadS: down ? ms(down.t - loadEndS) : null };
}

/** Builds the summary. */
export function computeSummary(input: SummaryInput): LoadBenchSummary {
  const { options: o, rows, totals, phases } = input;
  // A row's throughput covers the interval since the previous row: count intervals that began before the drain ended.
  const rates = rows
    .slice(1)
    .filter((r, i) => (rows[i].t_s ?? 0) < phases.drainEndS && r.samples_per_s_completed !== null)
    .map((r) => r.samples_per_s_completed as number);
  const hasPods = rows.some((r) => r.worker_pods_ready !== null);
  const hasWorkers = rows.some((r) => r.workers_ready !== null);
  const hpaDesired = scaleEvents(rows, (r) => r.hpa_desired_replicas, phases.loadEndS);
  const ready = scaleEvents(rows, readyReplicas, phases.loadEndS);
  const ups = [hpaDesired.upS, ready.upS].filter((v): v is number => v !== null);
  const hpaCurrentMax = maxOf(rows.map((r) => r.hpa_current_replicas));
  return {
    schema: 'pigrid.load-bench.summary/v1',
    url: o.url,
    mode: o.mode,
    points: o.points,
    chunkSize: o.chunkSize,
    loop: o.ratePerS !== null ? { kind: 'open', ratePerS: o.ratePerS } : { kind: 'closed', concurrency: o.concurrency ?? 0 },
    configured: {
      durationS: o.durationS,
      drainTimeoutS: o.drainTimeoutS,
      cooldownS: o.cooldownS,
      sampleIntervalMs: o.sampleIntervalMs,
      maxRequests: o.maxRequests,
    },
    startedAt: input.startedAt,
    finishedAt: input.finishedAt,
    stoppedBy: input.stoppedBy,
    phases: { loadEndS: ms(phases.loadEndS), drainEndS: ms(phases.drainEndS), endS: ms(phases.endS) },
    totals,
    throughput: {
      overallSamplesPerS: phases.drainEndS > 0 ? totals.pointsCompleted / phases.drainEndS : null,
      medianSamplesPerS: percentile(rates, 50),
      p95SamplesPerS: percentile(rates, 95),
      intervals: rates.length,
    },
    latencyMs: {
      submit: distribution(input.latencies.submitMs),
      completion: distribution(input.latencies.completionMs),
      server: distribution(input.latencies.serverMs),
    },
    replicas: {
      readySource: hasPods ? 'worker_pods_ready' : hasWorkers ? 'workers_ready' : 'none',
      maxSeen: maxOf([hpaCurrentMax, hpaDesired.max, ready.max]),
      hpaCurrentMax,
      hpaDesired,
      ready,
      scaleUpS: ups.length > 0 ? Math.min(...ups) : null,
      scaleDownS: ready.upS !== null ? ready.downAfterLoadS : hpaDesired.downAfterLoadS,
    },
    samples: rows.length,
    errors: input.errors,
    outDir: o.outDir,
  };
}
