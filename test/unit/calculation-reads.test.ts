/**
 * The gateway's read path: one coordinator Get per calculation, one shared Watch stream per running calculation
 * however many readers, and ended calculations served from memory. The coordinator is a fake of our own
 * CoordinatorClient interface that counts calls and lets the test push Watch snapshots.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Calculation__Output } from '../../generated/proto/pigrid/v1/Calculation.js';
import { CalculationReads, serve, type ServedCalculation } from '../../gateway/calculation-reads.js';
import type { CoordinatorClient } from '../../gateway/coordinator-client.js';
import { calculationOutput } from '../fakes/calculation-output.js';

const calc = calculationOutput;

function fakeCoordinator(states: Map<string, Calculation__Output>) {
  const counts = { get: 0, watch: 0, stopped: 0 };
  const watchers = new Map<string, { data: (c: Calculation__Output) => void; end: (err: null) => void }>();
  const client = {
    async get(id: string) {
      counts.get += 1;
      const c = states.get(id);
      if (!c) throw Object.assign(new Error('not found'), { code: 5 });
      return c;
    },
    watch(id: string, data: (c: Calculation__Output) => void, end: (err: null) => void) {
      counts.watch += 1;
      watchers.set(id, { data, end });
      return () => {
        counts.stopped += 1;
        watchers.delete(id);
      };
    },
  } as unknown as CoordinatorClient;
  return { client, counts, watchers };
}

describe('calculation reads', () => {
  it('asks the coordinator once, then follows a running calculation with one Watch shared by every reader', async () => {
    const { client, counts, watchers } = fakeCoordinator(new Map([['a', calc('a', 'STATUS_RUNNING', 1)]]));
    const reads = new CalculationReads(client);
    const first = await reads.get('a');
    for (let i = 0; i < 100; i++) await reads.get('a');
    expect(counts).toMatchObject({ get: 1, watch: 1 });
    const seen: ServedCalculation[][] = Array.from({ length: 1000 }, () => []);
    const ended: boolean[] = [];
    const stops = seen.map((list, i) => reads.subscribe('a', { data: (c) => list.push(c), end: () => (ended[i] = true) }));
    expect(counts.watch).toBe(1);
    watchers.get('a')!.data(calc('a', 'STATUS_RUNNING', 5));
    const now = await reads.get('a');
    expect(now.json.chunks_done).toBe(5);
    expect(now.etag).not.toBe(first.etag);
    watchers.get('a')!.data(calc('a', 'STATUS_COMPLETED', 10));
    watchers.get('a')!.end(null);
    expect(seen.every((l) => l.length === 2 && l[1].terminal)).toBe(true);
    expect(ended.filter(Boolean)).toHaveLength(1000);
    for (const stop of stops) stop();
    // Ended: served from memory, with the same ETag every time, and no new stream.
    const done = await reads.get('a');
    expect(done).toMatchObject({ terminal: true, json: { status: 'completed', chunks_done: 10 } });
    expect((await reads.get('a')).etag).toBe(done.etag);
    expect(counts).toMatchObject({ get: 1, watch: 1 });
    expect(reads.upstreams).toBe(0);
    reads.close();
  });

  it('keeps ended calculations without a stream, and forgets the least recently used beyond its bound', async () => {
    const states = new Map(['x', 'y', 'z'].map((id) => [id, calc(id, 'STATUS_COMPLETED', 10)]));
    const { client, counts } = fakeCoordinator(states);
    const reads = new CalculationReads(client, { maxEnded: 2 });
    await reads.get('x');
    await reads.get('y');
    await reads.get('x');
    await reads.get('z');
    expect(counts).toMatchObject({ get: 3, watch: 0 });
    await reads.get('x');
    expect(counts.get).toBe(3);
    await reads.get('y');
    expect(counts.get).toBe(4);
    reads.close();
  });

  it('asks the coordinator again exactly when a least-recently-used list would have forgotten the calculation', async () => {
    // Any sequence of reads, repeated reads of the newest included (which skip the reordering), against a model.
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 4 }),
        fc.array(fc.constantFrom('a', 'b', 'c', 'd', 'e'), { maxLength: 60 }),
        async (max, ids) => {
          const states = new Map(['a', 'b', 'c', 'd', 'e'].map((id) => [id, calc(id, 'STATUS_COMPLETED', 10)]));
          const { client, counts } = fakeCoordinator(states);
          const reads = new CalculationReads(client, { maxEnded: max });
          const model: string[] = [];
          let misses = 0;
          for (const id of ids) {
            const at = model.indexOf(id);
            if (at < 0) misses += 1;
            else model.splice(at, 1);
            model.push(id);
            if (model.length > max) model.shift();
            await reads.get(id);
            expect(counts.get).toBe(misses);
          }
          reads.close();
        },
      ),
    );
  });

  it('stops following a calculation nobody asks about, and never caches an unknown id', async () => {
    const { client, counts } = fakeCoordinator(new Map([['r', calc('r', 'STATUS_RUNNING', 1)]]));
    const reads = new CalculationReads(client, { idleMs: 1_000 });
    await reads.get('r');
    await expect(reads.get('nope')).rejects.toThrow('not found');
    await expect(reads.get('nope')).rejects.toThrow('not found');
    expect(counts.get).toBe(3);
    await new Promise<void>((resolve) => {
      const t = setInterval(() => {
        if (counts.stopped === 1) {
          clearInterval(t);
          resolve();
        }
      }, 50);
    });
    expect(reads.upstreams).toBe(0);
    reads.close();
  });

  it('serialises a snapshot only when it is read: a GET gets the newest, SSE clients get every one, the last is kept', async () => {
    const { client, watchers } = fakeCoordinator(new Map([['s', calc('s', 'STATUS_RUNNING', 1)]]));
    const reads = new CalculationReads(client);
    await reads.get('s');
    // Counts the reads of one field only serialising reads (the status decides, unread, whether it is the last).
    let serialised = 0;
    const counted = (status: string, done: number): Calculation__Output => {
      const c = calc('s', status as Calculation__Output['status'], done);
      const inside = c.inside;
      return Object.defineProperty<Calculation__Output>({ ...c }, 'inside', {
        get: () => {
          serialised += 1;
          return inside;
        },
      });
    };
    for (let i = 2; i <= 5; i++) watchers.get('s')!.data(counted('STATUS_RUNNING', i));
    expect(serialised).toBe(0);
    const now = await reads.get('s');
    expect(now.json.chunks_done).toBe(5);
    expect(now).toEqual(serve(calc('s', 'STATUS_RUNNING', 5)));
    expect(serialised).toBe(1);
    expect(reads.known('s')).toBe(now);
    expect(serialised).toBe(1);
    const seen: number[] = [];
    const stop = reads.subscribe('s', { data: (c) => seen.push(c.json.chunks_done), end: () => {} });
    watchers.get('s')!.data(counted('STATUS_RUNNING', 6));
    watchers.get('s')!.data(counted('STATUS_RUNNING', 7));
    expect(seen).toEqual([6, 7]);
    stop();
    watchers.get('s')!.data(counted('STATUS_RUNNING', 8));
    watchers.get('s')!.data(counted('STATUS_COMPLETED', 9));
    watchers.get('s')!.end(null);
    expect(serialised).toBe(4);
    expect(reads.known('s')).toMatchObject({ terminal: true, json: { status: 'completed', chunks_done: 9 } });
    expect(reads.upstreams).toBe(0);
    reads.close();
  });
  it("answers the first read after this gateway's own submit from the submit answer, then follows it with one Watch", async () => {
    const { client, counts, watchers } = fakeCoordinator(new Map([['s', calc('s', 'STATUS_RUNNING', 3)]]));
    const reads = new CalculationReads(client);
    reads.noteSubmitted(calc('s', 'STATUS_QUEUED', 0));
    const first = reads.known('s');
    expect(first?.json).toMatchObject({ id: 's', status: 'queued', chunks_done: 0 });
    expect(counts).toMatchObject({ get: 0, watch: 1 });
    // Followed from now on: the Watch's snapshots answer, no Get.
    watchers.get('s')!.data(calc('s', 'STATUS_RUNNING', 4));
    expect((await reads.get('s')).json.chunks_done).toBe(4);
    expect(counts).toMatchObject({ get: 0, watch: 1 });
    reads.close();
  });

  it('asks the coordinator when the submit answer is older than submittedFreshMs, was cancelled here, or fell out of its bound', async () => {
    const states = new Map(['old', 'cancelled', 'first', 'second'].map((id) => [id, calc(id, 'STATUS_RUNNING', 2)]));
    const { client, counts } = fakeCoordinator(states);
    const reads = new CalculationReads(client, { submittedFreshMs: 20, maxSubmitted: 1 });
    reads.noteSubmitted(calc('old', 'STATUS_QUEUED', 0));
    const t0 = Date.now();
    while (Date.now() - t0 <= 25); // the answer ages past submittedFreshMs
    expect(reads.known('old')).toBeUndefined();
    expect((await reads.get('old')).json.chunks_done).toBe(2);
    expect(counts.get).toBe(1);

    reads.noteSubmitted(calc('cancelled', 'STATUS_QUEUED', 0));
    reads.forgetSubmitted('cancelled');
    expect(reads.known('cancelled')).toBeUndefined();

    // maxSubmitted 1: the second submit pushes the first out.
    reads.noteSubmitted(calc('first', 'STATUS_QUEUED', 0));
    reads.noteSubmitted(calc('second', 'STATUS_QUEUED', 0));
    expect(reads.known('first')).toBeUndefined();
    expect(reads.known('second')?.json.status).toBe('queued');
    reads.close();
  });
});
