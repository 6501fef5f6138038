/**
 * Cancel revokes outstanding leases promptly and keeps partial progress; concurrent calculations share the pool
 * fairly, so a small one submitted behind a huge one finishes in time proportional to its own size.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCluster, type Cluster } from '../../harness/cluster.js';
import { stopAll } from '../../harness/processes.js';
import { http, poolView, submit, until, waitDone } from '../../harness/rest.js';

let c: Cluster;
beforeAll(async () => {
  c = await startCluster({ workers: 2, workerThreads: 1 });
});
afterAll(stopAll);

describe('cancel', () => {
  it('ends the calculation cancelled with its partial progress and aborts the running chunks promptly', async () => {
    const CHUNK = 4_000_000_000; // over a second of one core: an unaborted chunk would still run long after the cancel
    const calc = await submit(c.url, { points: 40 * CHUNK, mode: 'distributed', seed: 1, chunk_size: CHUNK });
    await until('some progress', async () => ((await http(`${c.url}/api/calculate/${calc.id}`)).json.chunks_done >= 1 ? true : undefined));
    const r = await http(`${c.url}/api/calculate/${calc.id}/cancel`, 'POST');
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ status: 'cancelled', error_code: 'CANCELLED_BY_CLIENT', result_pi: null });
    expect(r.json.chunks_done).toBeGreaterThanOrEqual(1);
    expect(r.json.points_done).toBe(r.json.chunks_done * CHUNK);
    expect((await poolView(c.url)).leases_in_flight).toBe(0);
    // Each worker was computing a chunk: both are told, and both threads stop within a fraction of a chunk (one of
    // 4·10^9 samples runs for well over a second on a core; a terminated thread stops in milliseconds).
    for (const w of c.workers) {
      await w.waitFor(/leases revoked .*reason=CANCELLED/);
      const line = await w.waitFor(/chunk aborted .*afterMs=\d+/);
      expect(Number(/afterMs=(\d+)/.exec(line)![1])).toBeLessThan(1_000);
    }
    const next = await waitDone(c.url, (await submit(c.url, { points: 100_000_000, mode: 'distributed', seed: 2 })).id);
    expect(next.status).toBe('completed');
    // Cancelling again changes nothing.
    expect((await http(`${c.url}/api/calculate/${calc.id}/cancel`, 'POST')).json.chunks_done).toBe(r.json.chunks_done);
  });
});

describe('fairness', () => {
  it('finishes a small calculation submitted behind a huge one long before the huge one', async () => {
    const CHUNK = 250_000_000;
    const huge = await submit(c.url, { points: 120 * CHUNK, mode: 'distributed', seed: 3, chunk_size: CHUNK });
    await until('the huge one to run', async () =>
      (await http(`${c.url}/api/calculate/${huge.id}`)).json.chunks_done >= 4 ? true : undefined,
    );
    const small = await waitDone(c.url, (await submit(c.url, { points: 4 * CHUNK, mode: 'distributed', seed: 4, chunk_size: CHUNK })).id);
    const hugeNow = (await http(`${c.url}/api/calculate/${huge.id}`)).json;
    expect(small.status).toBe('completed');
    // It did not wait for the huge one: most of the huge calculation was still to do.
    expect(hugeNow.status).toBe('running');
    expect(hugeNow.chunks_done).toBeLessThan(60);
    const hugeDone = await waitDone(c.url, huge.id, 90_000);
    // Time proportional to size: 4 chunks vs 120 chunks on the same pool.
    expect(small.duration_ms!).toBeLessThan((hugeDone.duration_ms as number) / 5);
  });
});
