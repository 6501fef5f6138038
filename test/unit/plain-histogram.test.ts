/** The coordinator's cheap histogram exposes exactly what prom-client's Histogram exposes for the same observations. */
import { Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { PlainHistogram } from '../../coordinator/plain-histogram.js';
import { CHUNK_DURATION_BUCKETS } from '../../shared/metrics-server.js';

function pair() {
  const theirs = new Registry();
  const ours = new Registry();
  const opts = { name: 'pigrid_chunk_duration_seconds', help: 'Kernel time of committed chunks.', buckets: [...CHUNK_DURATION_BUCKETS] };
  return {
    theirs,
    ours,
    reference: new Histogram({ ...opts, registers: [theirs] }),
    plain: new PlainHistogram({ ...opts, registers: [ours] }),
  };
}

describe('PlainHistogram', () => {
  it("exposes prom-client's Histogram text, before any observation and after values on, between and past the bounds", async () => {
    const { theirs, ours, reference, plain } = pair();
    expect(await ours.metrics()).toBe(await theirs.metrics());
    for (const v of [0, 0.001, 0.01, 0.0100001, 0.05, 0.3, 1, 7.5, 32, 40, 1e6, 0.01, 0.01]) {
      reference.observe(v);
      plain.observe(v);
    }
    const text = await ours.metrics();
    expect(text).toBe(await theirs.metrics());
    expect(text).toContain('pigrid_chunk_duration_seconds_bucket{le="0.01"} 5\n');
    expect(text).toContain('pigrid_chunk_duration_seconds_count 13\n');
    // The JSON form too, but for prom-client's empty exemplar slots (null on buckets), which this histogram has none of.
    const withoutExemplars = (json: unknown) => JSON.parse(JSON.stringify(json, (k, v: unknown) => (k === 'exemplar' ? undefined : v)));
    expect(withoutExemplars(await ours.getMetricsAsJSON())).toEqual(withoutExemplars(await theirs.getMetricsAsJSON()));
  });

  it('resets with the registry, and ignores a non-finite value', async () => {
    const { theirs, ours, reference, plain } = pair();
    plain.observe(0.2);
    plain.observe(Number.NaN);
    plain.observe(Number.POSITIVE_INFINITY);
    reference.observe(0.2);
    expect(await ours.metrics()).toBe(await theirs.metrics());
    ours.resetMetrics();
    theirs.resetMetrics();
    reference.zero({});
    expect(await ours.metrics()).toBe(await theirs.metrics());
  });
});
