/**
 * The worker's metrics cost its main thread nothing between scrapes: the pool gauges are read from the runner's state
 * when scraped, and Node.js's process metrics (with their event-loop lag timer) exist only when /metrics is served.
 */
import { expect, it } from 'vitest';
import { createWorkerMetrics } from '../../worker/metrics.js';

/** `name value` lines of a scrape, comments left out. */
async function scrape(metrics: ReturnType<typeof createWorkerMetrics>): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const line of (await metrics.registry.metrics()).split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const i = line.lastIndexOf(' ');
    out.set(line.slice(0, i), Number(line.slice(i + 1)));
  }
  return out;
}

it('reads the pool gauges from the watched state at each scrape', async () => {
  const metrics = createWorkerMetrics({ threads: 4, processMetrics: false });
  expect((await scrape(metrics)).get('pigrid_worker_pool_utilization')).toBe(0);
  const state = { running: 3, held: 7 };
  metrics.watch(() => state);
  let m = await scrape(metrics);
  expect(m.get('pigrid_worker_pool_utilization')).toBe(0.75);
  expect(m.get('pigrid_worker_leases_held')).toBe(7);
  expect(m.get('pigrid_worker_threads')).toBe(4);
  state.running = 0;
  state.held = 2;
  m = await scrape(metrics);
  expect(m.get('pigrid_worker_pool_utilization')).toBe(0);
  expect(m.get('pigrid_worker_leases_held')).toBe(2);
});

it('collects the process metrics only when asked to', async () => {
  const off = createWorkerMetrics({ threads: 1, processMetrics: false });
  expect([...(await scrape(off)).keys()].filter((k) => k.startsWith('pigrid_worker_process_'))).toEqual([]);
  const on = createWorkerMetrics({ threads: 1 });
  const names = [...(await scrape(on)).keys()];
  expect(names).toContain('pigrid_worker_process_nodejs_eventloop_lag_seconds');
  expect(names.some((k) => k.startsWith('pigrid_worker_process_process_cpu'))).toBe(true);
});
