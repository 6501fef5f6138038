/**
 * The group commit takes at most MAX_STEP_EVENTS worker events; a larger burst (1,000 workers answering in one turn)
 * is committed over several steps, in arrival order, each step's leases sent after its own commit.
 */
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { CoordinatorService, MAX_STEP_EVENTS, type LeaseSink } from '../../coordinator/coordinator-service.js';
import type { LeaseGrant } from '../../coordinator/core/scheduler-types.js';
import type { StoreStep } from '../../coordinator/core/store-port.js';
import { createMemoryStore } from '../../coordinator/store/memory-store.js';

const turn = () => new Promise((r) => setImmediate(r));

/** A coordinator service on `store`: one fixed clock, no verification, no prefetch, credits for 4,096 leases. */
function serviceOn(store: ReturnType<typeof createMemoryStore>): CoordinatorService {
  let n = 0;
  return new CoordinatorService({
    store,
    clock: { now: () => 1_000 },
    ids: { calculationId: () => `calc-${++n}`, leaseId: () => `lease-${++n}` },
    seeds: { seed: () => 7 },
    limits: { maxPoints: 1e13, maxChunks: 1e6, defaultChunkSize: 1e9 },
    log: pino({ level: 'silent' }),
    scheduler: { verifyRate: 0, verifyFirst: 0, maxWorkerCapacity: 4096, initialCredits: 4096, prefetch: 0, prefetchAheadMs: 0 },
  });
}

describe('group commit size', () => {
  it(`commits a burst of results in steps of at most ${MAX_STEP_EVENTS}, in arrival order, each step's leases after its commit`, async () => {
    const store = createMemoryStore();
    const log: string[] = [];
    const committed: number[] = [];
    const apply = store.apply.bind(store);
    store.apply = (step: StoreStep) => {
      apply(step);
      log.push(`apply ${step.commits.length}`);
      for (const c of step.commits) committed.push(c.chunkIndex);
    };
    const service = serviceOn(store);
    const held: LeaseGrant[] = [];
    let settled = 0;
    const sink: LeaseSink = {
      grant: (_c, l) => {
        held.push(l);
        log.push('grant');
      },
      revoke: () => {},
      settled: () => {
        settled += 1;
      },
    };
    // The worker takes 3 steps' worth of leases; the calculation has 5.
    const burst = 3 * MAX_STEP_EVENTS;
    const chunks = 5 * MAX_STEP_EVENTS;
    service.workerConnected({ connId: 'w', workerId: 'w', instanceId: 'i', address: 'a', kind: 'remote', capacity: burst }, sink);
    const rec = await service.submit({ points: chunks * 1000, mode: 'distributed', chunkSize: 1000 }, false);
    expect(held).toHaveLength(burst);

    // Every lease answered in one turn, in reverse chunk order.
    log.length = 0;
    const answered = held.splice(0).reverse();
    for (const l of answered) service.result('w', { ...l, inside: 7, elapsedMs: 1 });
    while (held.length < chunks - burst) await turn();
    await turn();

    // Three steps, each granting the credits it freed after its own commit, until nothing was left to lease.
    const runs = log.reduce<string[]>((out, x) => {
      const last = out.at(-1);
      if (x === 'grant' && last?.startsWith('grant')) out[out.length - 1] = `grant ${Number(last.slice(6)) + 1}`;
      else out.push(x === 'grant' ? 'grant 1' : x);
      return out;
    }, []);
    expect(runs).toEqual([
      `apply ${MAX_STEP_EVENTS}`,
      `grant ${MAX_STEP_EVENTS}`,
      `apply ${MAX_STEP_EVENTS}`,
      `grant ${MAX_STEP_EVENTS}`,
      `apply ${MAX_STEP_EVENTS}`,
    ]);
    expect(committed).toEqual(answered.map((l) => l.chunkIndex));
    // The connection was told once, after the last result of the burst was committed.
    expect(settled).toBe(1);

    for (const l of held.splice(0)) service.result('w', { ...l, inside: 7, elapsedMs: 1 });
    while (service.get(rec.id).status !== 'completed') await turn();
    expect(service.get(rec.id).chunksDone).toBe(chunks);
  });

  it('a worker event after a burst comes after every result queued before it', async () => {
    const store = createMemoryStore();
    const service = serviceOn(store);
    const held: LeaseGrant[] = [];
    service.workerConnected(
      { connId: 'w', workerId: 'w', instanceId: 'i', address: 'a', kind: 'remote', capacity: 4096 },
      { grant: (_c, l) => held.push(l), revoke: () => {} },
    );
    const chunks = 2 * MAX_STEP_EVENTS + 10;
    const rec = await service.submit({ points: chunks * 1000, mode: 'distributed', chunkSize: 1000 }, false);
    for (const l of held) service.result('w', { ...l, inside: 7, elapsedMs: 1 });
    // The stream breaks in the same turn: its results count, none of its chunks is released.
    service.workerDisconnected('w');
    const after = service.get(rec.id);
    expect(after.status).toBe('completed');
    expect(after.chunksDone).toBe(chunks);
    expect(after.chunksReleased).toBe(0);
  });

  it('counts a span result as many events as it has chunks', async () => {
    const store = createMemoryStore();
    let steps = 0;
    const apply = store.apply.bind(store);
    store.apply = (step: StoreStep) => {
      apply(step);
      steps += 1;
    };
    const service = serviceOn(store);
    const sink: LeaseSink = { grant: () => {}, revoke: () => {} };
    service.workerConnected({ connId: 'w', workerId: 'w', instanceId: 'i', address: 'a', kind: 'remote', capacity: 1 }, sink);
    await turn();
    steps = 0;
    // Four results of MAX_STEP_EVENTS / 2 chunks each (refused as unknown leases, after the step takes them): two steps.
    const spanInside = Array.from({ length: MAX_STEP_EVENTS / 2 }, () => 1);
    const r = { calculationId: 'c', chunkIndex: 0, seed: 7, points: 10, inside: spanInside.length, elapsedMs: 1, spanInside };
    for (let i = 0; i < 4; i++) service.result('w', { ...r, leaseId: `forged-${i}`, chunkCount: spanInside.length });
    while (steps < 2) await turn();
    await turn();
    expect(steps).toBe(2);
    // A span larger than the cap still goes, alone.
    steps = 0;
    const big = Array.from({ length: 2 * MAX_STEP_EVENTS }, () => 1);
    service.result('w', { ...r, leaseId: 'forged-big', chunkCount: big.length, spanInside: big, inside: big.length });
    service.result('w', { ...r, leaseId: 'forged-next' });
    while (steps < 2) await turn();
    await turn();
    expect(steps).toBe(2);
  });
});
