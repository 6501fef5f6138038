/**
 * Property of the scheduler's grant order: free credits take chunks round-robin over the connections (the registry's
 * free-credit ring, least recently granted first). Random pools and random answer orders; after every step the
 * invariants hold (violations() also checks the ring's links and the index membership flags) and no connection got
 * two primary leases more in one step than a connection that could still have taken one.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { newCalculationRecord } from '../../coordinator/core/model.js';
import { MemoryLeaseTokens } from '../../coordinator/core/memory-lease-tokens.js';
import { Scheduler } from '../../coordinator/core/scheduler.js';
import type { Effect, LeaseGrant } from '../../coordinator/core/scheduler-types.js';

type Op = { kind: 'submit'; chunks: number } | { kind: 'answer'; pick: number; count: number } | { kind: 'fail'; pick: number };

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('submit' as const), chunks: fc.integer({ min: 1, max: 40 }) }),
  fc.record({ kind: fc.constant('answer' as const), pick: fc.nat(), count: fc.integer({ min: 1, max: 12 }) }),
  fc.record({ kind: fc.constant('fail' as const), pick: fc.nat() }),
);

const pool = fc.record({
  capacities: fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 2, maxLength: 9 }),
  prefetch: fc.integer({ min: 0, max: 2 }),
  initialCredits: fc.integer({ min: 1, max: 4 }),
});

function play(p: { capacities: number[]; prefetch: number; initialCredits: number }, ops: Op[]): void {
  let n = 0;
  const s = new Scheduler(
    { ids: { calculationId: () => `c${++n}`, leaseId: () => `L${++n}` }, tokens: new MemoryLeaseTokens() },
    {
      leaseTtlMs: 1_000_000,
      prefetch: p.prefetch,
      initialCredits: p.initialCredits,
      verifyRate: 0,
      verifyFirst: 0,
      backoffMinMs: 5,
      backoffMaxMs: 20,
      stragglerMinMs: 1_000_000_000,
    },
  );
  let now = 0;
  const held: { connId: string; lease: LeaseGrant }[] = [];
  const step = (fn: (e: Effect[]) => void) => {
    now += 1;
    const e: Effect[] = [];
    fn(e);
    s.tick(now, e);
    expect(s.violations()).toEqual([]);
    const granted = new Map<string, number>();
    for (const x of e) {
      if (x.type !== 'grant') continue;
      held.push({ connId: x.connId, lease: x.lease });
      if (x.lease.purpose === 'primary') granted.set(x.connId, (granted.get(x.connId) ?? 0) + 1);
    }
    // A connection that still has a free credit after the step was in every round of the grant loop: nobody got more
    // than one lease more than it.
    const workers = s.snapshot(now).workers;
    for (const a of workers) {
      if (a.state !== 'ready' || a.inFlight >= a.credits) continue;
      const ga = granted.get(a.connId) ?? 0;
      for (const b of workers) expect(granted.get(b.connId) ?? 0, `${b.connId} vs ${a.connId}`).toBeLessThanOrEqual(ga + 1);
    }
  };
  p.capacities.forEach((capacity, i) =>
    step(() => s.connectWorker({ connId: `w${i}`, workerId: `w${i}`, address: `a${i}`, kind: 'remote', capacity }, now)),
  );
  for (const o of ops) {
    if (o.kind === 'submit') {
      step((e) =>
        s.addCalculation(
          newCalculationRecord({ id: `calc${++n}`, mode: 'distributed', points: o.chunks * 10, seed: 1, chunkSize: 10, createdAtMs: now }),
          new Map(),
          now,
          e,
        ),
      );
    } else if (held.length > 0) {
      const at = o.pick % held.length;
      const taken = held.splice(at, o.kind === 'answer' ? o.count : 1);
      step((e) => {
        for (const { connId, lease: l } of taken) {
          if (o.kind === 'fail') s.failure(connId, { leaseId: l.leaseId, code: 'KERNEL_ERROR', message: 'x' }, now, e);
          else
            s.result(
              connId,
              {
                leaseId: l.leaseId,
                calculationId: l.calculationId,
                chunkIndex: l.chunkIndex,
                seed: l.seed,
                points: l.points,
                inside: 7,
                elapsedMs: 1,
              },
              now,
              e,
            );
        }
      });
    }
  }
}

describe('grant order', () => {
  it('free credits take chunks round-robin: nobody gets two leases more in a step than a worker that could take one', () => {
    fc.assert(
      fc.property(pool, fc.array(op, { maxLength: 60 }), (p, ops) => play(p, ops)),
      { seed: 20_261_130, numRuns: 300 },
    );
  });
});
