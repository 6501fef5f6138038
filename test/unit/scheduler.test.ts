import { describe, expect, it } from 'vitest';
import type { CalculationRecord } from '../../coordinator/core/model.js';
import { Scheduler } from '../../coordinator/core/scheduler.js';
import type { Effect, LeaseGrant } from '../../coordinator/core/scheduler-types.js';
import { chunkCount, chunkPoints } from '../../coordinator/core/chunk-plan.js';

function calc(id: string, points: number, chunkSize: number, mode: 'single' | 'distributed' = 'distributed', createdAtMs = 0): CalculationRecord {
  return {
    id, mode, points, seed: 7, chunkSize, chunkCount: chunkCount(points, chunkSize), status: 'queued',
    inside: 0, pointsDone: 0, chunksDone: 0, chunksReleased: 0, duplicateResults: 0,
    createdAtMs, startedAtMs: null, finishedAtMs: null, error: null, errorCode: null,
  };
}

/** A deterministic "kernel": the hit count of a chunk depends only on (calc, chunk). */
const insideOf = (l: LeaseGrant) => Math.floor(l.points * 0.78) - (l.chunkIndex % 3);

function setup(opts: Partial<ConstructorParameters<typeof Scheduler>[1]> = {}) {
  let n = 0;
  const s = new Scheduler({ calculationId: () => `c${++n}`, leaseId: () => `L${++n}` }, { leaseTtlMs: 1000, prefetch: 0, ...opts });
  const step = (fn: (e: Effect[]) => void, now: number) => {
    const e: Effect[] = [];
    fn(e);
    s.tick(now, e);
    return e;
  };
  const grants = (e: Effect[]) => e.filter((x): x is Extract<Effect, { type: 'grant' }> => x.type === 'grant');
  const result = (conn: string, l: LeaseGrant, now: number, inside = insideOf(l)) =>
    step((e) => s.result(conn, { leaseId: l.leaseId, calculationId: l.calculationId, chunkIndex: l.chunkIndex, seed: l.seed, points: l.points, inside, elapsedMs: 10 }, now, e), now);
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
    expect(s.snapshot().leasesInFlight).toBe(3);
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
    step(() => s.connectWorker({ connId: 'v4', workerId: 'pod-1', address: '10.0.0.1:50061', kind: 'remote', capacity: 2 }, 0), 0);
    const e = step(() => s.connectWorker({ connId: 'v6', workerId: 'pod-1', address: '[fd00::1]:50061', kind: 'remote', capacity: 2 }, 1), 1);
    expect(grants(e).map((g) => g.connId)).toEqual(['v6', 'v6']);
    expect(s.snapshot().workers.find((w) => w.connId === 'v4')).toMatchObject({ state: 'draining', inFlight: 2 });
    expect(s.snapshot().totalCapacity).toBe(2);
  });

  it('leases nothing to a draining worker and single-mode work only to the local pool', () => {
    const { s, step, grants } = setup();
    s.addCalculation(calc('d', 5000, 1000, 'distributed'));
    s.addCalculation(calc('s', 5000, 1000, 'single'));
    const e = step(() => {
      s.connectWorker({ connId: 'w1', workerId: 'w1', address: 'x', kind: 'remote', capacity: 4, draining: true }, 0);
      s.connectWorker({ connId: 'local', workerId: 'coordinator', address: 'local', kind: 'local', capacity: 2 }, 0);
    }, 0);
    expect(grants(e).map((g) => [g.connId, g.lease.calculationId])).toEqual([['local', 's'], ['local', 's']]);
  });
});

describe('commit', () => {
  it('completes a calculation with the exact sum of chunk hit counts, whatever the order', () => {
    const { s, step, grants, result } = setup();
    s.addCalculation(calc('a', 3500, 1000));
    let e = step(() => s.connectWorker({ connId: 'w', workerId: 'w', address: 'x', kind: 'remote', capacity: 4 }, 0), 0);
    const leases = grants(e).map((g) => g.lease).reverse();
    let last: Effect[] = [];
    for (const l of leases) last = result('w', l, 10);
    const final = last.filter((x) => x.type === 'calculation').pop() as Extract<Effect, { type: 'calculation' }>;
    expect(final.calculation.status).toBe('completed');
    expect(final.calculation.inside).toBe(leases.reduce((sum, l) => sum + insideOf(l), 0));
    expect(final.calculation.pointsDone).toBe(3500);
    expect(s.snapshot().activeCalculations).toBe(0);
    e = step(() => {}, 20);
    expect(grants(e)).toHaveLength(0);
  });

  it('counts a chunk once when its result arrives twice, and fails loudly when a copy disagrees', () => {
    const { s, step, grants, result } = setup();
    s.addCalculation(calc('a', 3000, 1000));
    const e = step(() => s.connectWorker({ connId: 'w', workerId: 'w', address: 'x', kind: 'remote', capacity: 3 }, 0), 0);
    const [l0, l1] = grants(e).map((g) => g.lease);
    const commits1 = result('w', l0, 1).filter((x) => x.type === 'commit');
    expect(commits1).toHaveLength(1);
    const again = result('w', l0, 2);
    expect(again.filter((x) => x.type === 'commit')).toHaveLength(0);
    expect(again.some((x) => x.type === 'duplicate')).toBe(true);
    const mismatch = result('w', l0, 3, insideOf(l0) + 1);
    const ended = mismatch.filter((x) => x.type === 'calculation').pop() as Extract<Effect, { type: 'calculation' }>;
    expect(ended.calculation.status).toBe('failed');
    expect(ended.calculation.errorCode).toBe('RESULT_MISMATCH');
    expect(ended.calculation.error).toContain('chunk 0');
    expect(mismatch.some((x) => x.type === 'revoke' && x.leaseIds.includes(l1.leaseId))).toBe(true);
  });

  it('refuses a result whose seed or points do not match the chunk plan', () => {
    const { s, step, grants } = setup();
    s.addCalculation(calc('a', 3000, 1000));
    const [g] = grants(step(() => s.connectWorker({ connId: 'w', workerId: 'w', address: 'x', kind: 'remote', capacity: 1 }, 0), 0));
    const e = step((ef) => s.result('w', { ...g.lease, seed: 8, inside: 5, elapsedMs: 1 }, 1, ef), 1);
    expect(e.filter((x) => x.type === 'commit')).toHaveLength(0);
    expect(e.some((x) => x.type === 'ignored' && x.reason.includes('seed 8'))).toBe(true);
    // The chunk went back to the queue and was leased again at once.
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
    expect(grants(e).map((g) => g.lease.chunkIndex).sort()).toEqual([0, 1, 2, 3]);
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
    // w2 is free again and gets the chunk back (it may be alive, just slow).
    expect(grants(e1).map((g) => [g.connId, g.lease.chunkIndex])).toEqual([['w2', byConn.get('w2')!.chunkIndex]]);
    expect(step(() => {}, 1899).filter((x) => x.type === 'revoke')).toHaveLength(0);
  });

  it('adopts a late result of an expired lease, and matches the re-leased copy against it', () => {
    const { s, step, grants, result } = setup({ leaseTtlMs: 1000 });
    s.addCalculation(calc('a', 1000, 1000));
    const [g1] = grants(step(() => s.connectWorker({ connId: 'w1', workerId: 'w1', address: 'x', kind: 'remote', capacity: 1 }, 0), 0));
    const [g2] = grants(step(() => s.connectWorker({ connId: 'w2', workerId: 'w2', address: 'y', kind: 'remote', capacity: 1 }, 1500), 1500));
    expect(g2.lease.chunkIndex).toBe(g1.lease.chunkIndex);
    const late = result('w1', g1.lease, 1600);
    expect(late.filter((x) => x.type === 'commit')).toHaveLength(1);
    // The calculation ended with the adopted copy; the re-leased copy goes to the adapter to be compared.
    const end = result('w2', g2.lease, 1700);
    expect(end).toContainEqual(expect.objectContaining({ type: 'late', connId: 'w2', report: expect.objectContaining({ chunkIndex: g1.lease.chunkIndex }) }));
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
    expect(s.snapshot().backlogChunks).toBe(1);
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
    expect(backup[0]).toMatchObject({ connId: 'fast', lease: { chunkIndex: slow.lease.chunkIndex, backup: true } });
    const done = result('fast', backup[0].lease, 210);
    expect((done.filter((x) => x.type === 'calculation').pop() as Extract<Effect, { type: 'calculation' }>).calculation.status).toBe('completed');
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
    s.addCalculation({ ...rec, inside: 1500, pointsDone: 2000, chunksDone: 2 }, new Map([[0, 700], [2, 800]]));
    const gs = grants(step(() => s.connectWorker({ connId: 'w', workerId: 'w', address: 'x', kind: 'remote', capacity: 4 }, 0), 0));
    expect(gs.map((g) => g.lease.chunkIndex).sort()).toEqual([1, 3]);
    result('w', gs[0].lease, 1);
    const end = result('w', gs[1].lease, 2);
    const done = (end.filter((x) => x.type === 'calculation').pop() as Extract<Effect, { type: 'calculation' }>).calculation;
    expect(done.status).toBe('completed');
    expect(done.inside).toBe(1500 + insideOf(gs[0].lease) + insideOf(gs[1].lease));
  });
});
