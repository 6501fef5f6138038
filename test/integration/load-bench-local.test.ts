/**
 * The load benchmark against the real local system (gateway, coordinator, two workers): it saturates the pool,
 * writes its CSV, summary and chart, and stops by itself.
 */
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { LOAD_BENCH_CSV_COLUMNS, runLoadBench } from '../../bench/load/load-bench.js';
import { startCluster } from '../../harness/cluster.js';
import { stopAll } from '../../harness/processes.js';

afterAll(stopAll);

it('drives load through the gateway and records throughput and the pool over time', async () => {
  const c = await startCluster({ workers: 2, workerThreads: 1 });
  const outDir = join(mkdtempSync(join(tmpdir(), 'pigrid-load-')), 'out');
  const started = Date.now();
  const summary = await runLoadBench({
    url: c.url,
    durationS: 4,
    concurrency: 4,
    points: 1_000_000_000,
    chunkSize: 250_000_000,
    sampleIntervalMs: 500,
    drainTimeoutS: 20,
    outDir,
  });
  expect(Date.now() - started).toBeLessThan(30_000);
  expect(summary.totals.completed).toBeGreaterThan(0);
  expect(summary.totals.failed).toBe(0);
  const csv = readFileSync(join(outDir, 'samples.csv'), 'utf8').trim().split('\n');
  expect(csv[0].split(',')).toEqual([...LOAD_BENCH_CSV_COLUMNS]);
  const rows = csv.slice(1).map((l) => Object.fromEntries(l.split(',').map((v, i) => [LOAD_BENCH_CSV_COLUMNS[i], v])));
  expect(rows.length).toBeGreaterThanOrEqual(8);
  // Locally the pool is the two connected workers, each saturated with leases while load runs.
  expect(rows.some((r) => r.workers_ready === '2' && Number(r.leases_in_flight) >= 2)).toBe(true);
  expect(rows.some((r) => Number(r.samples_per_s_completed) > 0)).toBe(true);
  expect(existsSync(join(outDir, 'chart.html'))).toBe(true);
  expect(readFileSync(join(outDir, 'chart.html'), 'utf8')).toContain('<svg');
  expect(JSON.parse(readFileSync(join(outDir, 'summary.json'), 'utf8')).totals.completed).toBe(summary.totals.completed);
});
