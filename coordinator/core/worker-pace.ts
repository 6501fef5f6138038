/**
 * A connection's pace (the time between its results, measured over windows) and the adaptive prefetch it earns: the
 * leases beyond its capacity that cover `prefetchAheadMs` of its results.
 */
import type { SchedulerOptions } from './scheduler-types.js';
import type { Connection } from './worker-registry.js';

/**
 * A connection's pace is measured over windows of results, never from one gap: results often arrive in bursts (two
 * in one read, a check and a primary together), and a zero gap would otherwise read as an infinitely fast worker and
 * hand it the largest prefetch for chunks that take seconds. A window closes after PACE_MIN_RESULTS results spanning
 * at least PACE_MIN_SPAN_MS, or after PACE_MAX_SPAN_MS whatever it holds (a slow or paused worker reads as slow).
 */
const PACE_MIN_RESULTS = 8;
const PACE_MIN_SPAN_MS = 20;
const PACE_MAX_SPAN_MS = 1_000;
/** Weight of the newest window in the running mean of the time between a connection's results. */
const PACE_WEIGHT = 0.3;

/**
 * Leases beyond its capacity for a connection's current pace: `prefetch`, or - once it has earned its full capacity -
 * enough to cover `prefetchAheadMs` at the pace its results arrive here, so that a thread finishing a 1 ms chunk
 * finds the next lease already on its worker rather than a round trip away.
 */
function pacedPrefetch(c: Connection, earned: number, opts: SchedulerOptions): number {
  const { prefetch, prefetchAheadMs, maxPrefetchPerThread } = opts;
  if (prefetchAheadMs <= 0 || earned < c.capacity || c.resultIntervalMs === undefined) return prefetch;
  // Whole leases that fit in the window: none for chunks slower than it, so long chunks keep the fixed prefetch.
  const ahead = Math.floor(prefetchAheadMs / Math.max(c.resultIntervalMs, 0.01));
  return Math.max(prefetch, Math.min(maxPrefetchPerThread * c.capacity, ahead));
}

/** One more result in the connection's open pace window; a window that closes updates the running mean. */
export function notePace(c: Connection, now: number): void {
  if (c.paceWindowStartMs === undefined) {
    c.paceWindowStartMs = now;
    c.paceWindowResults = 0;
  } else {
    const results = (c.paceWindowResults ?? 0) + 1;
    const span = Math.max(0, now - c.paceWindowStartMs);
    if ((results >= PACE_MIN_RESULTS && span >= PACE_MIN_SPAN_MS) || span >= PACE_MAX_SPAN_MS) {
      const sample = span / results;
      c.resultIntervalMs = c.resultIntervalMs === undefined ? sample : c.resultIntervalMs + PACE_WEIGHT * (sample - c.resultIntervalMs);
      c.paceWindowStartMs = now;
      c.paceWindowResults = 0;
    } else {
      c.paceWindowResults = results;
    }
  }
}

/** The connection's prefetch for its pace and earned credits, never below the leases it holds beyond capacity. */
export function updatePrefetch(c: Connection, opts: SchedulerOptions): void {
  const earned = c.trust.earned;
  // It shrinks only as leases come back, so a connection never holds more than its credits.
  const beyondCapacity = c.leases.size - Math.min(c.capacity, earned);
  c.prefetch = Math.max(pacedPrefetch(c, earned, opts), beyondCapacity);
}
