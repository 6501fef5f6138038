/**
 * Takes the CSV rows: the ledger's counters plus one probe of `/api/k8s/status` and `/api/k8s/metrics`.
 * A failed probe blanks its cells and is counted; it never stops the run.
 */
import { sleep } from './async-util.js';
import { BLANK_STATUS, cpuFromMetrics, snapshotFromStatus, type ClusterSnapshot } from './cluster-snapshot.js';
import type { SampleRow } from './csv.js';
import { recordFailure, type DriverContext } from './load-driver.js';
import type { ResolvedLoadBenchOptions } from './options.js';

/** Timeout of a cluster probe: 80 % of the sample interval (at least 100 ms), so a slow probe only blanks its own row. */
export function probeTimeoutMs(o: ResolvedLoadBenchOptions): number {
  return Math.min(o.requestTimeoutMs, Math.max(100, Math.floor(o.sampleIntervalMs * 0.8)));
}

/** Collects rows; {@link Sampler.run} takes one per sample interval, {@link Sampler.sample} one on demand. */
export class Sampler {
  /** Rows taken so far, oldest first. */
  readonly rows: SampleRow[] = [];

  constructor(
    private readonly ctx: DriverContext,
    private readonly onRow?: (row: SampleRow) => void,
  ) {}

  /**
   * Probes the cluster, then closes the ledger interval and appends the row.
   * @param probeTimeoutMs overrides the probe timeout, e.g. for the baseline row, whose replica counts
   *   every scale-up is measured against.
   */
  async sample(probeTimeoutMs?: number): Promise<SampleRow> {
    const cluster = await this.probe(probeTimeoutMs);
    const row: SampleRow = { ...this.ctx.ledger.takeInterval(this.ctx.nowMs()), ...cluster };
    this.rows.push(row);
    this.onRow?.(row);
    return row;
  }

  /** Samples on the interval grid until `stop` aborts; a tick missed by a slow probe is skipped, not queued. */
  async run(stop: AbortSignal): Promise<void> {
    const intervalMs = this.ctx.options.sampleIntervalMs;
    for (let k = Math.floor(this.ctx.nowMs() / intervalMs) + 1; ; k = Math.floor(this.ctx.nowMs() / intervalMs) + 1) {
      await sleep(k * intervalMs - this.ctx.nowMs(), stop);
      if (stop.aborted) return;
      await this.sample();
    }
  }

  // Probes are not tied to the run's signal: the final row after an abort still gets cluster data.
  private async probe(timeoutMs?: number): Promise<ClusterSnapshot> {
    const { client } = this.ctx;
    const [status, metrics] = await Promise.all([client.k8sStatus(undefined, timeoutMs), client.k8sMetrics(undefined, timeoutMs)]);
    recordFailure(this.ctx, 'status', status);
    recordFailure(this.ctx, 'metrics', metrics);
    let snapshot = status.ok ? snapshotFromStatus(status.body) : BLANK_STATUS;
    if (snapshot === null) {
      this.bad('status', '/api/k8s/status body is not an object');
      snapshot = BLANK_STATUS;
    }
    let cpu = metrics.ok ? cpuFromMetrics(metrics.body) : null;
    if (cpu === undefined) {
      this.bad('metrics', '/api/k8s/metrics body is not an object');
      cpu = null;
    }
    return { ...snapshot, worker_cpu_millicores: cpu };
  }

  private bad(endpoint: 'status' | 'metrics', message: string): void {
    this.ctx.errors.record({ t_s: this.ctx.nowMs() / 1000, endpoint, code: 'BAD_RESPONSE', status: null, message });
  }
}
