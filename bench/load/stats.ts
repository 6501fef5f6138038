/** Order statistics for the load benchmark. Pure. */

/**
 * The `p`-th percentile (0..100) by linear interpolation between closest ranks (numpy's default,
 * Hyndman & Fan type 7): p50 of [1, 2, 3, 4] is 2.5. Non-finite values are ignored.
 * @returns null for no values.
 */
export function percentile(values: readonly number[], p: number): number | null {
  if (!(p >= 0 && p <= 100)) throw new RangeError(`percentile must be within 0..100, got ${p}`);
  const sorted = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (sorted.length === 0) return null;
  const rank = (p / 100) * (sorted.length - 1);
  const lo = Math.floor(rank);
  const hi = Math.ceil(rank);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (rank - lo);
}

/** The median (50th {@link percentile}); null for no values. */
export function median(values: readonly number[]): number | null {
  return percentile(values, 50);
}

/** The largest non-null finite value; null if there is none. */
export function maxOf(values: readonly (number | null | undefined)[]): number | null {
  let max: number | null = null;
  for (const v of values) if (typeof v === 'number' && Number.isFinite(v) && (max === null || v > max)) max = v;
  return max;
}

/** Count and percentiles of a latency sample, in the sample's unit. */
export interface Distribution {
  count: number;
  p50: number | null;
  p95: number | null;
  p99: number | null;
  max: number | null;
}

/** Summarises `values` as a {@link Distribution}. */
export function distribution(values: readonly number[]): Distribution {
  return {
    count: values.length,
    p50: percentile(values, 50),
    p95: percentile(values, 95),
    p99: percentile(values, 99),
    max: maxOf(values),
  };
}
