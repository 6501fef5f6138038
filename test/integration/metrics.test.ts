/**
 * The Prometheus series that autoscaling, alerts and the load benchmark read exist on the live processes and move
 * with the work. The names are the ones k8s/ relies on (test/k8s/app-contract.ts): a rename breaks this test.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { METRICS } from '../k8s/app-contract.js';
import { startCluster, type Cluster } from '../../harness/cluster.js';
import { stopAll } from '../../harness/processes.js';
import { http, submit, until, waitDone } from '../../harness/rest.js';

/** Parses the Prometheus text format into `name{labels}` → value. */
function parse(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const i = line.lastIndexOf(' ');
    out.set(line.slice(0, i), Number(line.slice(i + 1)));
  }
  return out;
}

const scrape = async (base: string) => parse((await http(`${base}/metrics`)).text);
const families = (m: Map<string, number>) => new Set([...m.keys()].map((k) => k.replace(/\{.*$/, '').replace(/_(bucket|sum|count)$/, '')));

let c: Cluster;
beforeAll(async () => {
  // Verification off: the worker-side sample counts below must equal the calculation's points exactly. What
  // verification adds is measured by the hostile-worker tests and `npm run bench`.
  c = await startCluster({
    workers: 2,
    coordinatorEnv: { PIGRID_METRICS_PORT: '0', PIGRID_VERIFY_RATE: '0', PIGRID_VERIFY_FIRST: '0' },
    workerEnv: { PIGRID_METRICS_PORT: '0' },
  });
});
afterAll(stopAll);

describe('metrics', () => {
  it('serves every series the manifests rely on, and they move with the work', async () => {
    const coordinator = `http://${c.coordinator.ready.metrics}`;
    const worker = `http://${c.workers[0].ready.metrics}`;
    const CHUNK = 250_000_000;
    const calc = await submit(c.url, { points: 40 * CHUNK, mode: 'distributed', seed: 6, chunk_size: CHUNK });

    const during = await until('a backlog and leases in flight', async () => {
      const m = await scrape(coordinator);
      return (m.get('pigrid_backlog_chunks') ?? 0) > 0 && (m.get('pigrid_leases_in_flight') ?? 0) > 0 ? m : undefined;
    });
    expect(during.get('pigrid_workers_connected{state="ready"}')).toBe(2);
    expect(during.get('pigrid_worker_capacity_threads')).toBe(2);
    expect(during.get('pigrid_calculations_active')).toBe(1);
    const busy = await until('a busy worker pool', async () =>
      (await scrape(worker)).get('pigrid_worker_pool_utilization') === 1 ? true : undefined,
    );
    expect(busy).toBe(true);

    await waitDone(c.url, calc.id);
    const after = await scrape(coordinator);
    expect(after.get('pigrid_backlog_chunks')).toBe(0);
    expect(after.get('pigrid_leases_in_flight')).toBe(0);
    expect(after.get('pigrid_chunks_completed_total')).toBe(40);
    expect(after.get('pigrid_samples_total')).toBe(40 * CHUNK);
    expect(after.get('pigrid_chunk_duration_seconds_count')).toBe(40);
    expect(after.get('pigrid_calculations_ended_total{status="completed"}')).toBe(1);
    expect(after.get('pigrid_result_mismatches_total')).toBe(0);
    expect(after.get('pigrid_workers_quarantined_total')).toBe(0);
    expect(after.get('pigrid_results_rejected_total{reason="unknown_lease"}')).toBe(0);
    const w1 = await scrape(worker);
    const w2 = await scrape(`http://${c.workers[1].ready.metrics}`);
    expect(w1.get('pigrid_worker_threads')).toBe(1);
    expect((w1.get('pigrid_worker_samples_total') ?? 0) + (w2.get('pigrid_worker_samples_total') ?? 0)).toBe(40 * CHUNK);
    const gateway = await scrape(c.url);
    expect(gateway.get('pigrid_http_request_duration_seconds_count{method="POST",route="/api/calculate",status_code="202"}')).toBe(1);

    for (const [component, names] of [
      ['coordinator', METRICS.coordinator],
      ['worker', METRICS.worker],
      ['gateway', METRICS.gateway],
    ] as const) {
      const have = families(component === 'coordinator' ? after : component === 'worker' ? w1 : gateway);
      expect(
        names.filter((n) => !have.has(n)),
        `${component} series missing`,
      ).toEqual([]);
    }
  });
});
