/**
 * The gateway's Prometheus series, served at GET /metrics on its HTTP port.
 */
import type { FastifyInstance } from 'fastify';
import { Gauge, Registry, collectDefaultMetrics, type Metric } from 'prom-client';
import { EVENT_LOOP_SAMPLE_MS } from '../shared/metrics-server.js';
import { histogramValues, jsonValues, newSeries, observeSeries, type BucketSeries } from '../shared/bucket-histogram.js';
import { metricsSchema } from './api-schemas.js';

const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

/** One label set of {@link RouteLatencyHistogram}. */
type Series = BucketSeries<{ readonly method: string; readonly route: string; readonly status_code: string }>;

/**
 * A histogram labelled by method, route and status code, registered in a prom-client Registry, which writes it
 * exactly as it writes a prom-client `Histogram` with the same name, help, buckets and label names (test/unit/
 * route-latency.test.ts compares the texts). It replaces prom-client's `Histogram.observe` on the request path: that
 * builds a string key from the label object and indexes the buckets by their bounds as property names (a
 * number-to-string conversion each), ~1.4 µs per call in a tight loop and ~4 % of the gateway's CPU per cached GET in a
 * profile under load (docs/performance.md "Request path: latency histogram"). Here a label set is found through
 * three Map look-ups on the strings Fastify already holds and its bucket by a comparison loop (shared/bucket-histogram.ts,
 * as the coordinator's PlainHistogram).
 */
export class RouteLatencyHistogram {
  readonly name: string;
  readonly help: string;
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  private readonly bounds: readonly number[];
  private byMethod = new Map<string, Map<string, Map<number, Series>>>();
  /** In the order they first appeared, as prom-client lists its label sets. */
  private series: Series[] = [];

  constructor(name: string, help: string, buckets: readonly number[]) {
    this.name = name;
    this.help = help;
    this.bounds = [...buckets].sort((a, b) => a - b);
  }

  observe(method: string, route: string, statusCode: number, seconds: number): void {
    if (!Number.isFinite(seconds)) return;
    let byRoute = this.byMethod.get(method);
    if (byRoute === undefined) this.byMethod.set(method, (byRoute = new Map<string, Map<number, Series>>()));
    let byStatus = byRoute.get(route);
    if (byStatus === undefined) byRoute.set(route, (byStatus = new Map<number, Series>()));
    let s = byStatus.get(statusCode);
    if (s === undefined) {
      s = newSeries({ method, route, status_code: String(statusCode) }, this.bounds);
      byStatus.set(statusCode, s);
      this.series.push(s);
    }
    observeSeries(s, this.bounds, seconds);
  }

  reset(): void {
    this.byMethod = new Map();
    this.series = [];
  }

  /** What the Registry writes as text (shared/bucket-histogram.ts). */
  getForPromString() {
    const values = histogramValues(this.name, this.bounds, this.series);
    return Promise.resolve({ name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator });
  }

  /** The JSON form (Registry.getMetricsAsJSON). */
  async get() {
    const m = await this.getForPromString();
    return { ...m, values: jsonValues(m.values) };
  }
}

/** The gateway's registry and the latency histogram in it (which the wire path, gateway/wire-reads.ts, also observes). */
export interface GatewayMetrics {
  readonly registry: Registry;
  readonly latency: RouteLatencyHistogram;
}

/** The latency histogram, observed for every answer (a root hook, so 404s count as route `unmatched`). */
export function registerMetrics(app: FastifyInstance): GatewayMetrics {
  const registry = new Registry();
  // The event-loop delay histogram samples every EVENT_LOOP_SAMPLE_MS, not prom-client's default 10 ms (100 wake-ups a
  // second of an otherwise idle gateway); the coordinator does the same (coordinator/metrics.ts).
  collectDefaultMetrics({ register: registry, prefix: 'pigrid_gateway_', eventLoopMonitoringPrecision: EVENT_LOOP_SAMPLE_MS });
  const latency = new RouteLatencyHistogram(
    'pigrid_http_request_duration_seconds',
    'REST request latency by method, route and status code.',
    LATENCY_BUCKETS,
  );
  // The Registry reads a metric through get/getForPromString/reset only.
  registry.registerMetric(latency as unknown as Metric);
  // A callback hook, not an async one: no promise per request.
  app.addHook('onResponse', function observeLatency(request, reply, done) {
    latency.observe(request.method, request.routeOptions.url ?? 'unmatched', reply.statusCode, reply.elapsedTime / 1000);
    done();
  });
  return { registry, latency };
}

/** `GET /metrics`: the registry in Prometheus text format. */
export function registerMetricsRoute(app: FastifyInstance, registry: Registry): void {
  app.get('/metrics', { schema: metricsSchema }, async (_request, reply) => {
    reply.header('content-type', registry.contentType);
    return registry.metrics();
  });
}

/** A gauge whose value is read when /metrics is scraped (a count the gateway already keeps). */
export function registerReadGauge(registry: Registry, name: string, help: string, read: () => number): void {
  new Gauge({
    name,
    help,
    registers: [registry],
    collect() {
      this.set(read());
    },
  });
}
