/**
 * Chaos: during a long distributed calculation, a random worker is SIGKILLed again and again and a replacement
 * started on its address (a pod restarted). The result equals the single-mode value for the same seed, and every
 * chunk is committed exactly once.
 */
import { afterAll, expect, it } from 'vitest';
import { startCluster, startWorker } from '../harness/cluster.js';
import { auditChunks } from '../harness/db.js';
import { portOf, stopAll } from '../harness/processes.js';
import { submit, waitDone } from '../harness/rest.js';

afterAll(stopAll);

it('keeps the exact result while workers are killed and replaced', async () => {
  const POINTS = 30_000_000_000;
  const CHUNK = 150_000_000; // 200 chunks
  const c = await startCluster({ workers: 3, workerThreads: 1, coordinatorThreads: 2, coordinatorEnv: { PIGRID_LEASE_TTL_MS: '3000' } });
  const single = await waitDone(c.url, (await submit(c.url, { points: POINTS, mode: 'single', seed: 99, chunk_size: CHUNK })).id);

  const dist = await submit(c.url, { points: POINTS, mode: 'distributed', seed: 99, chunk_size: CHUNK });
  let rng = 12345;
  const random = () => ((rng = (rng * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const done = waitDone(c.url, dist.id, 120_000);
  let finished = false;
  void done.then(() => (finished = true), () => (finished = true));
  let kills = 0;
  while (!finished && kills < 8) {
    await new Promise((r) => setTimeout(r, 600));
    if (finished) break;
    const i = Math.floor(random() * c.workers.length);
    const victim = c.workers[i];
    victim.kill('SIGKILL');
    await victim.exited;
    kills += 1;
    c.workers[i] = await startWorker(`${victim.name.replace(/-r\d+$/, '')}-r${kills}`, 1, { PIGRID_GRPC_PORT: String(portOf(victim.ready.grpc)) });
  }
  const result = await done;

  expect(kills).toBeGreaterThanOrEqual(3);
  expect(result.status).toBe('completed');
  expect(result.inside).toBe(single.inside);
  expect(result.result_pi).toBe(single.result_pi);
  expect(result.chunks_released).toBeGreaterThan(0);
  const audit = auditChunks(c.dbPath, dist.id);
  expect(audit).toMatchObject({ rows: 200, distinct: 200, inside: single.inside, points: POINTS });
  console.log(`chaos: ${kills} workers killed, ${result.chunks_released} chunks re-leased, ${result.duplicate_results} duplicate results matched, chunks by worker ${JSON.stringify(audit.byWorker)}`);
}, 120_000); // each replacement worker also gets a certificate and a TLS handshake
