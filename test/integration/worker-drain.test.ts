/**
 * Drain: SIGTERM a busy worker. It stops taking leases, finishes its running chunk, sends the result, exits 0;
 * nothing it held is leased again.
 */
import { afterAll, expect, it } from 'vitest';
import { startCluster } from '../../harness/cluster.js';
import { auditChunks } from '../../harness/db.js';
import { stopAll } from '../../harness/processes.js';
import { submit, waitDone } from '../../harness/rest.js';

afterAll(stopAll);

it('finishes the in-flight chunk on the draining worker and exits 0', async () => {
  const CHUNK = 1_500_000_000; // about a second of one core
  const c = await startCluster({
    workers: 2,
    workerThreads: 1,
    // No verification: the test is about the drain, and checks would only add computation.
    coordinatorEnv: { PIGRID_PREFETCH: '0', PIGRID_VERIFY_FIRST: '0', PIGRID_VERIFY_RATE: '0' },
    workerEnv: { PIGRID_DRAIN_GRACE_MS: '20000', PIGRID_LOG_LEVEL: 'debug' },
  });
  const calc = await submit(c.url, { points: 6 * CHUNK, mode: 'distributed', seed: 5, chunk_size: CHUNK });
  const [busy] = c.workers;
  // One thread, no prefetch: the lease it accepted is the chunk it is running.
  await busy.waitFor(/lease accepted/);

  const t0 = Date.now();
  busy.kill('SIGTERM');
  const code = await busy.exited;
  const drainMs = Date.now() - t0;
  expect(code).toBe(0);
  await busy.waitFor(/drained/);

  const result = await waitDone(c.url, calc.id);
  expect(result.status).toBe('completed');
  expect(result.chunks_released).toBe(0);
  const audit = auditChunks(c.dbPath, calc.id);
  expect(audit.rows).toBe(6);
  // The chunk that was running at SIGTERM was committed by the draining worker after the signal.
  expect(audit.chunks.some((ch) => ch.worker_id === 'worker-1' && ch.committed_at_ms >= t0)).toBe(true);
  console.log(`drain: busy worker drained and exited in ${drainMs} ms`);
});

it('exits at once on a second signal, without waiting for the running chunk', async () => {
  const CHUNK = 4_000_000_000; // well over a second of one core
  const c = await startCluster({
    workers: 1,
    workerThreads: 1,
    coordinatorEnv: { PIGRID_PREFETCH: '0' },
    workerEnv: { PIGRID_DRAIN_GRACE_MS: '30000', PIGRID_LOG_LEVEL: 'debug' },
  });
  await submit(c.url, { points: 2 * CHUNK, mode: 'distributed', seed: 6, chunk_size: CHUNK });
  const [w] = c.workers;
  await w.waitFor(/lease accepted/);
  w.kill('SIGTERM');
  await w.waitFor(/draining/);
  w.kill('SIGTERM');
  expect(await w.exited).toBe(130);
  expect(w.lines.some((l) => /second signal: exiting now/.test(l))).toBe(true);
  // It did not wait for the running chunk: the drain never finished.
  expect(w.lines.some((l) => /drained|worker stopped/.test(l))).toBe(false);
});
