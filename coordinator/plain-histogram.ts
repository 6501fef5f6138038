/**
 * An unlabelled Prometheus histogram whose `observe` is a bucket search and three additions. prom-client's Histogram
 * builds a label object, validates and hashes it on every observation (~1-6 µs each, more in the cold code of a
 * coordinator that commits a few thousand chunks a calculation); the coordinator observes one value per committed
 * chunk, so a calculation in 1 ms chunks paid it 4,000 times (docs/performance.md, "The coordinator's share of a
 * small-chunk calculation"). The exposition is prom-client's own: this registers with its Registry and returns the
 * values its Histogram returns (`_bucket` with `le` cumulative, `+Inf`, `_sum`, `_count`).
 */
import type { Metric, Registry } from 'prom-client';

export interface PlainHistogramOptions {
  readonly name: string;
  readonly help: string;
  /** Upper bounds, ascending. */
  readonly buckets: readonly number[];
  readonly registers: readonly Registry[];
}

interface ExportedValue {
  readonly labels: { le?: number | string };
  readonly value: number;
  readonly metricName: string;
}

export class PlainHistogram {
  readonly name: string;
  readonly help: string;
  readonly type = 'histogram' as const;
  readonly aggregator = 'sum' as const;
  private readonly bounds: readonly number[];
  /** Observations per bucket, not cumulative; the last entry is above every bound. */
  private counts: number[];
  private sum = 0;
  private count = 0;

  constructor(opts: PlainHistogramOptions) {
    this.name = opts.name;
    this.help = opts.help;
    this.bounds = [...opts.buckets].sort((a, b) => a - b);
    this.counts = new Array<number>(this.bounds.length + 1).fill(0);
    // The Registry takes any object with prom-client's metric shape (name, help, type, get, reset).
    for (const r of opts.registers) r.registerMetric(this as unknown as Metric);
  }

  /** One observation (a non-finite value is ignored, where prom-client throws). */
  observe(value: number): void {
    if (!Number.isFinite(value)) return;
    const bounds = this.bounds;
    let i = 0;
    while (i < bounds.length && value > bounds[i]) i++;
    this.counts[i] += 1;
    this.sum += value;
    this.count += 1;
  }

  get(): { name: string; help: string; type: 'histogram'; aggregator: 'sum'; values: ExportedValue[] } {
    const bucket = `${this.name}_bucket`;
    const values: ExportedValue[] = [];
    let cumulative = 0;
    for (let i = 0; i < this.bounds.length; i++) {
      cumulative += this.counts[i];
      values.push({ labels: { le: this.bounds[i] }, value: cumulative, metricName: bucket });
    }
    values.push(
      { labels: { le: '+Inf' }, value: this.count, metricName: bucket },
      { labels: {}, value: this.sum, metricName: `${this.name}_sum` },
      { labels: {}, value: this.count, metricName: `${this.name}_count` },
    );
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }

  reset(): void {
    this.counts = new Array<number>(this.bounds.length + 1).fill(0);
    this.sum = 0;
    this.count = 0;
  }
}
