/**
 * How the chunk runner handles spans (jobs of several consecutive chunks), on a scripted pool whose chunks start, end
 * and fail when the test says: a span's chunks are cut into runs by the pace like any other chunks and posted ahead,
 * its outcome comes once, in chunk order, whatever order its runs end in; a failure, a revocation and a drain concern
 * the whole span. The real pool and threads: test/integration/chunk-runner.test.ts and worker-spans.test.ts.
 */
import fc from 'fast-check';
import { expect, it } from 'vitest';
import { ChunkRunner, type ChunkJob, type JobCallbacks, type JobOutcome } from '../../kernel/pool/chunk-runner.js';
import { countOf, scriptedPool, type ScriptedChunk } from '../support/scripted-pool.js';

const POINTS = 1_000_000;
const span = (id: string, chunkIndex: number, chunkCount: number): ChunkJob => ({
  leaseId: id,
  calculationId: 'c',
  chunkIndex,
  seed: '7',
  points: POINTS,
  chunkCount,
});

function recorder() {
  const done = new Map<string, JobOutcome>();
  const failed = new Map<string, string>();
  const aborted: string[] = [];
  const cb: JobCallbacks = {
    done: (j, o) => {
      expect(done.has(j.leaseId)).toBe(false);
      done.set(j.leaseId, o);
    },
    failed: (j, e) => {
      expect(failed.has(j.leaseId)).toBe(false);
      failed.set(j.leaseId, e.code);
    },
    aborted: (j) => aborted.push(j.leaseId),
  };
  return { cb, done, failed, aborted };
}

/** Lets the runner's outcome handlers and its end-of-turn posting run. */
const turns = async () => {
  for (let i = 0; i < 3; i++) await new Promise((resolve) => setImmediate(resolve));
};

/** Gives the runner its pace: one chunk of POINTS measured at `ms`. */
async function pace(runner: ChunkRunner, runs: ScriptedChunk[][], ms = 1): Promise<void> {
  runner.enqueue(
    { leaseId: 'pace', calculationId: 'c', chunkIndex: 999_999, seed: '7', points: POINTS },
    { done: () => {}, failed: () => {} },
  );
  runs[runs.length - 1][0].finish(ms);
  await turns();
}

const unfinished = (runs: ScriptedChunk[][]) => runs.filter((r) => r.some((c) => c.state === 'queued' || c.state === 'started'));
const expectedCounts = (from: number, count: number) => Array.from({ length: count }, (_, i) => countOf(from + i));

it('feeds one thread two spans of fifty 1 ms chunks as one run each (spanRunMs 50 ms), always with the next run posted', async () => {
  const { pool, runs } = scriptedPool(1);
  const runner = new ChunkRunner(pool);
  await pace(runner, runs);
  const before = runs.length;
  const r = recorder();
  runner.enqueue(span('a', 0, 50), r.cb);
  runner.enqueue(span('b', 50, 50), r.cb);
  await turns();
  let finished = 0;
  while (unfinished(runs).length > 0) {
    const open = unfinished(runs);
    // The thread's next run is already on it whenever more than the running one is left: it never waits for this thread.
    const left = 100 - finished;
    if (left > open[0].length) expect(open.length).toBeGreaterThanOrEqual(2);
    // Posted ahead, but not everything at once: about postAheadMs (25 ms) per thread beyond the running run.
    expect(open.length).toBeLessThanOrEqual(3);
    for (const c of open[0]) c.finish(1);
    finished += open[0].length;
    await turns();
  }
  const spanRuns = runs.slice(before);
  // A run of one span's chunks alone may take spanRunMs (50 ms): one pool task per span here.
  expect(spanRuns.map((run) => run.length)).toEqual([50, 50]);
  expect(spanRuns.flat().map((c) => c.task.chunkIndex)).toEqual(Array.from({ length: 100 }, (_, i) => i));
  expect(r.done.get('a')?.chunkInside).toEqual(expectedCounts(0, 50));
  expect(r.done.get('b')?.chunkInside).toEqual(expectedCounts(50, 50));
  expect(r.done.get('a')?.inside).toBe(expectedCounts(0, 50).reduce((x, y) => x + y));
  expect(r.done.get('a')?.elapsedMs).toBe(50);
  expect(runner.heldCount).toBe(0);
});

it('runs a span of 200 ms on one thread as one pool task (spanRunMs 200 ms), the next span posted behind it', async () => {
  // The small-chunk bench's shape: a one-thread worker holding two spans of twenty 10 ms chunks. Each pool run costs
  // the worker's main thread a wake-up and the kernel thread a hand-off (docs/performance.md, "Small chunks: where the
  // wall time goes"), so a span goes as one run rather than four of 50 ms.
  const { pool, runs } = scriptedPool(1);
  const runner = new ChunkRunner(pool);
  await pace(runner, runs);
  const before = runs.length;
  const r = recorder();
  runner.enqueue({ ...span('a', 0, 20), points: 10 * POINTS }, r.cb);
  runner.enqueue({ ...span('b', 20, 20), points: 10 * POINTS }, r.cb);
  await turns();
  expect(unfinished(runs).length).toBe(2);
  while (unfinished(runs).length > 0) {
    for (const c of unfinished(runs)[0]) c.finish(10);
    await turns();
  }
  expect(runs.slice(before).map((run) => run.length)).toEqual([20, 20]);
  expect(r.done.get('a')?.chunkInside).toEqual(expectedCounts(0, 20));
  expect(r.done.get('b')?.chunkInside).toEqual(expectedCounts(20, 20));
});

it('splits a span across two threads and reports its counts in chunk order whatever order the runs end in', async () => {
  const { pool, runs } = scriptedPool(2);
  const runner = new ChunkRunner(pool);
  await pace(runner, runs);
  const before = runs.length;
  const r = recorder();
  runner.enqueue(span('s', 10, 40), r.cb);
  await turns();
  // Both threads have work before either has finished anything.
  expect(runs.length - before).toBeGreaterThanOrEqual(2);
  while (unfinished(runs).length > 0) {
    const open = unfinished(runs);
    for (const c of open[open.length - 1]) c.finish(1); // newest first
    await turns();
  }
  expect(r.done.get('s')?.chunkInside).toEqual(expectedCounts(10, 40));
  expect(r.failed.size).toBe(0);
});

it('fails a span once when one of its chunks fails, and withdraws the rest of it', async () => {
  const { pool, runs } = scriptedPool(1);
  const runner = new ChunkRunner(pool);
  await pace(runner, runs);
  const before = runs.length;
  const r = recorder();
  runner.enqueue(span('s', 0, 60), r.cb);
  runner.enqueue(span('t', 60, 5), r.cb);
  await turns();
  const [first, ...later] = runs.slice(before);
  expect(later.length).toBeGreaterThan(0);
  first[0].finish();
  first[3].fail('KERNEL_ERROR');
  for (const c of first) c.finish();
  await turns();
  expect(r.failed.get('s')).toBe('KERNEL_ERROR');
  expect(r.done.has('s')).toBe(false);
  // Every chunk of the span posted later was withdrawn; none of its other chunks is ever posted.
  const ofS = (c: ScriptedChunk) => c.task.chunkIndex < 60;
  for (const c of later.flat().filter(ofS)) expect(c.state).toBe('withdrawn');
  while (unfinished(runs).length > 0) {
    for (const c of unfinished(runs)[0]) c.finish();
    await turns();
  }
  expect(
    runs
      .slice(before)
      .flat()
      .filter((c) => ofS(c) && c.state === 'settled')
      .map((c) => c.task.chunkIndex),
  ).toEqual(first.map((_, i) => i));
  expect(r.done.get('t')?.chunkInside).toEqual(expectedCounts(60, 5));
  expect(runner.heldCount).toBe(0);
  await runner.whenIdle();
});

it('revokes a span: its queued chunks withdrawn, its running chunk stopped, no outcome, one aborted report', async () => {
  const { pool, runs } = scriptedPool(1);
  const runner = new ChunkRunner(pool);
  await pace(runner, runs);
  const before = runs.length;
  const r = recorder();
  runner.enqueue(span('s', 0, 40), r.cb);
  await turns();
  const posted = runs.slice(before).flat();
  posted[0].finish();
  posted[1].state = 'started';
  expect(runner.revoke('s')).toBe(true);
  expect(runner.revoke('s')).toBe(false);
  expect(posted[1].aborted).toBe(true);
  for (const c of posted.slice(2)) expect(c.state).toBe('withdrawn');
  await runner.whenIdle();
  await turns();
  expect(r.aborted).toEqual(['s']);
  expect(r.done.size + r.failed.size).toBe(0);
  // Nothing of it is posted any more.
  expect(runs.slice(before).flat()).toHaveLength(posted.length);
});

it('hands back on drain exactly the spans none of whose chunks has started, and finishes the others', async () => {
  const { pool, runs } = scriptedPool(1);
  const runner = new ChunkRunner(pool, { postAheadMs: 45 });
  await pace(runner, runs);
  const before = runs.length;
  const r = recorder();
  runner.enqueue(span('running', 0, 15), r.cb); // runs 0-9 and 10-14 + the next span's first five
  runner.enqueue(span('posted', 15, 10), r.cb); // posted (across two runs), not started
  runner.enqueue(span('raced', 25, 10), r.cb); // posted; a thread claims one chunk as the drain withdraws it
  runner.enqueue(span('waiting', 35, 30), r.cb); // partly posted at most
  runner.enqueue({ leaseId: 'single', calculationId: 'c', chunkIndex: 65, seed: '7', points: POINTS }, r.cb);
  await turns();
  const posted = runs.slice(before).flat();
  const chunk = (i: number) => posted.find((c) => c.task.chunkIndex === i)!;
  expect(chunk(34)).toBeDefined();
  chunk(0).state = 'started';
  chunk(30).loseWithdrawRace = true;
  const handedBack = runner.takeWaiting().map((j) => j.leaseId);
  expect(handedBack.sort()).toEqual(['posted', 'single', 'waiting']);
  for (let i = 15; i < 25; i++) expect(chunk(i).state).toBe('withdrawn');
  let idle = false;
  void runner.whenIdle().then(() => (idle = true));
  while (unfinished(runs).length > 0) {
    for (const c of unfinished(runs)[0]) c.finish();
    await turns();
  }
  await turns();
  expect(idle).toBe(true);
  // Spans with a chunk started are finished whole, withdrawn chunks of the raced one posted again.
  expect(r.done.get('running')?.chunkInside).toEqual(expectedCounts(0, 15));
  expect(r.done.get('raced')?.chunkInside).toEqual(expectedCounts(25, 10));
  expect([...r.done.keys()].sort()).toEqual(['raced', 'running']);
  expect(r.failed.size).toBe(0);
  expect(runner.heldCount).toBe(0);
});

it('keeps on drain a span some of whose chunks are computed, even with none running at that moment', async () => {
  const { pool, runs } = scriptedPool(1);
  const runner = new ChunkRunner(pool);
  await pace(runner, runs);
  const before = runs.length;
  const r = recorder();
  runner.enqueue(span('s', 0, 100), r.cb);
  await turns();
  const [first, second] = runs.slice(before);
  for (const c of first) c.finish();
  await turns();
  expect(second.every((c) => c.state === 'queued')).toBe(true);
  expect(runner.takeWaiting()).toEqual([]);
  for (const c of second) c.finish();
  await turns();
  expect(r.done.get('s')?.chunkInside).toEqual(expectedCounts(0, 100));
});

it('computes every chunk of every job exactly once and reports each job once, in chunk order (random jobs, threads, pace, end order)', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.record({
        threads: fc.integer({ min: 1, max: 3 }),
        paceMs: fc.constantFrom(0.05, 0.5, 1, 4, 30),
        counts: fc.array(fc.integer({ min: 0, max: 70 }), { minLength: 1, maxLength: 8 }),
        order: fc.array(fc.nat(), { minLength: 1, maxLength: 50 }),
      }),
      async ({ threads, paceMs, counts, order }) => {
        const { pool, runs } = scriptedPool(threads);
        const runner = new ChunkRunner(pool);
        await pace(runner, runs, paceMs);
        const before = runs.length;
        const r = recorder();
        let next = 0;
        const jobs = counts.map((count, i) => {
          const j = span(`j${i}`, next, count);
          next += Math.max(1, count);
          return j;
        });
        for (const j of jobs) runner.enqueue(j, r.cb);
        await turns();
        for (let step = 0; unfinished(runs).length > 0; step++) {
          const open = unfinished(runs);
          for (const c of open[order[step % order.length] % open.length]) c.finish(paceMs);
          await turns();
        }
        expect(
          runs
            .slice(before)
            .flat()
            .map((c) => c.task.chunkIndex),
        ).toEqual(Array.from({ length: next }, (_, i) => i));
        for (const j of jobs) expect(r.done.get(j.leaseId)?.chunkInside).toEqual(expectedCounts(j.chunkIndex, Math.max(1, j.chunkCount!)));
        expect(runner.heldCount).toBe(0);
      },
    ),
    { numRuns: 60 },
  );
});

it('lets a run exceed runMs only with one span alone, and never beyond an equal share per thread of the waiting chunks', async () => {
  const { pool, runs } = scriptedPool(2);
  const runner = new ChunkRunner(pool);
  await pace(runner, runs);
  const before = runs.length;
  const r = recorder();
  // A lone span of 30 chunks: 15 for each thread (more than runMs), both busy at once, not 20 on one and 10 on the other.
  runner.enqueue(span('lone', 0, 30), r.cb);
  await turns();
  expect(runs.slice(before).map((run) => run.length)).toEqual([15, 15]);
  for (const run of unfinished(runs)) for (const c of run) c.finish(1);
  await turns();
  // Singles behind a span: the span's tail and the singles share a run of at most runMs (10 chunks).
  const next = runs.length;
  runner.enqueue(span('long', 100, 100), r.cb);
  for (let i = 0; i < 12; i++)
    runner.enqueue({ leaseId: `one${i}`, calculationId: 'c', chunkIndex: 300 + i, seed: '7', points: POINTS }, r.cb);
  while (unfinished(runs).length > 0) {
    for (const c of unfinished(runs)[0]) c.finish(1);
    await turns();
  }
  const lengths = runs.slice(next).map((run) => run.length);
  for (const run of runs.slice(next)) {
    const jobs = new Set(run.map((c) => (c.task.chunkIndex < 300 ? 'long' : String(c.task.chunkIndex))));
    if (run.length > 10) expect([...jobs]).toEqual(['long']);
  }
  expect(lengths.filter((n) => n > 10).length).toBeGreaterThan(0);
  expect(Math.max(...lengths)).toBeLessThanOrEqual(50);
  expect(r.done.get('long')?.chunkInside).toEqual(expectedCounts(100, 100));
  for (let i = 0; i < 12; i++) expect(r.done.get(`one${i}`)?.chunkInside).toEqual([countOf(300 + i)]);
});

it('never makes a span run longer than spanRunMs, even when equal pieces would round it up', async () => {
  const { pool, runs } = scriptedPool(1);
  const runner = new ChunkRunner(pool);
  await pace(runner, runs);
  const before = runs.length;
  const r = recorder();
  // Chunks of 80 ms (80 x POINTS at the 1 ms pace), five of them: two equal pieces would be 3 + 2 chunks, 240 ms.
  runner.enqueue({ ...span('s', 0, 5), points: 80 * POINTS }, r.cb);
  await turns();
  while (unfinished(runs).length > 0) {
    for (const c of unfinished(runs)[0]) c.finish(80);
    await turns();
  }
  const lengths = runs.slice(before).map((run) => run.length);
  expect(Math.max(...lengths) * 80).toBeLessThanOrEqual(200);
  expect(lengths.reduce((a, b) => a + b)).toBe(5);
  expect(r.done.get('s')?.chunkInside).toEqual(expectedCounts(0, 5));
});
