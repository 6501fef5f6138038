/**
 * The parts of a Prometheus histogram that the coordinator's PlainHistogram and the gateway's RouteLatencyHistogram
 * share: a label set's bucket counts and what prom-client's Registry writes for them, exactly as it writes a
 * prom-client `Histogram` with the same name, help, buckets and labels (test/unit/plain-histogram.test.ts and
 * test/unit/route-latency.test.ts compare the texts). Both replace prom-client's `Histogram.observe`, which handles a
 * label object on every call, on a path that observes per chunk or per request.
 */

/** One label set: observations per bucket (not cumulative; a value above every bound counts only in `count`). */
export interface BucketSeries<L extends object> {
  readonly labels: L;
  readonly counts: number[];
  sum: number;
  count: number;
}

export const newSeries = <L extends object>(labels: L, bounds: readonly number[]): BucketSeries<L> => ({
  labels,
  counts: bounds.map(() => 0),
  sum: 0,
  count: 0,
});

/** One observation of a finite value (the callers ignore others, where prom-client throws). */
export function observeSeries(s: BucketSeries<object>, bounds: readonly number[], value: number): void {
  let i = 0;
  while (i < bounds.length && value > bounds[i]) i++;
  if (i < bounds.length) s.counts[i] += 1;
  s.sum += value;
  s.count += 1;
}

/** What the Registry writes as text: prom-client's Histogram shape (`le` as the value's own label, the set shared; no exemplars). */
export function histogramValues(name: string, bounds: readonly number[], series: readonly BucketSeries<object>[]) {
  const values = [];
  for (const s of series) {
    let cumulative = 0;
    for (let i = 0; i < bounds.length; i++) {
      cumulative += s.counts[i];
      values.push({ labels: { le: bounds[i] }, sharedLabels: s.labels, value: cumulative, metricName: `${name}_bucket`, exemplar: null });
    }
    values.push({ labels: { le: '+Inf' }, sharedLabels: s.labels, value: s.count, metricName: `${name}_bucket`, exemplar: null });
    values.push({ labels: {}, sharedLabels: s.labels, value: s.sum, metricName: `${name}_sum` });
    values.push({ labels: {}, sharedLabels: s.labels, value: s.count, metricName: `${name}_count` });
  }
  return values;
}

/** The JSON form (Registry.getMetricsAsJSON): each value's labels with its set's. */
export const jsonValues = (values: ReturnType<typeof histogramValues>) =>
  values.map(({ labels, sharedLabels, ...rest }) => ({ ...rest, labels: { ...labels, ...sharedLabels } }));
