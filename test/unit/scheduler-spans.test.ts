/**
 * Chunk spans in the scheduler: how many chunks a lease covers (the span-size rule), who gets spans, how a span
 * result is checked whole before each chunk is recorded, and how a span lease ends (expiry, failure, backup).
 */
import { describe, expect, it } from 'vitest';
import { MemoryLeaseTokens } from '../../coordinator/core/memory-lease-tokens.js';
import { newCalculationRecord } from '../../coordinator/core/model.js';
import { Scheduler } from '../../coordinator/core/scheduler.js';
import type { Effect, LeaseGrant, ResultReport, SchedulerOptions } from '../../coordinator/core/scheduler-types.js';

type Grant = Extract<Effect, { type: 'grant' }>;

/** The hit count the fake kernel computes for a chunk. */
const truth = (index: number, points: number) => Math.floor(points * 0.78) - (index % 3);

/** The scheduler with spans that stay at spanTargetMs (maxSpanMs 0: no growth) unless `opts` says otherwise. */
function setup(opts: Partial<SchedulerOptions> = {}) {
  const tokens = new MemoryLeaseTokens();
  const s = new Scheduler(
    { ids: { calculationId: () => 'c', leaseId: () => 'l' }, tokens },
    {
      leaseTtlMs: 1000,
      prefetch: 0,
      prefetchAheadMs: 0,
      verifyRate: 0,
      verifyFirst: 0,
      initialCredits: 64,
      backoffMinMs: 0,
      maxSpanMs: 0,
      ...opts,
    },
  );
  let now = 0;
  const step = (fn: (e: Effect[]) => void = () => {}, at = now) => {
    now = at;
    const e: Effect[] = [];
    fn(e);
    s.tick(now, e);
    expect(s.violations()).toEqual([]);
    return e;
  };
  const grants = (e: Effect[]) => e.filter((x): x is Grant => x.type === 'grant').map((g) => ({ ...g.lease, connId: g.connId }));
  const connect = (connId: string, capacity: number, acceptsSpans = true, kind: 'remote' | 'local' = 'remote') =>
    grants(step((e) => s.connectWorker({ connId, workerId: connId, address: connId, kind, capacity, acceptsSpans }, now, e)));
  /** The honest result of a lease (a span result for a span), with `change` applied. */
  const report = (l: LeaseGrant, change: Partial<ResultReport> = {}): ResultReport => {
    const counts = Array.from({ length: l.chunkCount }, (_, i) => truth(l.chunkIndex + i, l.points));
    const base: ResultReport = {
      leaseId: l.leaseId,
      calculationId: l.calculationId,
      chunkIndex: l.chunkIndex,
      seed: l.seed,
      points: l.points,
      inside: counts.reduce((a, b) => a + b, 0),
      elapsedMs: 10 * l.chunkCount,
      ...(l.chunkCount > 1 ? { chunkCount: l.chunkCount, spanInside: counts } : {}),
    };
    return { ...base, ...change };
  };
  const answer = (connId: string, l: LeaseGrant, change: Partial<ResultReport> = {}, at = now) =>
    step((e) => s.result(connId, report(l, change), at, e), at);
  return { s, step, grants, connect, answer, report, tokens, now: () => now };
}

/** A distributed calculation of `chunks` chunks of 1000 points (the last one `short` points shorter). */
const calc = (id: string, chunks: number, short = 0) =>
  newCalculationRecord({ id, mode: 'distributed', points: chunks * 1000 - short, seed: 7, chunkSize: 1000, createdAtMs: 0 });

describe('span size', () => {
  it('is 1 until the typical chunk time is known, then spanTargetMs of chunks, shrinking with the backlog', () => {
    // 10 ms chunks, 50 ms target: 5 chunks per span while the backlog is large.
    const { s, connect, answer, grants } = setup({ spanTargetMs: 50 });
    s.addCalculation(calc('a', 200));
    const first = connect('w1', 1);
    expect(first.map((g) => g.chunkCount)).toEqual([1]);
    const sizes: number[] = [];
    let held = grants(answer('w1', first[0], {}, 1));
    for (let t = 2; held.length > 0; t++) {
      sizes.push(held[0].chunkCount);
      held = grants(answer('w1', held[0], {}, t));
    }
    // min(50 ms / 10 ms, ceil(backlog / (2 x 1 thread))): 5 while at least 9 chunks wait, then halving to the end.
    const expected: number[] = [];
    for (let backlog = 199; backlog > 0; backlog -= expected.at(-1)!) expected.push(Math.min(5, Math.ceil(backlog / 2)));
    expect(sizes).toEqual(expected);
    expect(sizes.slice(-4)).toEqual([5, 2, 1, 1]);
    expect(s.calculation('a')).toBeUndefined();
  });

  it('grows past spanTargetMs for a long calculation: a quarter of the per-thread backlog, at most maxSpanMs', () => {
    // 10 ms chunks, 50 ms target, 400 ms cap, one thread: min(max(5, min(40, floor(backlog / 4))), ceil(backlog / 2)).
    const sizesWith = (opts: Partial<SchedulerOptions>) => {
      const { s, connect, answer, grants } = setup({ spanTargetMs: 50, ...opts });
      s.addCalculation(calc('a', 1000));
      let held = connect('w1', 1);
      const sizes: number[] = [];
      for (let t = 1; held.length > 0; t++) {
        sizes.push(held[0].chunkCount);
        held = grants(answer('w1', held[0], {}, t));
      }
      expect(s.calculation('a')).toBeUndefined();
      return sizes;
    };
    const grown = sizesWith({ maxSpanMs: 400 });
    const expected = [1];
    for (let backlog = 999; backlog > 0; backlog -= expected.at(-1)!)
      expected.push(Math.min(Math.max(5, Math.min(40, Math.floor(backlog / 4))), Math.ceil(backlog / 2)));
    expect(grown).toEqual(expected);
    // The cap, then the growth term, then spanTargetMs, then the guided tail exactly as without growth.
    expect(grown.slice(1, 3)).toEqual([40, 40]);
    expect(grown.slice(-3)).toEqual([2, 1, 1]);
    // The same 1,000 chunks without growth: 5 a span nearly to the end.
    const flat = sizesWith({ maxSpanMs: 50 });
    expect(flat.slice(1, 3)).toEqual([5, 5]);
    expect(grown.length).toBeLessThan(flat.length / 3);
  });

  it('grows spans by the share of the backlog in chunks, so slower chunks (a loaded machine) are capped only by maxSpanMs', () => {
    const first = (elapsedMsPerChunk: number) => {
      const { s, connect, answer, grants } = setup({ spanTargetMs: 200, maxSpanMs: 1000 });
      s.addCalculation(calc('a', 400));
      const [g] = connect('w1', 2);
      return grants(answer('w1', g, { elapsedMs: elapsedMsPerChunk }, 1)).map((l) => l.chunkCount);
    };
    // Backlog 398 (two first leases out) over 2 threads: a quarter of the share is 49 chunks (200 ms of 10 ms: 20).
    expect(first(10)).toEqual([49]);
    // Chunks 4x slower: the target alone would give 5 a span (four times the leases); the growth still asks for 49,
    // and the cap (1 s of 40 ms chunks) allows 25.
    expect(first(40)).toEqual([25]);
  });

  it("starts at the kernel speed of the last calculation that ended, until the calculation's own first result", () => {
    const { s, connect, answer, grants } = setup({ spanTargetMs: 50 });
    const halves = (id: string) =>
      newCalculationRecord({ id, mode: 'distributed', points: 400 * 500, seed: 7, chunkSize: 500, createdAtMs: 0 });
    s.addCalculation(calc('a', 1));
    const [a0] = connect('w1', 1);
    // While a is running, nothing is known of the kernel's speed: b's first lease is one chunk.
    s.addCalculation(halves('b'));
    const [b0] = connect('w2', 1);
    expect([b0.calculationId, b0.chunkIndex, b0.chunkCount]).toEqual(['b', 0, 1]);
    // a ends: 10 ms for its 1000-point chunk, i.e. 0.01 ms a point. b has no result of its own yet: its 500-point
    // chunks are assumed to take 5 ms, 10 to a span of the 50 ms target (its backlog of 399 over 2 x 2 threads: 100).
    const [b1] = grants(answer('w1', a0, {}, 1));
    expect(s.calculation('a')).toBeUndefined();
    expect([b1.calculationId, b1.chunkIndex, b1.chunkCount]).toEqual(['b', 1, 10]);
    // Its own chunk time takes over at its first result: 2 ms a chunk, 25 to a span.
    const [b2] = grants(answer('w2', b0, { elapsedMs: 2 }, 2));
    expect([b2.calculationId, b2.chunkIndex, b2.chunkCount]).toEqual(['b', 11, 25]);
  });

  it("keeps the kernel speed known before when the last calculation's chunks took less than a clock millisecond", () => {
    const { s, step, connect, answer, grants } = setup({ spanTargetMs: 50 });
    // a: 10 ms for its 1000-point chunk (0.01 ms a point).
    s.addCalculation(calc('a', 1));
    const [a0] = connect('w1', 1);
    answer('w1', a0, {}, 1);
    // tiny: its one-chunk leases report 0 ms (under the clock's millisecond): no speed, not "0 ms a point".
    s.addCalculation(newCalculationRecord({ id: 'tiny', mode: 'distributed', points: 300, seed: 7, chunkSize: 100, createdAtMs: 0 }));
    let held = grants(step());
    for (let t = 2; held.length > 0; t++) held = [...held.slice(1), ...grants(answer(held[0].connId, held[0], { elapsedMs: 0 }, t))];
    expect(s.calculation('tiny')).toBeUndefined();
    // b's first wave is sized at a's speed: 1000-point chunks of 10 ms, 5 to the 50 ms target. Taken as 0 ms a point,
    // the tiny calculation gave spans of maxSpanChunks (1,024) however long b's chunks are.
    s.addCalculation(calc('b', 400));
    const first = connect('w3', 1);
    expect(first.length).toBeGreaterThan(0);
    expect(new Set(first.map((g) => `${g.calculationId} ${g.chunkCount}`))).toEqual(new Set(['b 5']));
  });

  it('starts at 1 when the last calculation ended with no chunk time known', () => {
    const { s, connect, step } = setup({ spanTargetMs: 50 });
    s.addCalculation(calc('a', 5));
    step((e) => s.cancel('a', 0, e));
    s.addCalculation(calc('b', 100));
    expect(connect('w1', 2).map((g) => g.chunkCount)).toEqual([1, 1]);
  });

  it('divides the backlog by twice the capacity of the ready remote workers', () => {
    const { s, connect, answer } = setup({ spanTargetMs: 1000 });
    s.addCalculation(calc('a', 1000));
    const [g1] = connect('w1', 1);
    // Known typical time (10 ms): 100 chunks by time; backlog 999 over 2 x (1 + 4) threads: 100.
    connect('w2', 4, false);
    const e = answer('w1', g1, {}, 1);
    const next = e.filter((x): x is Grant => x.type === 'grant').map((g) => g.lease);
    expect(next.map((l) => l.chunkCount)).toEqual([Math.ceil(999 / 10)]);
  });

  it('never crosses into the short last chunk: it goes alone', () => {
    const { s, connect, answer, grants } = setup({ spanTargetMs: 1000 });
    s.addCalculation(calc('a', 6, 1));
    const [g] = connect('w1', 1);
    const next = grants(answer('w1', g, {}, 1));
    // Backlog 5 over 2 threads: up to 3, from chunk 1: chunks 1..3.
    expect(next.map((l) => [l.chunkIndex, l.chunkCount])).toEqual([[1, 3]]);
    const after = grants(answer('w1', next[0], {}, 2));
    expect(after.map((l) => [l.chunkIndex, l.chunkCount])).toEqual([[4, 1]]);
    const last = grants(answer('w1', after[0], {}, 3));
    expect(last.map((l) => [l.chunkIndex, l.chunkCount, l.points])).toEqual([[5, 1, 999]]);
  });

  it('is always 1 for workers without accepts_chunk_spans, the local pool, verify leases, and maxSpanChunks 1', () => {
    for (const [accepts, kind, opts] of [
      [false, 'remote', {}],
      [true, 'local', {}],
      [true, 'remote', { maxSpanChunks: 1 }],
    ] as const) {
      const { s, connect, answer, grants } = setup({ spanTargetMs: 1000, ...opts });
      s.addCalculation(kind === 'local' ? { ...calc('a', 50), mode: 'single' } : calc('a', 50));
      let held = connect('w1', 2, accepts, kind);
      for (let t = 1; held.length > 0; t++) {
        for (const l of held) expect(l.chunkCount).toBe(1);
        const [l, ...rest] = held;
        held = [...rest, ...grants(answer('w1', l, {}, t))];
      }
    }
    // Every result checked: the checks are leases of one chunk, also for chunks committed by a span.
    const { s, connect, answer, grants } = setup({ spanTargetMs: 1000, verifyRate: 1 });
    s.addCalculation(calc('a', 40));
    const [g] = connect('w1', 1);
    const [span] = grants(answer('w1', g, {}, 1));
    expect(span.chunkCount).toBeGreaterThan(1);
    answer('w1', span, {}, 2);
    // A second worker takes the checks of the span's chunks first: each a lease of one chunk.
    const checks = connect('w2', 4, true).filter((l) => l.purpose === 'verify');
    expect(checks.length).toBe(4);
    for (const l of checks) expect(l.chunkCount).toBe(1);
  });
});

describe('span results', () => {
  /** A worker holding a span lease of 5 chunks (chunks 1..5), the first chunk already committed. */
  function withSpan(opts: Partial<SchedulerOptions> = {}, chunks = 200) {
    const t = setup({ spanTargetMs: 50, ...opts });
    t.s.addCalculation(calc('a', chunks));
    const [g] = t.connect('w1', 1);
    const [span] = t.grants(t.answer('w1', g, {}, 1));
    expect([span.chunkIndex, span.chunkCount]).toEqual([1, 5]);
    return { ...t, span };
  }

  it('a good span result commits each chunk as its own result', () => {
    const { s, answer, span } = withSpan();
    const e = answer('w1', span, {}, 2);
    const commits = e.flatMap((x) => (x.type === 'commit' && x.first ? [x.commit] : []));
    expect(commits.map((c) => [c.chunkIndex, c.inside, c.elapsedMs])).toEqual([1, 2, 3, 4, 5].map((i) => [i, truth(i, 1000), 10]));
    expect(s.calculation('a')!.chunksDone).toBe(6);
  });

  it('commits each chunk of a span with whole milliseconds (the store keeps elapsed_ms as an INTEGER)', () => {
    const { answer, span } = withSpan();
    // 5 chunks in 23 ms: 4.6 ms each, stored as 5.
    const e = answer('w1', span, { elapsedMs: 23 }, 2);
    const commits = e.flatMap((x) => (x.type === 'commit' && x.first ? [x.commit] : []));
    expect(commits.map((c) => c.elapsedMs)).toEqual([5, 5, 5, 5, 5]);
  });

  it.each<[string, (l: LeaseGrant, r: ResultReport) => Partial<ResultReport>, string]>([
    ['a count other than the lease', (l, r) => ({ chunkCount: 6, spanInside: [...r.spanInside!, 0], inside: r.inside }), 'lease_mismatch'],
    ['no count (a one-chunk answer)', (l, r) => ({ chunkCount: 0, spanInside: [], inside: r.spanInside![0] }), 'lease_mismatch'],
    ['an inside that is not the sum', (l, r) => ({ inside: r.inside + 1 }), 'invalid_result'],
    ['too few span counts', (l, r) => ({ spanInside: r.spanInside!.slice(1), inside: r.inside - r.spanInside![0] }), 'invalid_result'],
    [
      'a span count above points',
      (l, r) => ({ spanInside: [l.points + 1, ...r.spanInside!.slice(1)], inside: r.inside - r.spanInside![0] + l.points + 1 }),
      'invalid_result',
    ],
    [
      'a negative span count',
      (l, r) => ({ spanInside: [...r.spanInside!.slice(0, 4), -1], inside: r.inside - r.spanInside![4] - 1 }),
      'invalid_result',
    ],
    [
      'a fractional span count',
      (l, r) => ({ spanInside: [0.5, ...r.spanInside!.slice(1)], inside: r.inside - r.spanInside![0] + 0.5 }),
      'invalid_result',
    ],
  ])('a span result with %s is refused whole, every chunk goes back, the worker backs off', (_, change, reason) => {
    const { s, answer, report, span } = withSpan({ backoffMinMs: 100 });
    const e = answer('w1', span, change(span, report(span)), 2);
    expect(e.filter((x) => x.type === 'rejected').map((x) => (x as { reason: string }).reason)).toEqual([reason]);
    expect(e.some((x) => x.type === 'commit')).toBe(false);
    expect(e.flatMap((x) => (x.type === 'released' ? [[x.chunkIndex, x.reason]] : []))).toEqual(
      [1, 2, 3, 4, 5].map((i) => [i, 'invalid_result']),
    );
    expect(s.calculation('a')!.chunksDone).toBe(1);
    expect(s.calculation('a')!.chunksReleased).toBe(5);
  });

  it('a result for a lease of one chunk that carries span counts is a lease mismatch', () => {
    const { s, connect, answer, report } = setup({ backoffMinMs: 100 });
    s.addCalculation(calc('a', 10));
    const [g] = connect('w1', 1);
    const e = answer('w1', g, { spanInside: [report(g).inside] });
    expect(e.flatMap((x) => (x.type === 'rejected' ? [x.reason] : []))).toEqual(['lease_mismatch']);
    expect(e.some((x) => x.type === 'commit')).toBe(false);
  });

  it('a span lease that expires sends every chunk back; its late result still verifies with its count, and only with it', () => {
    const { s, step, answer, span, grants } = withSpan();
    const e = step(() => {}, 2 + 1000);
    expect(e.flatMap((x) => (x.type === 'released' ? [[x.chunkIndex, x.reason]] : []))).toEqual([1, 2, 3, 4, 5].map((i) => [i, 'expired']));
    expect(e.some((x) => x.type === 'revoke' && x.leaseIds.includes(span.leaseId))).toBe(true);
    // Its count altered: no lease of this worker vouches for that claim.
    const forged = answer('w1', span, { chunkCount: 4, spanInside: [1, 2, 3, 4], inside: 10 }, 1003);
    expect(forged.flatMap((x) => (x.type === 'rejected' ? [x.reason] : []))).toEqual(['unknown_lease']);
    // The genuine late copy commits the chunks no one else did (nobody holds them now: the worker is unresponsive).
    const late = answer('w1', span, {}, 1004);
    expect(late.filter((x) => x.type === 'rejected')).toEqual([]);
    const firsts = late.flatMap((x) => (x.type === 'commit' && x.first ? [x.commit.chunkIndex] : []));
    expect(firsts).toEqual([1, 2, 3, 4, 5]);
    expect(grants(late)).toEqual([]);
    expect(s.calculation('a')!.chunksDone).toBe(6);
  });

  it('a span liar quarantined part-way sends the unrecorded rest of its span back (none is orphaned)', () => {
    // x (one chunk a lease) lets chunks 1..4 expire; w then takes them with fresh chunk 5 as one span. x's late
    // answers commit 1..4, v confirms them, and w's span lies about chunk 2: w is quarantined while recording its
    // own span, after its lease ended. Chunk 5 was only ever in that span: it must go back to the queue.
    const { s, step, connect, answer, grants, report } = setup({ spanTargetMs: 50, verifyRate: 1 });
    s.addCalculation(calc('a', 40));
    const [first, ...held] = connect('x', 4, false);
    held.push(...grants(answer('x', first, {}, 1)));
    expect(held.map((l) => l.chunkIndex)).toEqual([1, 2, 3, 4]);
    step(() => {}, 1500);
    const span = connect('w', 2, true).find((l) => l.purpose === 'primary')!;
    expect([span.chunkIndex, span.chunkCount]).toEqual([1, 5]);
    const open: Array<LeaseGrant & { connId: string }> = [];
    for (const l of held) open.push(...grants(answer('x', l, {}, 1502)));
    for (const l of connect('v', 8, false)) {
      if (l.purpose === 'verify') open.push(...grants(answer('v', l, {}, 1504)));
      else open.push({ ...l, connId: 'v' });
    }
    const honest = report(span);
    const lie = honest.spanInside!.map((n, i) => (i === 1 ? n + 1 : n));
    const e = answer('w', span, { spanInside: lie, inside: honest.inside + 1 }, 1505);
    expect(e).toContainEqual(expect.objectContaining({ type: 'quarantined' }));
    expect(e.flatMap((x) => (x.type === 'released' ? [[x.chunkIndex, x.reason]] : []))).toEqual([[5, 'quarantined']]);
    // Every chunk still gets computed: the honest workers answer everything they hold until the calculation ends.
    open.push(...grants(e));
    let ended: string | undefined;
    for (let t = 1506; open.length > 0; t++) {
      const fx = answer(open[0].connId, open.shift()!, {}, t);
      open.push(...grants(fx));
      for (const x of fx) if (x.type === 'calculation' && x.calculation.status !== 'running') ended = x.calculation.status;
    }
    expect(ended).toBe('completed');
  });

  it('a span whose own chunk quarantines its worker sends the chunks after it back to the queue', () => {
    // Found by test/unit/scheduler-properties.test.ts: the answered span lease was detached, the loop stopped at the
    // quarantine, and the chunks after it were neither committed, leased nor waiting (the calculation never ended).
    const { s, step, grants, answer, report, tokens } = setup({ spanTargetMs: 1000 });
    const hello = (connId: string, capacity: number) => ({
      connId,
      workerId: 'x',
      address: connId,
      kind: 'remote' as const,
      capacity,
      acceptsSpans: true,
    });
    s.addCalculation(calc('a', 10));
    // x's first stream takes chunks 0 and 1 (one each: no chunk time known yet), then is lost.
    const [, g1] = grants(step((e) => s.connectWorker(hello('x1', 2), 0, e)));
    step((e) => s.disconnectWorker('x1', e));
    // The same process on a new stream: chunk 0, then (10 ms known) a span of chunks 1..5.
    const [g0] = grants(step((e) => s.connectWorker(hello('x2', 1), 0, e)));
    const [span] = grants(answer('x2', g0, {}, 1));
    expect([span.chunkIndex, span.chunkCount]).toEqual([1, 5]);
    expect(tokens.verify(g1.leaseId, { ...g1, workerId: 'x', instanceId: '' })).toBe(true);
    // The lost stream's result for chunk 1 arrives (a valid token): chunk 1 is committed while the span is out.
    answer('x2', g1, {}, 2);
    expect(s.calculation('a')?.chunksDone).toBe(2);
    // The span's answer contradicts x's own count for chunk 1: x is quarantined at its first chunk.
    const honest = report(span);
    const lie = [honest.spanInside![0] + 1, ...honest.spanInside!.slice(1)];
    const e = answer('x2', span, { spanInside: lie, inside: lie.reduce((a, b) => a + b, 0) }, 3);
    expect(e.some((x) => x.type === 'quarantined')).toBe(true);
    // Chunks 2..5 are waiting again (the step's invariant check would have failed otherwise), released as such.
    const released = e.flatMap((x) => (x.type === 'released' && x.reason === 'quarantined' ? [x.chunkIndex] : []));
    expect(released).toEqual(expect.arrayContaining([2, 3, 4, 5]));
    expect(s.calculation('a')?.chunksReleased).toBeGreaterThanOrEqual(4);
  });

  it('a failed span counts a failure for each of its chunks', () => {
    const { s, step, span } = withSpan({ maxChunkAttempts: 1 });
    const e = step((fx) => s.failure('w1', { leaseId: span.leaseId, code: 'KERNEL_ERROR', message: 'boom' }, 2, fx), 2);
    const ended = e.flatMap((x) => (x.type === 'calculation' && x.calculation.status === 'failed' ? [x.calculation] : []));
    expect(ended[0]?.error).toMatch(/^chunk 1 failed 1 times/);
  });

  it('a straggling span gets a backup copy of the same span, from a worker that accepts spans', () => {
    const { s, step, connect, answer, grants, span } = withSpan({ stragglerMinMs: 100, stragglerFactor: 1, leaseTtlMs: 10_000 }, 12);
    // Nothing else waits once the rest is leased (to a worker that does not take spans and answers nothing).
    expect(connect('w3', 64, false)).toHaveLength(6);
    connect('w2', 1, true);
    const e = step(() => s.heartbeat('w1', [span.leaseId], 500), 500);
    const backups = grants(e).filter((l) => l.purpose === 'backup');
    const copy = backups.find((l) => l.chunkIndex === span.chunkIndex);
    expect(copy).toMatchObject({ chunkIndex: 1, chunkCount: 5, connId: 'w2' });
    // The copy answers first: every chunk commits; the original then is five duplicates.
    const first = answer('w2', copy!, {}, 501);
    expect(first.filter((x) => x.type === 'commit' && x.first).length).toBe(5);
    const second = answer('w1', span, {}, 502);
    expect(second.filter((x) => x.type === 'duplicate').length).toBe(5);
  });
});
