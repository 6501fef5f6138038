/**
 * The gateway's latency histogram (gateway/metrics.ts RouteLatencyHistogram) is written by a prom-client Registry
 * exactly as a prom-client Histogram with the same name, help, buckets and labels fed the same observations: the
 * Prometheus text and the JSON form, for any sequence of answers (bounds hit exactly, above the last bucket, label
 * sets in any order), and after a reset.
 */
import fc from 'fast-check';
import { Histogram, Registry, type Metric } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { RouteLatencyHistogram } from '../../gateway/metrics.js';

const NAME = 'pigrid_http_request_duration_seconds';
const HELP = 'REST request latency by method, route and status code.';
const BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

function pair() {
  const ours = new Registry();
  const theirs = new Registry();
  const fast = new RouteLatencyHistogram(NAME, HELP, BUCKETS);
  ours.registerMetric(fast as unknown as Metric);
  const reference = new Histogram({
    name: NAME,
    help: HELP,
    labelNames: ['method', 'route', 'status_code'],
    buckets: BUCKETS,
    registers: [theirs],
  });
  return { ours, theirs, fast, reference };
}

const answer = fc.record({
  method: fc.constantFrom('GET', 'POST', 'HEAD'),
  route: fc.constantFrom('/api/calculate/:id', '/api/calculate', '/healthz', 'unmatched', 'with "quotes" and \\ back\nslash'),
  status: fc.constantFrom(200, 202, 304, 404, 429, 500, 503),
  seconds: fc.oneof(fc.constantFrom(0, ...BUCKETS, 2.6, 1e-9), fc.double({ min: 0, max: 5, noNaN: true })),
});

describe('route latency histogram', () => {
  it('is written exactly as prom-client writes its Histogram fed the same answers', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(answer, { maxLength: 60 }), fc.boolean(), async (answers, resetHalfway) => {
        const { ours, theirs, fast, reference } = pair();
        answers.forEach((a, i) => {
          if (resetHalfway && i === answers.length >> 1) {
            fast.reset();
            reference.reset();
          }
          fast.observe(a.method, a.route, a.status, a.seconds);
          reference.observe({ method: a.method, route: a.route, status_code: String(a.status) }, a.seconds);
        });
        expect(await ours.metrics()).toBe(await theirs.metrics());
        expect(await ours.getMetricsAsJSON()).toEqual(await theirs.getMetricsAsJSON());
      }),
      { numRuns: 300 },
    );
  });

  it('ignores a time that is not a number rather than counting it in a bucket', async () => {
    const { ours, fast } = pair();
    fast.observe('GET', '/healthz', 200, Number.NaN);
    expect(await ours.metrics()).not.toContain('_count');
  });
});
