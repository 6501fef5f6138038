/**
 * An unlabelled Prometheus histogram whose `observe` is a bucket search and three additions. prom-client's Histogram
 * builds a label object, validates and hashes it on every observation (~1-6 µs each, more in the cold code of a
 * coordinator that commits a few thousand chunks a calculation); the coordinator observes one value per committed
 * chunk, so a calculation in 1 ms chunks paid it 4,000 times (docs/performance.md, "The coordinator's share of a
 * small-chunk calculation"). The exposition is prom-client's own: this registers with its Registry and returns the
 * values its Histogram returns (`_bucket` with `le` cumulative, `+Inf`, `_sum`, `_count`), through the parts the
 * gateway's RouteLatencyHistogram uses too (shared/bucket-histogram.ts).
 */
import type { Metric, Registry } from 'prom-client';
import { histogramValues, jsonValues, newSeries, observeSeries, type BucketSeries } from '../shared/bucket-histogram.js';

export interface PlainHistogramOptions {
  readonly name: string;
  readonly help: string;
  /** Upper bounds, ascending. */
  readonly buckets: readonly number[];
  readonly registers: readonly Registry[];
}

export class PlainHistogram {
  readonly name: string;
  readonly help: string;
  readonly type = 'histogram' as const;
  readonly aggregator = 'sum' as const;
  private readonly bounds: readonly number[];
  /** The one (unlabelled) series. */
  private series: BucketSeries<object>;

  constructor(opts: PlainHistogramOptions) {
    this.name = opts.name;
    this.help = opts.help;
    this.bounds = [...opts.buckets].sort((a, b) => a - b);
    this.series = newSeries({}, this.bounds);
    // The Registry takes any object with prom-client's metric shape (name, help, type, get, reset).
    for (const r of opts.registers) r.registerMetric(this as unknown as Metric);
  }

  /** One observation (a non-finite value is ignored, where prom-client throws). */
  observe(value: number): void {
    if (Number.isFinite(value)) observeSeries(this.series, this.bounds, value);
  }

  /** What the Registry writes as text. */
  getForPromString() {
    const values = histogramValues(this.name, this.bounds, [this.series]);
    return Promise.resolve({ name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator });
  }

  /** The JSON form (Registry.getMetricsAsJSON). */
  async get() {
    const m = await this.getForPromString();
    return { ...m, values: jsonValues(m.values) };
  }

  reset(): void {
    this.series = newSeries({}, this.bounds);
  }
}
