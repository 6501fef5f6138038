/**
 * The chunk runner on a real piscina pool (real threads, the built task module): each thread gets its next chunk
 * before it finishes the current one, and a chunk posted to a thread but not started is still handed back on drain,
 * removed on revocation, and survives its thread being terminated for another chunk.
 */
import { afterEach, expect, it } from 'vitest';
import { countInside } from '../../kernel/index.js';
import { ChunkRunner, type ChunkJob, type JobCallbacks } from '../../kernel/pool/chunk-runner.js';
import { createKernelPool, type KernelPool, type KernelPoolOptions } from '../../kernel/pool/kernel-pool.js';
import { until } from '../../harness/rest.js';
import { chunksOfRun, type PoolChunk } from '../support/pool-chunks.js';

const LONG = 4_000_000_000; // over a second of one core with any kernel
/**
 * A chunk that must still be running when the test acts on the chunks behind it (a drain, a revoke): ~0.55 s of one
 * AVX2 core, so a machine twice as fast or a loaded one still leaves a wide margin over the 5 ms polls below that
 * notice it started (a quarter of LONG, ~0.27 s here, against 100 ms polls was a margin of under 3).
 */
const MID = LONG / 2;
/** How often the tests look at a chunk's state: a start is noticed within milliseconds. */
const POLL_MS = 5;
const SHORT = 1_000_000;
const pools: KernelPool[] = [];
afterEach(async () => {
  await Promise.all(pools.splice(0).map((p) => p.destroy()));
});

/** A real one-thread pool that also remembers the runs it was given (each a list of its chunks). */
function pool(options: KernelPoolOptions = {}): { pool: KernelPool; tasks: PoolChunk[]; runs: PoolChunk[][] } {
  const real = createKernelPool(1, options);
  pools.push(real);
  const tasks: PoolChunk[] = [];
  const runs: PoolChunk[][] = [];
  return {
    tasks,
    runs,
    pool: {
      ...real,
      threads: real.threads,
      tasksPerThread: real.tasksPerThread,
      chunksPerTask: real.chunksPerTask,
      start: (run) => {
        const posted = real.start(run);
        const chunks = chunksOfRun(posted);
        runs.push(chunks);
        tasks.push(...chunks);
        return posted;
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

it('posts the first chunk to an idle thread at once, the rest at the end of the turn, and computes them all exactly', async () => {
  const { pool: p, tasks } = pool();
  const runner = new ChunkRunner(p);
  const r = recorder();
  for (let i = 0; i < 6; i++) runner.enqueue(job(i, SHORT), r.cb);
  expect(tasks).toHaveLength(1);
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
  for (let i = 0; i < 3; i++) runner.enqueue(job(i, i === 0 ? MID : SHORT), r.cb);
  await until('the first chunk to start', () => tasks[0].started && tasks.length === 2, 20_000, POLL_MS);
  const handedBack = runner.takeWaiting().map((j) => j.leaseId);
  expect(handedBack.sort()).toEqual(['l1', 'l2']);
  expect(tasks[1].started).toBe(false);
  await runner.whenIdle();
  expect([...r.done.keys()]).toEqual(['l0']);
  expect(r.done.get('l0')).toBe(countInside(7n, 0, MID));
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
  await until('the first chunk to start', () => tasks[0].started && tasks.length === 2, 20_000, POLL_MS);
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
  await until('the first chunk to start', () => tasks[0].started && tasks.length === 2, 20_000, POLL_MS);
  runner.revoke('l0');
  await until('the second chunk', () => r.done.has('l1') || r.failed.has('l1'), 10_000);
  expect(r.failed.size).toBe(0);
  expect(r.done.get('l1')).toBe(countInside(7n, 1, SHORT));
  await until('the revoked chunk to be reported stopped', () => r.aborted.has('l0'));
});

/**
 * Sets up runs: one short chunk first (so the runner knows the pace), then one posted at once to the idle thread, then
 * `jobs`, which at the end of the turn go to the pool together, as runs (`runMs` and `postAheadMs` large enough for
 * any of them).
 */
async function postRuns(jobs: ChunkJob[], options: KernelPoolOptions = {}) {
  const p = pool(options);
  const runner = new ChunkRunner(p.pool, { runMs: 100_000, postAheadMs: 1_000_000 });
  const r = recorder();
  runner.enqueue(job(100, SHORT), r.cb);
  await until('the pace chunk', () => r.done.has('l100'));
  runner.enqueue(job(101, SHORT), r.cb);
  for (const j of jobs) runner.enqueue(j, r.cb);
  await until('the runs to be posted', () => p.tasks.length === jobs.length + 2, 20_000, POLL_MS);
  const task = (leaseId: string) => p.tasks[2 + jobs.findIndex((j) => j.leaseId === leaseId)];
  return { ...p, runner, r, task };
}

it('posts consecutive short chunks as one pool task and computes each exactly', async () => {
  const jobs = Array.from({ length: 20 }, (_, i) => job(i, SHORT + i));
  const { runs, runner, r } = await postRuns(jobs);
  expect(runs.map((run) => run.length)).toEqual([1, 1, 20]);
  await runner.whenIdle();
  for (const j of jobs) expect(r.done.get(j.leaseId)).toBe(countInside(7n, j.chunkIndex, j.points));
  expect(r.failed.size + r.aborted.size).toBe(0);
});

it('never runs a withdrawn middle chunk of a posted run, and runs the rest of it', async () => {
  const jobs = [job(0, MID), job(1, SHORT), job(2, SHORT), job(3, SHORT)];
  const { runs, runner, r, task } = await postRuns(jobs);
  expect(runs.at(-1)).toHaveLength(4);
  expect(runner.revoke('l2')).toBe(true);
  await runner.whenIdle();
  await until('the run to end', () => r.done.size === 5);
  for (const i of [0, 1, 3]) expect(r.done.get(`l${i}`)).toBe(countInside(7n, i, jobs[i].points));
  expect(task('l2').started).toBe(false);
  await expect(task('l2').outcome).rejects.toMatchObject({ code: 'KERNEL_ABORTED' });
  expect(r.done.has('l2') || r.failed.has('l2') || r.aborted.has('l2')).toBe(false);
});

it('hands back on drain exactly the unstarted chunks of posted runs, and finishes the running one', async () => {
  const jobs = [job(0, MID), ...Array.from({ length: 8 }, (_, i) => job(i + 1, SHORT))];
  // Runs of at most three chunks: the running one's run, and two more behind it.
  const { runs, runner, r, task } = await postRuns(jobs, { chunksPerTask: 3 });
  expect(runs.slice(2).map((run) => run.length)).toEqual([3, 3, 3]);
  await until('the first chunk to start', () => task('l0').started, 20_000, POLL_MS);
  const handedBack = runner.takeWaiting().map((j) => j.leaseId);
  expect(handedBack.sort()).toEqual(jobs.slice(1).map((j) => j.leaseId));
  await runner.whenIdle();
  expect(r.done.get('l0')).toBe(countInside(7n, 0, MID));
  for (const j of jobs.slice(1)) {
    expect(task(j.leaseId).started).toBe(false);
    await expect(task(j.leaseId).outcome).rejects.toMatchObject({ code: 'KERNEL_ABORTED' });
  }
  expect([...r.done.keys()].sort()).toEqual(['l0', 'l100', 'l101']);
  expect(r.failed.size + r.aborted.size).toBe(0);
});

it('stops a revoked running chunk of a run at its next poll, and the same thread goes on with the rest of the run', async () => {
  const jobs = [job(0, SHORT), job(1, LONG), job(2, SHORT)];
  const { runner, r, task } = await postRuns(jobs);
  await until('the long chunk to start', () => task('l1').started, 20_000, POLL_MS);
  expect(runner.revoke('l1')).toBe(true);
  await until('the run to end', () => r.done.has('l2'), 5_000);
  // Stopped well within the 1 s grace: its thread was not terminated (that would have failed or redone l2).
  expect(r.aborted.get('l1')).toBeLessThan(1_000);
  expect(r.done.get('l0')).toBe(countInside(7n, 0, SHORT));
  expect(r.done.get('l2')).toBe(countInside(7n, 2, SHORT));
  expect(r.failed.size).toBe(0);
});

it('fails only the chunk of a run whose kernel call fails', async () => {
  const jobs = [job(0, SHORT), job(1, 0), job(2, SHORT)];
  const { runs, runner, r } = await postRuns(jobs);
  expect(runs.at(-1)).toHaveLength(3);
  await until('the run to end', () => r.done.size + r.failed.size === 5);
  await runner.whenIdle();
  expect(r.failed.get('l1')).toBe('KERNEL_INVALID_INPUT');
  expect(r.done.get('l0')).toBe(countInside(7n, 0, SHORT));
  expect(r.done.get('l2')).toBe(countInside(7n, 2, SHORT));
});

it('posts again the finished and the unstarted chunks of a run whose thread was terminated mid-run', async () => {
  // stopGraceMs 0: the revoked long chunk's thread is terminated at once, with l0 finished (its outcome not yet
  // reported: a run reports at its end) and l2 not started.
  const jobs = [job(0, SHORT), job(1, LONG), job(2, SHORT)];
  const { runner, r, task } = await postRuns(jobs, { stopGraceMs: 0 });
  await until('the long chunk to start', () => task('l1').started, 20_000, POLL_MS);
  runner.revoke('l1');
  await until('the other chunks', () => r.done.size === 4 || r.failed.size > 0, 10_000);
  expect(r.failed.size).toBe(0);
  expect(r.done.get('l0')).toBe(countInside(7n, 0, SHORT));
  expect(r.done.get('l2')).toBe(countInside(7n, 2, SHORT));
  await until('the revoked chunk to be reported stopped', () => r.aborted.has('l1'));
});
