/**
 * Drain: SIGTERM a busy worker. It stops taking leases, finishes its running chunk, sends the result, exits 0;
 * nothing it held is leased again.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { afterAll, expect, it } from 'vitest';
import { startCluster } from '../../harness/cluster.js';
import { auditChunks } from '../../harness/db.js';
import { stopAll } from '../../harness/processes.js';
import { submit, until, waitDone } from '../../harness/rest.js';

afterAll(stopAll);

/** CPU milliseconds (user + system) of each thread of a process, by thread id, from /proc (10 ms ticks). */
function threadCpuMs(pid: number): Map<string, number> {
  const byThread = new Map<string, number>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      // Fields after the parenthesised command name: utime and stime are fields 14 and 15 of the line.
      const fields = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8').split(') ')[1].split(' ');
      byThread.set(tid, (Number(fields[11]) + Number(fields[12])) * 10);
    } catch {
      // The thread ended between the listing and the read.
    }
  }
  return byThread;
}

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
  // One thread, no prefetch: the lease it accepts is the chunk it will run. "lease accepted" is logged before the chunk
  // reaches the thread, and a SIGTERM that lands before a thread claims it rightly hands it back (chunks_released 1),
  // so wait for the chunk to be running: one thread of the worker computing for 400 ms since (the chunk is ~1 s of
  // one core; nothing else in an idle worker spends that much CPU on one thread).
  await busy.waitFor(/lease accepted/);
  const pid = busy.child.pid!;
  const before = threadCpuMs(pid);
  await until(
    'a thread of the busy worker to compute its chunk',
    () => [...threadCpuMs(pid)].some(([tid, ms]) => ms - (before.get(tid) ?? 0) >= 400),
    30_000,
    20,
  );

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
