/**
 * The signature feature, end to end through real processes: the same points and seed give the identical hit count
 * and pi in single and distributed mode, whatever the number of workers and threads.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCluster, type Cluster } from '../../harness/cluster.js';
import { stopAll } from '../../harness/processes.js';
import { submit, waitDone } from '../../harness/rest.js';

const POINTS = 3_000_000_000;
const CHUNK = 100_000_000; // 30 chunks: enough to spread over workers and threads
const SEED = 20261125;

async function both(c: Cluster, seed = SEED) {
  const single = await submit(c.url, { points: POINTS, mode: 'single', seed, chunk_size: CHUNK });
  const distributed = await submit(c.url, { points: POINTS, mode: 'distributed', seed, chunk_size: CHUNK });
  return { single: await waitDone(c.url, single.id), distributed: await waitDone(c.url, distributed.id) };
}

describe('single and distributed agree exactly', () => {
  afterAll(stopAll);

  describe('two workers, one thread each', () => {
    let c: Cluster;
    beforeAll(async () => {
      c = await startCluster({ workers: 2, workerThreads: 1 });
    });
    afterAll(stopAll);

    it('gives the identical inside count and result_pi in both modes', async () => {
      const { single, distributed } = await both(c);
      expect(single.status).toBe('completed');
      expect(distributed.status).toBe('completed');
      expect(distributed.inside).toBe(single.inside);
      expect(distributed.result_pi).toBe(single.result_pi);
      expect(single.points_done).toBe(POINTS);
      expect(distributed.chunks_done).toBe(30);
      expect(Math.abs(single.result_pi! - Math.PI)).toBeLessThan(5 * single.std_error!);
      expect(single.result_pi).toBe((4 * single.inside) / POINTS);
    });

    it('spreads a distributed calculation over both workers', async () => {
      const r = await fetch(`${c.url}/api/k8s/status`);
      const status = (await r.json()) as { coordinator: { workers: { id: string; chunks_completed: number }[] } };
      const done = Object.fromEntries(status.coordinator.workers.map((w) => [w.id, w.chunks_completed]));
      expect(Object.keys(done).sort()).toEqual(['worker-1', 'worker-2']);
      expect(done['worker-1']).toBeGreaterThan(0);
      expect(done['worker-2']).toBeGreaterThan(0);
    });

    it('streams live progress as Server-Sent Events until the end', async () => {
      // The coordinator's Watch sends at most 10 snapshots a second and a result comes per span (~200 ms of kernel
      // time), so the events need a calculation of seconds: 2·10^10 points are ~2.7 s on 2 AVX2 threads, several
      // progress events even on a machine twice as fast (4·10^9 points were ~0.5 s here: 3 events, or 2 on a fast one).
      const SSE_CHUNK = 5 * CHUNK;
      const calc = await submit(c.url, { points: 40 * SSE_CHUNK, mode: 'distributed', seed: 5, chunk_size: SSE_CHUNK });
      const res = await fetch(`${c.url}/api/calculate/${calc.id}/events`);
      expect(res.headers.get('content-type')).toBe('text/event-stream');
      const text = await res.text();
      const events = [...text.matchAll(/event: (\w+)\ndata: (.*)\n/g)].map((m) => ({ event: m[1], data: JSON.parse(m[2]) }));
      const progress = events.filter((e) => e.event === 'progress').map((e) => e.data.points_done as number);
      expect(progress.length).toBeGreaterThan(2);
      expect(progress).toEqual([...progress].sort((a, b) => a - b));
      const end = events[events.length - 1];
      expect(end.event).toBe('end');
      expect(end.data).toMatchObject({ id: calc.id, status: 'completed', points_done: 40 * SSE_CHUNK });
    });

    it('chooses, stores and returns a seed when none is given, so the run can be reproduced', async () => {
      const first = await waitDone(c.url, (await submit(c.url, { points: 50_000_000, mode: 'distributed' })).id);
      expect(Number.isSafeInteger(first.seed)).toBe(true);
      const again = await waitDone(c.url, (await submit(c.url, { points: 50_000_000, mode: 'single', seed: first.seed })).id);
      expect(again.inside).toBe(first.inside);
    });

    it('gives a different result for a different seed', async () => {
      const a = await waitDone(c.url, (await submit(c.url, { points: 1_000_000, seed: 1, mode: 'distributed' })).id);
      const b = await waitDone(c.url, (await submit(c.url, { points: 1_000_000, seed: 2, mode: 'distributed' })).id);
      expect(a.inside).not.toBe(b.inside);
    });
  });

  describe('one worker with two threads, coordinator with two threads', () => {
    it('gives the same result as the two-worker pool', async () => {
      // The two clusters start together; their calculations run one cluster after the other.
      const [c, reference] = await Promise.all([
        startCluster({ workers: 1, workerThreads: 2, coordinatorThreads: 2 }),
        startCluster({ workers: 2, workerThreads: 1, coordinatorThreads: 1 }),
      ]);
      const { single, distributed } = await both(c);
      const ref = await both(reference);
      expect(distributed.inside).toBe(single.inside);
      expect(ref.single.inside).toBe(single.inside);
      expect(ref.distributed.inside).toBe(single.inside);
      await stopAll();
    });
  });
});
