/**
 * How the chunk runner sizes its runs from the measured kernel time, on a scripted pool whose chunks end when the test
 * says and report the kernel time it chooses (the runner's own logic only; the real pool is in
 * test/integration/chunk-runner.test.ts).
 */
import { expect, it } from 'vitest';
import { ChunkRunner, type ChunkJob } from '../../kernel/pool/chunk-runner.js';
import { scriptedPool, type ScriptedChunk } from '../support/scripted-pool.js';

const POINTS = 1_000_000;
const job = (i: number): ChunkJob => ({ leaseId: `l${i}`, calculationId: 'c', chunkIndex: i, seed: '7', points: POINTS });
const cb = { done: () => {}, failed: () => {} };
/** Lets the runner's outcome handlers and its end-of-turn posting run. */
const turns = async () => {
  for (let i = 0; i < 3; i++) await new Promise((resolve) => setImmediate(resolve));
};

/** Runs chunks one at a time, each measured at the given kernel time, and returns the next chunk index. */
async function measure(runner: ChunkRunner, runs: ScriptedChunk[][], times: readonly number[]): Promise<number> {
  for (const [i, ms] of times.entries()) {
    runner.enqueue(job(i), cb);
    runs[runs.length - 1][0].finish(ms);
    await turns();
  }
  return times.length;
}

/** Enqueues 30 chunks in one turn and returns the chunks per run of the first run formed from them after the one posted at once. */
async function nextRunLength(runner: ChunkRunner, runs: ScriptedChunk[][], from: number): Promise<number> {
  const before = runs.length;
  for (let i = from; i < from + 30; i++) runner.enqueue(job(i), cb);
  await turns();
  // The first goes to the idle thread at once, alone; the next run is formed at the end of the turn.
  expect(runs[before]).toHaveLength(1);
  return runs[before + 1].length;
}

it('sizes runs by the fastest recent chunk, so chunks slowed by a busy machine do not shrink the runs', async () => {
  const { pool, runs } = scriptedPool();
  const runner = new ChunkRunner(pool, { runMs: 10 });
  // 1 ms chunks, two of them descheduled for several milliseconds (their measured time is wall time).
  const from = await measure(runner, runs, [1, 5, 1, 4]);
  // A mean of those times would make ~2 ms chunks and runs of 5.
  expect(await nextRunLength(runner, runs, from)).toBe(10);
});

it('follows a kernel that has really become slower once the faster chunks have left the window', async () => {
  const { pool, runs } = scriptedPool();
  const runner = new ChunkRunner(pool, { runMs: 10 });
  const from = await measure(runner, runs, [1, ...Array<number>(16).fill(2)]);
  expect(await nextRunLength(runner, runs, from)).toBe(5);
});

it('keeps the next long chunk posted behind the running one on a one-thread pool, and holds it back with two threads', async () => {
  // Chunks of 40 ms (over postAheadMs, 25 ms). On two threads the third waits here, to go to whichever thread is free
  // first; on one thread it can only go to that thread, so it waits there and the thread never waits for the main
  // thread between chunks (docs/performance.md, "Small chunks: where the wall time goes").
  for (const threads of [1, 2]) {
    const { pool, runs } = scriptedPool(threads);
    const runner = new ChunkRunner(pool);
    const from = await measure(runner, runs, [40]);
    const before = runs.length;
    for (let i = from; i < from + threads + 1; i++) runner.enqueue(job(i), cb);
    await turns();
    // One thread: the running chunk and the next on it. Two threads: one chunk on each, the third held here.
    expect(runs.length - before).toBe(2);
    if (threads === 2) {
      runs[before][0].finish(40);
      await turns();
      expect(runs.length - before).toBe(3);
    }
  }
});
