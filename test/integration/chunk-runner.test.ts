/**
 * The chunk runner on a real piscina pool (real threads, the built task module): each thread gets its next chunk
 * before it finishes the current one, and a chunk posted to a thread but not started is still handed back on drain,
 * removed on revocation, and survives its thread being terminated for another chunk.
 */
import { afterEach, expect, it } from 'vitest';
import { countInside } from '../../kernel/index.js';
import { ChunkRunner, type ChunkJob, type JobCallbacks } from '../../kernel/pool/chunk-runner.js';
import { createKernelPool, type KernelPool, type KernelPoolOptions, type PoolTask } from '../../kernel/pool/kernel-pool.js';
import { until } from '../../harness/rest.js';

const LONG = 4_000_000_000; // over a second of one core with any kernel
const SHORT = 1_000_000;
const pools: KernelPool[] = [];
afterEach(async () => {
  await Promise.all(pools.splice(0).map((p) => p.destroy()));
});

/** A real one-thread pool that also remembers the tasks it was given. */
function pool(options: KernelPoolOptions = {}): { pool: KernelPool; tasks: PoolTask[] } {
  const real = createKernelPool(1, options);
  pools.push(real);
  const tasks: PoolTask[] = [];
  return {
    tasks,
    pool: {
      ...real,
      threads: real.threads,
      tasksPerThread: real.tasksPerThread,
      start: (t) => {
        const task = real.start(t);
        tasks.push(task);
        return task;
      },
    },
  };
}

const job = (i: number, points: number): ChunkJob => ({ leaseId: `l${i}`, calculationId: 'c', chunkIndex: i, seed: '7', points });

function recorder() {
  const done = new Map<string, number>();
  const failed = new Map<string, string>();
  const aborted = new Map<string, number>();
  const cb: JobCallbacks = {
    done: (j, o) => done.set(j.leaseId, o.inside),
    failed: (j, e) => failed.set(j.leaseId, e.code),
    aborted: (j, ms) => aborted.set(j.leaseId, ms),
  };
  return { cb, done, failed, aborted };
}

it('keeps two chunks posted per thread and computes them all exactly', async () => {
  const { pool: p, tasks } = pool();
  const runner = new ChunkRunner(p);
  const r = recorder();
  for (let i = 0; i < 6; i++) runner.enqueue(job(i, SHORT), r.cb);
  expect(tasks).toHaveLength(2);
  expect(runner.heldCount).toBe(6);
  expect(runner.runningCount).toBe(1);
  await until('all done', () => r.done.size === 6);
  await runner.whenIdle();
  for (let i = 0; i < 6; i++) expect(r.done.get(`l${i}`)).toBe(countInside(7n, i, SHORT));
  expect(r.failed.size).toBe(0);
});

it('hands back on drain a chunk posted to the thread but not started, and finishes the running one', async () => {
  const { pool: p, tasks } = pool();
  const runner = new ChunkRunner(p);
  const r = recorder();
  for (let i = 0; i < 3; i++) runner.enqueue(job(i, i === 0 ? LONG / 4 : SHORT), r.cb);
  await until('the first chunk to start', () => tasks[0].started);
  const handedBack = runner.takeWaiting().map((j) => j.leaseId);
  expect(handedBack.sort()).toEqual(['l1', 'l2']);
  expect(tasks[1].started).toBe(false);
  await runner.whenIdle();
  expect([...r.done.keys()]).toEqual(['l0']);
  expect(r.done.get('l0')).toBe(countInside(7n, 0, LONG / 4));
  // The withdrawn one settles as aborted without reaching any callback.
  await expect(tasks[1].outcome).rejects.toMatchObject({ code: 'KERNEL_ABORTED' });
  expect(r.failed.size).toBe(0);
});

it('revokes a posted chunk without touching the running one, and stops a running one without losing its thread', async () => {
  const { pool: p, tasks } = pool();
  const runner = new ChunkRunner(p);
  const r = recorder();
  runner.enqueue(job(0, LONG), r.cb);
  runner.enqueue(job(1, SHORT), r.cb);
  await until('the first chunk to start', () => tasks[0].started);
  expect(runner.revoke('l1')).toBe(true);
  expect(tasks[0].started && !tasks[1].started).toBe(true);
  expect(runner.revoke('l0')).toBe(true);
  await until('the running chunk to stop', () => r.aborted.has('l0'), 5_000);
  // The kernel stopped at its next poll, well within a second; no failure reported for either.
  expect(r.aborted.get('l0')).toBeLessThan(1_000);
  expect(r.failed.size + r.done.size).toBe(0);
  runner.enqueue(job(2, SHORT), r.cb);
  await until('the next chunk', () => r.done.has('l2'));
  expect(r.done.get('l2')).toBe(countInside(7n, 2, SHORT));
});

it('posts again a chunk whose thread was terminated for the chunk before it', async () => {
  // stopGraceMs 0: a revoked running chunk's thread is terminated at once, with the next chunk already posted to it.
  const { pool: p, tasks } = pool({ stopGraceMs: 0 });
  const runner = new ChunkRunner(p);
  const r = recorder();
  runner.enqueue(job(0, LONG), r.cb);
  runner.enqueue(job(1, SHORT), r.cb);
  await until('the first chunk to start', () => tasks[0].started);
  runner.revoke('l0');
  await until('the second chunk', () => r.done.has('l1') || r.failed.has('l1'), 10_000);
  expect(r.failed.size).toBe(0);
  expect(r.done.get('l1')).toBe(countInside(7n, 1, SHORT));
  await until('the revoked chunk to be reported stopped', () => r.aborted.has('l0'));
});
