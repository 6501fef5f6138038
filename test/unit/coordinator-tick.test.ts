/**
 * The ticker's step is skipped when another step reconciled less than `skipWithinMs` ago (every step runs the
 * scheduler's tick), and runs otherwise: lease expiry still happens, at most that much later.
 */
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { CoordinatorService, type LeaseSink } from '../../coordinator/coordinator-service.js';
import type { LeaseGrant } from '../../coordinator/core/scheduler-types.js';
import { createMemoryStore } from '../../coordinator/store/memory-store.js';

const TTL_MS = 1_000;

/** A service with a settable clock, one worker of one thread holding the one lease of a calculation. */
async function oneLeaseOut() {
  const clock = { ms: 0 };
  const store = createMemoryStore();
  let steps = 0;
  const apply = store.apply.bind(store);
  store.apply = (step) => {
    steps += 1;
    apply(step);
  };
  let n = 0;
  const service = new CoordinatorService({
    store,
    clock: { now: () => clock.ms },
    ids: { calculationId: () => `calc-${++n}`, leaseId: () => `lease-${++n}` },
    seeds: { seed: () => 7 },
    limits: { maxPoints: 1e13, maxChunks: 1e6, defaultChunkSize: 1e9 },
    log: pino({ level: 'silent' }),
    scheduler: { leaseTtlMs: TTL_MS, verifyRate: 0, verifyFirst: 0, prefetch: 0, prefetchAheadMs: 0, maxSpanChunks: 1 },
  });
  const granted: LeaseGrant[] = [];
  const revoked: string[] = [];
  const sink: LeaseSink = {
    grant: (_c, l) => granted.push(l),
    revoke: (_c, ids, reason) => revoked.push(...ids.map((id) => `${id} ${reason}`)),
  };
  service.workerConnected({ connId: 'w', workerId: 'w', instanceId: 'i', address: 'a', kind: 'remote', capacity: 1 }, sink);
  await service.submit({ points: 2_000, mode: 'distributed', chunkSize: 1_000 }, false);
  expect(granted).toHaveLength(1);
  return { clock, service, granted, revoked, steps: () => steps };
}

describe('coordinator tick', () => {
  it('skips a tick within skipWithinMs of the last step; the next tick expires the lease that lapsed in between', async () => {
    const { clock, service, granted, revoked, steps } = await oneLeaseOut();
    clock.ms = TTL_MS - 10;
    service.tick(); // a step just before the lease's deadline: nothing to expire yet
    expect(revoked).toEqual([]);
    const before = steps();

    clock.ms = TTL_MS + 10; // the lease lapsed 10 ms ago, 20 ms after the last step
    service.tick(100);
    expect(steps()).toBe(before);
    expect(revoked).toEqual([]);

    clock.ms = TTL_MS + 90; // 100 ms after the last step
    service.tick(100);
    expect(steps()).toBe(before + 1);
    expect(revoked).toEqual([`${granted[0].leaseId} EXPIRED`]);
  });

  it('always runs without skipWithinMs, and when the clock went back before the last step', async () => {
    const { clock, service, revoked, steps } = await oneLeaseOut();
    clock.ms = TTL_MS - 10;
    service.tick();
    const before = steps();
    service.tick();
    expect(steps()).toBe(before + 1);

    clock.ms = 0; // stepped back: the gap since the last step is negative, not short
    service.tick(100);
    expect(steps()).toBe(before + 2);
    expect(revoked).toEqual([]);
  });
});
