/**
 * Span sizing: how many chunks one lease of a worker that accepts spans covers, and the first-wave model - the
 * kernel speed assumed for a calculation before its own first result (the last distributed calculation's).
 */
import type { CalculationRuntime } from './calculation-runtime.js';
import type { SchedulerState } from './scheduler-state.js';

/**
 * Of an even share of the backlog per ready remote thread, the part one span may take when the calculation is long
 * enough to grow spans past spanTargetMs: a quarter (the guided bound below is half).
 */
const GROWTH_SHARE_DIVISOR = 4;

/**
 * How many chunks a span granted now may cover (before the contiguity and same-points rule of takeFollowing): about
 * spanTargetMs of kernel time at the typical chunk time (before the calculation's first result, at the kernel speed
 * of the last calculation that ended; 1 while both are unknown) - more when the calculation is long for its pool: up
 * to a quarter of an even share of the backlog per ready remote thread, at most maxSpanMs of kernel time - at most
 * maxSpanChunks, and at most the backlog over twice the capacity of the ready remote workers - guided
 * self-scheduling: spans shrink as the calculation nears its end, so the last chunks are spread over every thread
 * instead of one long span. O(1).
 */
export function spanChunks(s: SchedulerState, c: CalculationRuntime): number {
  const max = s.opts.maxSpanChunks;
  if (max <= 1) return 1;
  const typical = c.typicalChunkMs() ?? assumedChunkMs(s, c);
  if (typical === undefined) return 1;
  const capacity = Math.max(1, s.registry.readyRemoteCapacity);
  const backlog = c.backlog();
  let byTime = max;
  if (typical > 0) {
    byTime = Math.floor(s.opts.spanTargetMs / typical);
    // Growth: the guided bound's half, capped at maxSpanMs. The share is in chunks, so a machine whose load slows
    // every chunk (a longer typical time) grows spans as much as a quiet one, up to the cap.
    if (s.opts.maxSpanMs > s.opts.spanTargetMs)
      byTime = Math.max(byTime, Math.min(Math.floor(s.opts.maxSpanMs / typical), Math.floor(backlog / (GROWTH_SHARE_DIVISOR * capacity))));
  }
  const byBacklog = Math.ceil(backlog / (2 * capacity));
  return Math.max(1, Math.min(max, byTime, byBacklog));
}

/**
 * A calculation's chunk time before its first result: its chunk's points at the typical time per point of the last
 * distributed calculation that ended (the kernel's time is linear in the points). Without it, the whole first
 * wave of a calculation - a lease per credit of the pool, ~9,000 at 1,000 workers of 8 threads - went out one chunk
 * a lease. Only span sizing uses it: straggler backups wait for the calculation's own chunk times.
 */
export function assumedChunkMs(s: SchedulerState, c: CalculationRuntime): number | undefined {
  return s.recentMsPerPoint === undefined ? undefined : s.recentMsPerPoint * c.pointsOf(0);
}

/**
 * A calculation ends: a distributed one's typical time per point becomes the kernel speed {@link assumedChunkMs} uses.
 * A typical time of 0 says only that its chunks took less than the clock's millisecond (a one-chunk lease reports
 * whole milliseconds), not a speed: it is not remembered, and the speed known before stays. Taken as 0 ms a point,
 * it made the next calculation's first wave spans of maxSpanChunks whatever its chunk size - 1,024 chunks of 10^10
 * points, hours of kernel time a lease.
 */
export function rememberKernelSpeed(s: SchedulerState, c: CalculationRuntime): void {
  const typical = c.typicalChunkMs();
  if (c.rec.mode === 'distributed' && typical !== undefined && typical > 0 && c.pointsOf(0) > 0)
    s.recentMsPerPoint = typical / c.pointsOf(0);
}
