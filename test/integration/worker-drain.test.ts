/**
 * Drain: SIGTERM a busy worker. It stops taking leases, finishes its running chunk, sends the result, exits 0;
 * nothing it held is leased again.
 */
import { afterAll, expect, it } from 'vitest';
import { startCluster } from '../../harness/cluster.js';
import { auditChunks } from '../../harness/db.js';
import { stopAll } from '../../harness/processes.js';
import { submit, waitDone } from '../../harness/rest.js';
import { untilComputing } from '../../harness/thread-cpu.js';

afterAll(stopAll);

it('finishes the in-flight chunk on the draining worker and exits 0', async () => {
  const CHUNK = 4_000_000_000; // over a second of one AVX2 core
  const CHUNKS = 4;
  const c = await startCluster({
    workers: 2,
    workerThreads: 1,
    // No verification: the test is about the drain, and checks would only add computation.
    coordinatorEnv: { PIGRID_PREFETCH: '0', PIGRID_VERIFY_FIRST: '0', PIGRID_VERIFY_RATE: '0' },
    workerEnv: { PIGRID_DRAIN_GRACE_MS: '20000', PIGRID_LOG_LEVEL: 'debug' },
  });
  const calc = await submit(c.url, { points: CHUNKS * CHUNK, mode: 'distributed', seed: 5, chunk_size: CHUNK });
  const [busy] = c.workers;
  // One thread, no prefetch: the lease it accepts is the chunk it will run. "lease accepted" is logged before the chunk
  // reaches the thread, and a SIGTERM that lands before a thread claims it rightly hands it back (chunks_released 1),
  // so wait for the chunk to be running: one thread of the worker computing for 200 ms since. The chunk is ~1.1 s of
  // one core, so the signal lands early in it, far from its end, on a machine twice as fast as well (with 1.5·10^9
  // points, ~0.4 s, and a wait for 400 ms of CPU, the signal could land at the end of a chunk or between two).
  await busy.waitFor(/lease accepted/);
  await untilComputing(busy.child.pid!, 200, 'a thread of the busy worker to compute its chunk');

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
  expect(audit.rows).toBe(CHUNKS);
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
  // The chunk must be running when the first signal comes: one that came before a thread claimed it would hand it
  // back and drain at once, and the second signal would find the worker gone.
  await untilComputing(w.child.pid!, 200, 'the worker to compute its chunk');
  w.kill('SIGTERM');
  await w.waitFor(/draining/);
  w.kill('SIGTERM');
  expect(await w.exited).toBe(130);
  expect(w.lines.some((l) => /second signal: exiting now/.test(l))).toBe(true);
  // It did not wait for the running chunk: the drain never finished.
  expect(w.lines.some((l) => /drained|worker stopped/.test(l))).toBe(false);
});
