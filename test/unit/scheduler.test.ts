import { describe, expect, it } from 'vitest';
import { newCalculationRecord, type CalculationRecord } from '../../coordinator/core/model.js';
import { Scheduler } from '../../coordinator/core/scheduler.js';
import type { Effect, LeaseGrant } from '../../coordinator/core/scheduler-types.js';
import { MemoryLeaseTokens } from '../../coordinator/core/memory-lease-tokens.js';
import { chunkCount, chunkPoints } from '../../coordinator/core/chunk-plan.js';

function calc(
  id: string,
  points: number,
  chunkSize: number,
  mode: 'single' | 'distributed' = 'distributed',
  createdAtMs = 0,
): CalculationRecord {
  return newCalculationRecord({ id, mode, points, seed: 7, chunkSize, createdAtMs });
}

/** A deterministic "kernel": the hit count of a chunk depends only on (calc, chunk). */
const insideOf = (l: LeaseGrant) => Math.floor(l.points * 0.78) - (l.chunkIndex % 3);

/**
 * A scheduler with the trust features that the older tests do not exercise turned off (no checks, full credits at
 * once, no backoff); the tests of those features turn them on. Every step is followed by the invariant check.
 */
function setup(opts: Partial<ConstructorParameters<typeof Scheduler>[1]> = {}, tokens = new MemoryLeaseTokens()) {
  let n = 0;
  const s = new Scheduler(
    { ids: { calculationId: () => `c${++n}`, leaseId: () => `L${++n}` }, tokens },
    { leaseTtlMs: 1000, prefetch: 0, verifyRate: 0, verifyFirst: 0, initialCredits: 64, backoffMinMs: 0, ...opts },
  );
  const step = (fn: (e: Effect[]) => void, now: number) => {
    const e: Effect[] = [];
    fn(e);
    s.tick(now, e);
    expect(s.violations()).toEqual([]);
    return e;
  };
  const grants = (e: Effect[]) => e.filter((x): x is Extract<Effect, { type: 'grant' }> => x.type === 'grant');
  const result = (conn: string, l: LeaseGrant, now: number, inside = insideOf(l)) =>
    step(
      (e) =>
        s.result(
          conn,
          {
            leaseId: l.leaseId,
            calculationId: l.calculationId,
            chunkIndex: l.chunkIndex,
            seed: l.seed,
            points: l.points,
            inside,
            elapsedMs: 10,
          },
          now,
          e,
        ),
      now,
    );
  return { s, step, grants, result };
}

describe('chunk planning', () => {
  it.each([
    [10, 3, 4, [3, 3, 3, 1]],
    [9, 3, 3, [3, 3, 3]],
    [1, 1000, 1, [1]],
    [10_000_000_000_000, 2_000_000_000, 5000, null],
  ])('splits %d points in chunks of %d deterministically', (points, size, count, sizes) => {
    expect(chunkCount(points, size)).toBe(count);
    const all = Array.from({ length: count }, (_, i) => chunkPoints(points, size, i));
    expect(all.reduce((a, b) => a + b, 0)).toBe(points);
    if (sizes) expect(all).toEqual(sizes);
    expect(() => chunkPoints(points, size, count)).toThrow(RangeError);
  });
});

describe('credit-based leasing', () => {
  it('never grants a worker more than capacity + prefetch leases', () => {
    const { s, step, grants } = setup({ prefetch: 1 });
    s.addCalculation(calc('a', 100_000, 1000));
    const e = step(() => s.connectWorker({ connId: 'w1', workerId: 'w1', address: 'x', kind: 'remote', capacity: 2 }, 0), 0);
    expect(grants(e)).toHaveLength(3);
    expect(grants(step(() => {}, 1))).toHaveLength(0);
    expect(s.snapshot(1).leasesInFlight).toBe(3);
  });

  it.each([
    [50, 17],
    [0, 2],
  ])('with PIGRID_PREFETCH_AHEAD_MS=%d a worker answering every 1 ms may hold up to %d leases, fewer once it slows', (aheadMs, most) => {
    const { s, step, grants, result } = setup({ prefetch: 1, prefetchAheadMs: aheadMs });
    s.addCalculation(calc('a', 10_000_000, 1000));
    const held = grants(step(() => s.connectWorker({ connId: 'w1', workerId: 'w1', address: 'x', kind: 'remote', capacity: 1 }, 0), 0));
    let now = 0;
    const answer = (gapMs: number, times: number) => {
      let most = 0;
      for (let i = 0; i < times; i++) {
        now += gapMs;
        held.push(...grants(result('w1', held.shift()!.lease, now)));
        most = Math.max(most, s.leasesOf('w1').length);
      }
      return most;
    };
    // 50 ms of leases at one result per ms, capped at 16 per thread beyond its one thread.
    expect(answer(1, 200)).toBe(most);
    // At one result per 100 ms, 50 ms of work is one lease beyond capacity: the prefetch comes down as leases return.
    answer(100, 100);
    expect(s.leasesOf('w1')).toHaveLength(2);
  });

  it('reads a burst of results as a burst, not as a fast worker: second-long chunks keep the fixed prefetch', () => {
    const { s, step, grants, result } = setup({ prefetch: 1, prefetchAheadMs: 50 });
    s.addCalculation(calc('a', 10_000_000, 1000));
    const held = grants(step(() => s.connectWorker({ connId: 'w1', workerId: 'w1', address: 'x', kind: 'remote', capacity: 2 }, 0), 0));
    let now = 0;
    let most = 0;
    // Two results at once (one read, or two threads finishing together), then nothing for a second: 500 ms per result.
    for (let i = 0; i < 40; i++) {
      now += i % 2 === 1 ? 0 : 1_000;
      held.push(...grants(result('w1', held.shift()!.lease, now)));
      most = Math.max(most, s.leasesOf('w1').length);
    }
    expect(most).toBe(3);
  });

  it('spreads leases over workers and refills a credit when a result arrives', () => {
    const { s, step, grants, result } = setup();
    s.addCalculation(calc('a', 10_000, 1000));
    step(() => s.connectWorker({ connId: 'w1', workerId: 'w1', address: 'x', kind: 'remote', capacity: 1 }, 0), 0);
    const e = step(() => s.connectWorker({ connId: 'w2', workerId: 'w2', address: 'y', kind: 'remote', capacity: 1 }, 0), 0);
    expect(grants(e).map((g) => g.connId)).toEqual(['w2']);
    const first = s.leasesOf('w1');
    expect(first).toHaveLength(1);
    const [g] = grants(e);
    const next = grants(result('w2', g.lease, 5));
    expect(next).toHaveLength(1);
    expect(next[0].connId).toBe('w2');
  });

  it('grants nothing once the coordinator stops granting, but still commits results', () => {
    const { s, step, grants, result } = setup();
    s.addCalculation(calc('a', 5000, 1000));
    const [g] = grants(step(() => s.connectWorker({ connId: 'w', workerId: 'w', address: 'x', kind: 'remote', capacity: 1 }, 0), 0));
    s.stopGranting();
    const e = result('w', g.lease, 1);
    expect(e.filter((x) => x.type === 'commit')).toHaveLength(1);
    expect(grants(e)).toHaveLength(0);
  });

  it('gives one worker id its capacity once: a second stream of the same worker takes over from the first', () => {
    const { s, step, grants } = setup({ prefetch: 0 });
    s.addCalculation(calc('a', 100_000, 1000));
    step(
      () =>
        s.connectWorker({ connId: 'v4', workerId: 'pod-1', instanceId: 'p1', address: '10.0.0.1:50061', kind: 'remote', capacity: 2 }, 0),
      0,
    );
    const e = step(
      () =>
        s.connectWorker({ connId: 'v6', workerId: 'pod-1', instanceId: 'p1', address: '[fd00::1]:50061', kind: 'remote', capacity: 2 }, 1),
      1,
    );
    expect(grants(e).map((g) => g.connId)).toEqual(['v6', 'v6']);
    expect(s.snapshot(1).workers.find((w) => w.connId === 'v4')).toMatchObject({ state: 'draining', inFlight: 2 });
    expect(s.snapshot(1).totalCapacity).toBe(2);
  });

  it('leases nothing to a draining worker and single-mode work only to the local pool', () => {
    const { s, step, grants } = setup();
    s.addCalculation(calc('d', 5000, 1000, 'distributed'));
    s.addCalculation(calc('s', 5000, 1000, 'single'));
    const e = step(() => {
      s.connectWorker({ connId: 'w1', workerId: 'w1', address: 'x', kind: 'remote', capacity: 4, draining: true }, 0);
      s.connectWorker({ connId: 'local', workerId: 'coordinator', address: 'local', kind: 'local', capacity: 2 }, 0);
    }, 0);
    expect(grants(e).map((g) => [g.connId, g.lease.calculationId])).toEqual([
      ['local', 's'],
      ['local', 's'],
    ]);
  });
});

describe('commit', () => {
  it('completes a calculation with the exact sum of chunk hit counts, whatever the order', () => {
    const { s, step, grants, result } = setup();
    s.addCalculation(calc('a', 3500, 1000));
    let e = step(() => s.connectWorker({ connId: 'w', workerId: 'w', address: 'x', kind: 'remote', capacity: 4 }, 0), 0);
    const leases = grants(e)
      .map((g) => g.lease)
      .reverse();
    let last: Effect[] = [];
    for (const l of leases) last = result('w', l, 10);
    const final = last.filter((x) => x.type === 'calculation').pop() as Extract<Effect, { type: 'calculation' }>;
    expect(final.calculation.status).toBe('completed');
    expect(final.calculation.inside).toBe(leases.reduce((sum, l) => sum + insideOf(l), 0));
    expect(final.calculation.pointsDone).toBe(3500);
    expect(s.snapshot(20).activeCalculations).toBe(0);
    e = step(() => {}, 20);
    expect(grants(e)).toHaveLength(0);
  });

  it('counts a chunk once when its result arrives twice; a worker that contradicts itself is quarantined', () => {
    const { s, step, grants, result } = setup();
    s.addCalculation(calc('a', 3000, 1000));
    const e = step(() => s.connectWorker({ connId: 'w', workerId: 'w', address: 'x', kind: 'remote', capacity: 3 }, 0), 0);
    const [l0, l1] = grants(e).map((g) => g.lease);
    const commits1 = result('w', l0, 1).filter((x) => x.type === 'commit');
    expect(commits1).toHaveLength(1);
    const again = result('w', l0, 2);
    expect(again.filter((x) => x.type === 'commit')).toHaveLength(0);
    expect(again.some((x) => x.type === 'duplicate')).toBe(true);
    const contradiction = result('w', l0, 3, insideOf(l0) + 1);
    expect(contradiction).toContainEqual(expect.objectContaining({ type: 'quarantined', recomputed: 1 }));
    expect(contradiction).toContainEqual({ type: 'uncommit', calculationId: 'a', chunkIndex: 0 });
    expect(contradiction.some((x) => x.type === 'revoke' && x.leaseIds.includes(l1.leaseId))).toBe(true);
    expect(s.calculation('a')).toMatchObject({ status: 'running', chunksDone: 0, inside: 0, chunksRecomputed: 1 });
    expect(s.snapshot(3).workers[0]).toMatchObject({ state: 'quarantined', inFlight: 0 });
  });

  it('rejects a result that names another chunk than its lease, and leases that chunk again', () => {
    const { s, step, grants, result } = setup();
    s.addCalculation(calc('a', 3000, 1000));
    const [g0, g1] = grants(step(() => s.connectWorker({ connId: 'w', workerId: 'w', address: 'x', kind: 'remote', capacity: 2 }, 0), 0));
    const e = step((ef) => s.result('w', { ...g0.lease, chunkIndex: 2, points: 1000, inside: 5, elapsedMs: 1 }, 1, ef), 1);
    expect(e.filter((x) => x.type === 'commit')).toHaveLength(0);
    expect(e).toContainEqual(expect.objectContaining({ type: 'rejected', reason: 'lease_mismatch' }));
    // Chunk 0 went back to the queue and was leased again; nothing is stuck.
    const again = grants(e);
    expect(again.map((x) => x.lease.chunkIndex)).toEqual([0]);
    const [l2] = grants(result('w', g1.lease, 2)).map((g) => g.lease);
    expect(l2.chunkIndex).toBe(2);
    result('w', again[0].lease, 3);
    const end = result('w', l2, 4);
    expect((end.filter((x) => x.type === 'calculation').pop() as Extract<Effect, { type: 'calculation' }>).calculation.status).toBe(
      'completed',
    );
  });

  it('refuses a result whose seed or points do not match its lease', () => {
    const { s, step, grants } = setup();
    s.addCalculation(calc('a', 3000, 1000));
    const [g] = grants(step(() => s.connectWorker({ connId: 'w', workerId: 'w', address: 'x', kind: 'remote', capacity: 1 }, 0), 0));
    const e = step((ef) => s.result('w', { ...g.lease, seed: 8, inside: 5, elapsedMs: 1 }, 1, ef), 1);
    expect(e.filter((x) => x.type === 'commit')).toHaveLength(0);
    expect(e.some((x) => x.type === 'rejected' && x.reason === 'lease_mismatch' && x.detail.includes('seed 8'))).toBe(true);
    expect(grants(e).map((x) => x.lease.chunkIndex)).toEqual([0]);
  });
});

describe('loss, expiry, re-lease', () => {
  it('re-leases the chunks of a lost worker', () => {
    const { s, step, grants } = setup();
    s.addCalculation(calc('a', 4000, 1000));
    step(() => s.connectWorker({ connId: 'w1', workerId: 'w1', address: 'x', kind: 'remote', capacity: 2 }, 0), 0);
    const held = s.leasesOf('w1').length;
    expect(held).toBe(2);
    const e = step((ef) => {
      s.disconnectWorker('w1', ef);
      s.connectWorker({ connId: 'w2', workerId: 'w2', address: 'y', kind: 'remote', capacity: 4 }, 1);
    }, 1);
    expect(e.filter((x) => x.type === 'released' && x.reason === 'worker_lost')).toHaveLength(2);
    expect(
      grants(e)
        .map((g) => g.lease.chunkIndex)
        .sort(),
    ).toEqual([0, 1, 2, 3]);
  });

  it('expires a lease whose heartbeats stopped, and keeps one that is renewed', () => {
    const { s, step, grants } = setup({ leaseTtlMs: 1000 });
    s.addCalculation(calc('a', 2000, 1000));
    const e0 = step(() => {
      s.connectWorker({ connId: 'w1', workerId: 'w1', address: 'x', kind: 'remote', capacity: 1 }, 0);
      s.connectWorker({ connId: 'w2', workerId: 'w2', address: 'y', kind: 'remote', capacity: 1 }, 0);
    }, 0);
    const byConn = new Map(grants(e0).map((g) => [g.connId, g.lease]));
    s.heartbeat('w1', [byConn.get('w1')!.leaseId], 900);
    const e1 = step(() => {}, 1000);
    const revoked = e1.filter((x) => x.type === 'revoke');
    expect(revoked).toEqual([{ type: 'revoke', connId: 'w2', leaseIds: [byConn.get('w2')!.leaseId], reason: 'EXPIRED' }]);
    expect(e1.some((x) => x.type === 'released' && x.reason === 'expired')).toBe(true);
    // w2 let a lease lapse: it gets nothing until it shows life again.
    expect(e1).toContainEqual(expect.objectContaining({ type: 'worker', connId: 'w2', event: 'unresponsive' }));
    expect(grants(e1)).toHaveLength(0);
    expect(s.snapshot(1000).workers.find((w) => w.connId === 'w2')?.state).toBe('unresponsive');
    expect(step(() => {}, 1899).filter((x) => x.type === 'revoke')).toHaveLength(0);
    const back = step((ef) => s.heartbeat('w2', [], 1900, ef), 1900);
    expect(back).toContainEqual(expect.objectContaining({ type: 'worker', connId: 'w2', event: 'alive' }));
    expect(grants(back).map((g) => [g.connId, g.lease.chunkIndex])).toEqual([['w2', byConn.get('w2')!.chunkIndex]]);
  });

  it('adopts a late result of an expired lease, and matches the re-leased copy against it', () => {
    const { s, step, grants, result } = setup({ leaseTtlMs: 1000 });
    s.addCalculation(calc('a', 1000, 1000));
    const [g1] = grants(step(() => s.connectWorker({ connId: 'w1', workerId: 'w1', address: 'x', kind: 'remote', capacity: 1 }, 0), 0));
    const [g2] = grants(
      step(() => s.connectWorker({ connId: 'w2', workerId: 'w2', address: 'y', kind: 'remote', capacity: 1 }, 1500), 1500),
    );
    expect(g2.lease.chunkIndex).toBe(g1.lease.chunkIndex);
    const late = result('w1', g1.lease, 1600);
    expect(late.filter((x) => x.type === 'commit')).toHaveLength(1);
    // The calculation ended with the adopted copy; the re-leased copy goes to the adapter to be compared.
    const end = result('w2', g2.lease, 1700);
    expect(end).toContainEqual(
      expect.objectContaining({ type: 'late', connId: 'w2', report: expect.objectContaining({ chunkIndex: g1.lease.chunkIndex }) }),
    );
  });

  it('retries a chunk whose kernel fails, then fails the calculation naming the chunk', () => {
    const { s, step, grants } = setup({ maxChunkAttempts: 2 });
    s.addCalculation(calc('a', 1000, 1000));
    let [g] = grants(step(() => s.connectWorker({ connId: 'w', workerId: 'w', address: 'x', kind: 'remote', capacity: 1 }, 0), 0));
    let e = step((ef) => s.failure('w', { leaseId: g.lease.leaseId, code: 'KERNEL_ERROR', message: 'boom' }, 1, ef), 1);
    [g] = grants(e);
    expect(g.lease.chunkIndex).toBe(0);
    e = step((ef) => s.failure('w', { leaseId: g.lease.leaseId, code: 'KERNEL_ERROR', message: 'boom' }, 2, ef), 2);
    const ended = e.filter((x) => x.type === 'calculation').pop() as Extract<Effect, { type: 'calculation' }>;
    expect(ended.calculation.status).toBe('failed');
    expect(ended.calculation.errorCode).toBe('CHUNK_FAILED');
    expect(ended.calculation.error).toMatch(/chunk 0 failed 2 times.*boom/);
  });

  it('takes back an unstarted lease without counting a failure', () => {
    const { s, step, grants } = setup({ maxChunkAttempts: 1 });
    s.addCalculation(calc('a', 1000, 1000));
    const [g] = grants(step(() => s.connectWorker({ connId: 'w', workerId: 'w', address: 'x', kind: 'remote', capacity: 1 }, 0), 0));
    const e = step((ef) => {
      s.drainWorker('w');
      s.failure('w', { leaseId: g.lease.leaseId, code: 'LEASE_RETURNED', message: 'draining' }, 1, ef);
    }, 1);
    expect(e.some((x) => x.type === 'released' && x.reason === 'returned')).toBe(true);
    expect(s.snapshot(1).backlogChunks).toBe(1);
    expect(s.calculation('a')?.status).toBe('running');
  });
});

describe('stragglers, cancel, fairness, restart', () => {
  it('backs up a straggler on an idle worker once nothing else is left', () => {
    const { s, step, grants, result } = setup({ stragglerFactor: 3, stragglerMinMs: 100, leaseTtlMs: 60_000 });
    s.addCalculation(calc('a', 2000, 1000));
    const e = step(() => {
      s.connectWorker({ connId: 'slow', workerId: 'slow', address: 'x', kind: 'remote', capacity: 1 }, 0);
      s.connectWorker({ connId: 'fast', workerId: 'fast', address: 'y', kind: 'remote', capacity: 1 }, 0);
    }, 0);
    const fast = grants(e).find((g) => g.connId === 'fast')!;
    const slow = grants(e).find((g) => g.connId === 'slow')!;
    expect(grants(result('fast', fast.lease, 10))).toHaveLength(0);
    expect(grants(step(() => {}, 99))).toHaveLength(0);
    const backup = grants(step(() => {}, 200));
    expect(backup).toHaveLength(1);
    expect(backup[0]).toMatchObject({ connId: 'fast', lease: { chunkIndex: slow.lease.chunkIndex, purpose: 'backup' } });
    const done = result('fast', backup[0].lease, 210);
    expect((done.filter((x) => x.type === 'calculation').pop() as Extract<Effect, { type: 'calculation' }>).calculation.status).toBe(
      'completed',
    );
  });

  it('cancels: revokes outstanding leases and keeps partial progress', () => {
    const { s, step, grants, result } = setup();
    s.addCalculation(calc('a', 5000, 1000));
    const gs = grants(step(() => s.connectWorker({ connId: 'w', workerId: 'w', address: 'x', kind: 'remote', capacity: 2 }, 0), 0));
    result('w', gs[0].lease, 1);
    const e: Effect[] = [];
    const rec = s.cancel('a', 2, e)!;
    expect(rec).toMatchObject({ status: 'cancelled', chunksDone: 1, pointsDone: 1000, errorCode: 'CANCELLED_BY_CLIENT' });
    const revoke = e.find((x) => x.type === 'revoke') as Extract<Effect, { type: 'revoke' }>;
    expect(revoke.reason).toBe('CANCELLED');
    expect(revoke.leaseIds).toHaveLength(2);
    expect(s.leasesOf('w')).toHaveLength(0);
  });

  it('shares the pool fairly: a small calculation behind a huge one gets leases at once', () => {
    const { s, step, grants } = setup();
    s.addCalculation(calc('huge', 1_000_000, 1000, 'distributed', 0));
    step(() => s.connectWorker({ connId: 'w', workerId: 'w', address: 'x', kind: 'remote', capacity: 4 }, 0), 0);
    s.addCalculation(calc('small', 2000, 1000, 'distributed', 1));
    const held = s.leasesOf('w');
    // Two huge leases end; the freed credits go to the small calculation, which has nothing in flight.
    const e = step((ef) => {
      s.failure('w', { leaseId: held[0], code: 'LEASE_RETURNED', message: '' }, 2, ef);
      s.failure('w', { leaseId: held[1], code: 'LEASE_RETURNED', message: '' }, 2, ef);
    }, 2);
    expect(grants(e).map((g) => g.lease.calculationId)).toEqual(['small', 'small']);
  });

  it('resumes a calculation with its committed chunks and leases only the rest', () => {
    const { s, step, grants, result } = setup();
    const rec = calc('a', 4000, 1000);
    rec.status = 'running';
    const stored = (chunkIndex: number, inside: number) => ({
      calculationId: 'a',
      chunkIndex,
      points: 1000,
      inside,
      workerId: 'old',
      instanceId: 'i0',
      elapsedMs: 5,
      committedAtMs: 0,
      verifiedBy: null,
      check: 'none' as const,
    });
    s.addCalculation(
      { ...rec, inside: 1500, pointsDone: 2000, chunksDone: 2 },
      new Map([
        [0, stored(0, 700)],
        [2, stored(2, 800)],
      ]),
    );
    const gs = grants(step(() => s.connectWorker({ connId: 'w', workerId: 'w', address: 'x', kind: 'remote', capacity: 4 }, 0), 0));
    expect(gs.map((g) => g.lease.chunkIndex).sort()).toEqual([1, 3]);
    result('w', gs[0].lease, 1);
    const end = result('w', gs[1].lease, 2);
    const done = (end.filter((x) => x.type === 'calculation').pop() as Extract<Effect, { type: 'calculation' }>).calculation;
    expect(done.status).toBe('completed');
    expect(done.inside).toBe(1500 + insideOf(gs[0].lease) + insideOf(gs[1].lease));
  });
});

describe('trust: a result must answer a lease', () => {
  const connect = (s: Scheduler, connId: string, capacity = 1, instanceId = `${connId}-i`) =>
    s.connectWorker({ connId, workerId: connId, instanceId, address: connId, kind: 'remote', capacity }, 0);

  it('rejects results for leases it never granted, and a lease of one worker replayed by another', () => {
    const { s, step, grants } = setup();
    s.addCalculation(calc('a', 3000, 1000));
    const gs = grants(
      step(() => {
        connect(s, 'honest');
        connect(s, 'forger');
      }, 0),
    );
    const honest = gs.find((g) => g.connId === 'honest')!.lease;
    const invented = step((ef) => s.result('forger', { ...honest, leaseId: 'L999', chunkIndex: 2, inside: 1, elapsedMs: 1 }, 1, ef), 1);
    const replayed = step((ef) => s.result('forger', { ...honest, inside: 1, elapsedMs: 1 }, 2, ef), 2);
    for (const e of [invented, replayed]) {
      expect(e.filter((x) => x.type === 'commit')).toHaveLength(0);
      expect(e).toContainEqual(expect.objectContaining({ type: 'rejected', connId: 'forger', reason: 'unknown_lease' }));
    }
    expect(s.calculation('a')).toMatchObject({ chunksDone: 0, inside: 0 });
    expect(s.leasesOf('honest')).toEqual([honest.leaseId]);
  });

  it('after a restart adopts a genuine result from the outbox and never a forged one', () => {
    const tokens = new MemoryLeaseTokens();
    const before = setup({}, tokens);
    before.s.addCalculation(calc('a', 2000, 1000));
    const [g] = before.grants(before.step(() => connect(before.s, 'w', 1), 0));
    // The coordinator restarts: a new scheduler with the same key, the calculation reloaded from the store.
    const after = setup({}, tokens);
    const rec = calc('a', 2000, 1000);
    rec.status = 'running';
    after.s.addCalculation(rec);
    after.step(() => connect(after.s, 'w', 1), 10);
    const forged = after.step((ef) => after.s.result('w', { ...g.lease, chunkIndex: 1, inside: 5, elapsedMs: 1 }, 11, ef), 11);
    expect(forged).toContainEqual(expect.objectContaining({ type: 'rejected', reason: 'unknown_lease' }));
    const genuine = after.result('w', g.lease, 12);
    expect(genuine.filter((x) => x.type === 'commit')).toHaveLength(1);
    expect(after.s.calculation('a')?.chunksDone).toBe(1);
  });
});

describe('trust is earned and bounded', () => {
  it('caps announced capacity and lets a new worker hold only what it has earned', () => {
    const { s, step, grants, result } = setup({ initialCredits: 2, prefetch: 1, maxWorkerCapacity: 8 });
    s.addCalculation(calc('a', 100_000, 1000));
    const first = grants(
      step(() => s.connectWorker({ connId: 'big', workerId: 'big', address: 'x', kind: 'remote', capacity: 1_000_000 }, 0), 0),
    );
    expect(first).toHaveLength(3);
    expect(s.snapshot(0).workers[0]).toMatchObject({ capacity: 8, credits: 3 });
    // Each accepted result earns one more credit: the freed one plus a new one.
    expect(grants(result('big', first[0].lease, 1))).toHaveLength(2);
    expect(s.snapshot(1).workers[0].credits).toBe(4);
  });

  it('backs off a worker that hands back leases, longer each time, instead of re-leasing in a hot loop', () => {
    const { s, step, grants } = setup({ backoffMinMs: 100, backoffMaxMs: 1000 });
    s.addCalculation(calc('a', 10_000, 1000));
    let [g] = grants(step(() => s.connectWorker({ connId: 'w', workerId: 'w', address: 'x', kind: 'remote', capacity: 1 }, 0), 0));
    const returnIt = (now: number) =>
      step((ef) => s.failure('w', { leaseId: g.lease.leaseId, code: 'LEASE_RETURNED', message: '' }, now, ef), now);
    const e1 = returnIt(1);
    expect(grants(e1)).toHaveLength(0);
    expect(e1).toContainEqual(expect.objectContaining({ type: 'worker', event: 'backoff', detail: 'no new lease for 100 ms' }));
    expect(grants(step(() => {}, 100))).toHaveLength(0);
    [g] = grants(step(() => {}, 101));
    expect(returnIt(102)).toContainEqual(expect.objectContaining({ event: 'backoff', detail: 'no new lease for 200 ms' }));
    expect(grants(step(() => {}, 301))).toHaveLength(0);
    expect(grants(step(() => {}, 302))).toHaveLength(1);
  });

  it('a second hello with the same worker id from another process takes nothing from the first', () => {
    const { s, step, grants } = setup();
    s.addCalculation(calc('a', 10_000, 1000));
    step(() => s.connectWorker({ connId: 'real', workerId: 'pod-1', instanceId: 'A', address: 'x', kind: 'remote', capacity: 1 }, 0), 0);
    const e = step(
      (ef) => s.connectWorker({ connId: 'impostor', workerId: 'pod-1', instanceId: 'B', address: 'y', kind: 'remote', capacity: 1 }, 1, ef),
      1,
    );
    expect(e).toContainEqual(expect.objectContaining({ type: 'worker', connId: 'impostor', event: 'identity_conflict' }));
    expect(s.snapshot(1).workers.find((w) => w.connId === 'real')).toMatchObject({ state: 'ready', inFlight: 1 });
    expect(grants(e).map((g) => g.connId)).toEqual(['impostor']);
  });
});

describe('verification by recomputation', () => {
  const local = (s: Scheduler) =>
    s.connectWorker({ connId: 'local', workerId: 'coordinator', address: 'local', kind: 'local', capacity: 1 }, 0);

  it("checks a new worker's first result on another worker, and completes only once it is confirmed", () => {
    const { s, step, grants, result } = setup({ verifyFirst: 1 });
    s.addCalculation(calc('a', 1000, 1000));
    const gs = grants(
      step(() => {
        s.connectWorker({ connId: 'w1', workerId: 'w1', instanceId: '1', address: 'x', kind: 'remote', capacity: 1 }, 0);
        s.connectWorker({ connId: 'w2', workerId: 'w2', instanceId: '2', address: 'y', kind: 'remote', capacity: 1 }, 0);
      }, 0),
    );
    expect(gs).toHaveLength(1);
    const e = result(gs[0].connId, gs[0].lease, 5);
    expect(s.calculation('a')).toMatchObject({ status: 'running', chunksDone: 1 });
    const check = grants(e);
    expect(check).toHaveLength(1);
    expect(check[0].connId).not.toBe(gs[0].connId);
    expect(check[0].lease).toMatchObject({ chunkIndex: 0, purpose: 'verify' });
    const done = result(check[0].connId, check[0].lease, 9);
    const rec = (done.filter((x) => x.type === 'calculation').pop() as Extract<Effect, { type: 'calculation' }>).calculation;
    expect(rec).toMatchObject({ status: 'completed', chunksVerified: 1, verifiedBy: { [check[0].connId]: 1 } });
    expect(done).toContainEqual(expect.objectContaining({ type: 'verification', outcome: 'match' }));
  });

  it('settles a disagreement by a third computation, quarantines the liar and recomputes its unconfirmed chunks', () => {
    const { s, step, grants, result } = setup({ verifyFirst: 1, stragglerMinMs: 0 });
    s.addCalculation(calc('a', 3000, 1000));
    // The liar connects first and takes every chunk; its first result is checked.
    const liar = grants(
      step(() => s.connectWorker({ connId: 'liar', workerId: 'liar', instanceId: 'L', address: 'x', kind: 'remote', capacity: 3 }, 0), 0),
    );
    expect(liar).toHaveLength(3);
    result('liar', liar[0].lease, 1, insideOf(liar[0].lease) + 7);
    result('liar', liar[1].lease, 2, insideOf(liar[1].lease) + 7);
    // An honest worker connects and gets the check of chunk 0.
    const [check] = grants(
      step(
        () => s.connectWorker({ connId: 'honest', workerId: 'honest', instanceId: 'H', address: 'y', kind: 'remote', capacity: 1 }, 3),
        3,
      ),
    );
    expect(check.lease).toMatchObject({ chunkIndex: liar[0].lease.chunkIndex, purpose: 'verify' });
    const dispute = result('honest', check.lease, 4);
    expect(dispute).toContainEqual(expect.objectContaining({ type: 'verification', outcome: 'mismatch' }));
    // The coordinator's own pool arbitrates (no third remote worker exists).
    const [arbiter] = grants(step(() => local(s), 5));
    expect(arbiter).toMatchObject({ connId: 'local', lease: { chunkIndex: liar[0].lease.chunkIndex, purpose: 'verify' } });
    const decided = result('local', arbiter.lease, 6);
    const q = decided.find((x) => x.type === 'quarantined') as Extract<Effect, { type: 'quarantined' }>;
    expect(q.record.workerId).toBe('liar');
    // Chunk 1 was the liar's and unconfirmed: computed again. Chunk 0 now holds the agreed value.
    expect(q.recomputed).toBe(1);
    expect(decided).toContainEqual({ type: 'uncommit', calculationId: 'a', chunkIndex: liar[1].lease.chunkIndex });
    expect(s.snapshot(6).workers.find((w) => w.connId === 'liar')).toMatchObject({ state: 'quarantined', inFlight: 0 });
    expect(s.snapshot(6).quarantined).toHaveLength(1);
    // The liar's late result is refused; the honest worker finishes the rest.
    expect(result('liar', liar[2].lease, 7)).toContainEqual(expect.objectContaining({ type: 'rejected', reason: 'quarantined' }));
    const open = [...grants(decided), ...grants(step(() => {}, 8))];
    let last: Effect[] = [];
    for (let t = 9; open.length > 0 && t < 100; t++) {
      const g = open.shift()!;
      last = result(g.connId, g.lease, t);
      open.push(...grants(last));
    }
    const final = (last.filter((x) => x.type === 'calculation').pop() as Extract<Effect, { type: 'calculation' }>).calculation;
    const truth = [0, 1, 2].reduce((sum, i) => sum + insideOf({ ...liar[0].lease, chunkIndex: i }), 0);
    expect(final).toMatchObject({ status: 'completed', inside: truth, chunksRecomputed: 1 });
  });
});

describe('restart with checks pending', () => {
  it('resumes a pending check as a check, and ends a calculation the store already holds complete', () => {
    const { s, step, grants, result } = setup();
    const stored = (chunkIndex: number, check: 'none' | 'wanted') => ({
      calculationId: 'a',
      chunkIndex,
      points: 1000,
      inside: 700,
      workerId: 'w1',
      instanceId: '1',
      elapsedMs: 5,
      committedAtMs: 0,
      verifiedBy: null,
      check,
    });
    const rec = { ...calc('a', 2000, 1000), status: 'running' as const, inside: 1400, pointsDone: 2000, chunksDone: 2 };
    s.addCalculation(
      rec,
      new Map([
        [0, stored(0, 'none')],
        [1, stored(1, 'wanted')],
      ]),
    );
    expect(s.violations()).toEqual([]);
    const [check] = grants(
      step(() => s.connectWorker({ connId: 'w2', workerId: 'w2', instanceId: '2', address: 'y', kind: 'remote', capacity: 1 }, 0), 0),
    );
    expect(check.lease).toMatchObject({ chunkIndex: 1, purpose: 'verify' });
    const done = result('w2', check.lease, 1, 700);
    expect((done.filter((x) => x.type === 'calculation').pop() as Extract<Effect, { type: 'calculation' }>).calculation).toMatchObject({
      status: 'completed',
      chunksVerified: 1,
    });

    const e: Effect[] = [];
    s.addCalculation(
      { ...calc('b', 1000, 1000), status: 'running', inside: 700, pointsDone: 1000, chunksDone: 1 },
      new Map([[0, { ...stored(0, 'none'), calculationId: 'b' }]]),
      5,
      e,
    );
    expect(e).toContainEqual(
      expect.objectContaining({ type: 'calculation', calculation: expect.objectContaining({ id: 'b', status: 'completed' }) }),
    );
  });
});
