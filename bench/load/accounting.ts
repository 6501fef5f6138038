/**
 * The bench's ledger: what was submitted, what is in flight, what ended and how. Pure (times come in
 * as arguments, in ms since the run started), so the CSV numbers can be checked without a server.
 * Invariant: `submitted = completed + failed + in_flight` at every row, where `failed` counts rejected
 * submissions and calculations that ended failed, cancelled or abandoned.
 */
import type { CalculationView } from './gateway-client.js';
import type { SampleRow } from './csv.js';
import { percentile } from './stats.js';

/** How an accepted calculation ended. `abandoned`: still running after the drain, cancelled by the bench. */
export type Outcome = 'completed' | 'failed' | 'cancelled' | 'abandoned';

/** `summary.totals`. */
export interface Totals {
  /** Submissions attempted (POSTs that got an answer or an error). */
  submitted: number;
  /** Answered 2xx with a calculation. */
  accepted: number;
  /** Not accepted (HTTP error, timeout, network). */
  rejected: number;
  completed: number;
  /** Ended with status failed. */
  failed: number;
  /** Ended cancelled by someone else. */
  cancelled: number;
  /** In flight after the drain timeout; the bench cancelled them. */
  abandoned: number;
  /** Sum of points of completed calculations. */
  pointsCompleted: number;
}

/** The counter columns of a {@link SampleRow}. */
export type IntervalCounters = Pick<
  SampleRow,
  't_s' | 'submitted' | 'completed' | 'failed' | 'in_flight' | 'submit_latency_ms_p50' | 'submit_latency_ms_p95' | 'samples_per_s_completed'
>;

interface InFlight {
  submittedAtMs: number;
  points: number;
}

/** Mutable ledger of one run. */
export class LoadAccounting {
  private readonly t: Totals = {
    submitted: 0,
    accepted: 0,
    rejected: 0,
    completed: 0,
    failed: 0,
    cancelled: 0,
    abandoned: 0,
    pointsCompleted: 0,
  };
  private readonly flying = new Map<string, InFlight>();
  private pending = 0;
  private lastRowMs = 0;
  private intervalLatencies: number[] = [];
  private intervalPoints = 0;
  private waiters: (() => void)[] = [];
  /** Round trip of every submission, ms. */
  readonly submitLatenciesMs: number[] = [];
  /** Submission to observed completion (resolution: the poll interval), ms. */
  readonly completionLatenciesMs: number[] = [];
  /** `duration_ms` the gateway reported for completed calculations. */
  readonly serverDurationsMs: number[] = [];

  /** Submissions started, finished or not: the count `maxRequests` caps. */
  get attempts(): number {
    return this.t.submitted + this.pending;
  }
  /** POSTs awaiting an answer. */
  get pendingSubmits(): number {
    return this.pending;
  }
  /** Ids of accepted, not yet ended calculations. */
  inFlightIds(): string[] {
    return [...this.flying.keys()];
  }
  get inFlightCount(): number {
    return this.flying.size;
  }
  /** A copy of the totals. */
  totals(): Totals {
    return { ...this.t };
  }

  /** A POST is about to be sent. */
  submitStarted(): void {
    this.pending++;
  }

  /** The POST answered (`calc`) or failed (`null`) after `latencyMs`. */
  submitFinished(nowMs: number, latencyMs: number, calc: CalculationView | null, points: number): void {
    this.pending--;
    this.t.submitted++;
    this.submitLatenciesMs.push(latencyMs);
    this.intervalLatencies.push(latencyMs);
    if (calc === null) this.t.rejected++;
    else {
      this.t.accepted++;
      this.flying.set(calc.id, { submittedAtMs: nowMs - latencyMs, points: calc.points ?? points });
      if (calc.status === 'completed' || calc.status === 'failed' || calc.status === 'cancelled')
        this.ended(calc.id, calc.status, nowMs, calc.durationMs);
    }
    this.notify();
  }

  /**
   * Records the end of an in-flight calculation.
   * @returns false if `id` was not in flight (already ended, or unknown).
   */
  ended(id: string, outcome: Outcome, nowMs: number, serverDurationMs: number | null = null): boolean {
    const calc = this.flying.get(id);
    if (!calc) return false;
    this.flying.delete(id);
    this.t[outcome]++;
    if (outcome === 'completed') {
      this.t.pointsCompleted += calc.points;
      this.intervalPoints += calc.points;
      this.completionLatenciesMs.push(nowMs - calc.submittedAtMs);
      if (serverDurationMs !== null) this.serverDurationsMs.push(serverDurationMs);
    }
    this.notify();
    return true;
  }

  /** Closes the interval since the previous call and returns its counter columns. */
  takeInterval(nowMs: number): IntervalCounters {
    const seconds = (nowMs - this.lastRowMs) / 1000;
    const row: IntervalCounters = {
      t_s: nowMs / 1000,
      submitted: this.t.submitted,
      completed: this.t.completed,
      failed: this.t.rejected + this.t.failed + this.t.cancelled + this.t.abandoned,
      in_flight: this.flying.size,
      submit_latency_ms_p50: percentile(this.intervalLatencies, 50),
      submit_latency_ms_p95: percentile(this.intervalLatencies, 95),
      samples_per_s_completed: seconds > 0 ? this.intervalPoints / seconds : null,
    };
    this.lastRowMs = nowMs;
    this.intervalLatencies = [];
    this.intervalPoints = 0;
    return row;
  }

  /** Resolves at the next change of the ledger, after `timeoutMs`, or on abort, whichever is first. */
  changed(timeoutMs: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        this.waiters = this.waiters.filter((w) => w !== done);
        resolve();
      };
      const timer = setTimeout(done, Math.max(0, timeoutMs));
      signal?.addEventListener('abort', done, { once: true });
      this.waiters.push(done);
      if (signal?.aborted) done();
    });
  }

  private notify(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }
}
