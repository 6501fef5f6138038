/**
 * The worker's side of Work-stream batching, against a real WorkerService on a real one-thread kernel pool served
 * over loopback gRPC, driven by a plain proto-loader client playing the coordinator. A coordinator that sends single
 * Leases (one older than batching) gets single ChunkResults only; one that sends a LeaseBatch gets every lease of it
 * answered exactly once, with the exact count, as ChunkResults or ResultBatches.
 */
import { afterAll, expect, it } from 'vitest';
import type { ChunkResult__Output } from '../../generated/proto/pigrid/v1/ChunkResult.js';
import type { CoordinatorMessage } from '../../generated/proto/pigrid/v1/CoordinatorMessage.js';
import type { WorkerMessage__Output } from '../../generated/proto/pigrid/v1/WorkerMessage.js';
import { countInside } from '../../kernel/index.js';
import { ChunkRunner } from '../../kernel/pool/chunk-runner.js';
import { createKernelPool } from '../../kernel/pool/kernel-pool.js';
import { createLogger } from '../../shared/logger.js';
import { WorkerService } from '../../worker/worker-service.js';
import { serveWorkerOnLoopback } from '../support/worker-on-loopback.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

/** A worker service on a real pool and gRPC server; `talk` opens a Work stream to it. */
async function worker(): Promise<{
  talk(): { hello: Promise<WorkerMessage__Output['hello']>; send(m: CoordinatorMessage): void; seen: WorkerMessage__Output[] };
}> {
  const pool = createKernelPool(1);
  cleanups.push(() => pool.destroy());
  const service = new WorkerService(
    { workerId: 'w-batch', instanceId: 'i-batch', kernel: 'k', streamVersion: 's', version: 'v', capacity: 1, drainGraceMs: 1_000 },
    new ChunkRunner(pool),
    createLogger('worker', { level: 'error' }),
  );
  const { client, close } = await serveWorkerOnLoopback(service);
  cleanups.push(close);
  return {
    talk() {
      const stream = client.Work();
      cleanups.push(() => stream.cancel());
      const seen: WorkerMessage__Output[] = [];
      const hello = new Promise<WorkerMessage__Output['hello']>((resolve) =>
        stream.on('data', (msg: WorkerMessage__Output) => (msg.hello ? resolve(msg.hello) : seen.push(msg))),
      );
      stream.on('error', () => {});
      return { hello, send: (m) => stream.write(m), seen };
    },
  };
}

const SEED = 11;
const POINTS = 200_000;
const lease = (i: number) => ({ leaseId: `lease-${i}`, calculationId: 'calc-b', chunkIndex: i, seed: SEED, points: POINTS, ttlMs: 30_000 });

/** Every result in the messages seen, single or batched. */
const resultsIn = (seen: WorkerMessage__Output[]): ChunkResult__Output[] =>
  seen.flatMap((m) => (m.result ? [m.result] : (m.results?.results ?? [])));

async function answered(seen: WorkerMessage__Output[], count: number): Promise<ChunkResult__Output[]> {
  const deadline = Date.now() + 15_000;
  while (resultsIn(seen).length < count) {
    if (Date.now() > deadline) throw new Error(`only ${resultsIn(seen).length} of ${count} results`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return resultsIn(seen);
}

const expectExact = (results: ChunkResult__Output[], count: number) =>
  expect(results.map((r) => [r.leaseId, Number(r.inside)]).sort()).toEqual(
    Array.from({ length: count }, (_, i) => [`lease-${i}`, countInside(BigInt(SEED), i, POINTS)]).sort(),
  );

it('announces batches, and answers a coordinator that sends single Leases with single ChunkResults only', async () => {
  const w = await worker();
  const s = w.talk();
  expect(await s.hello).toMatchObject({ workerId: 'w-batch', acceptsLeaseBatches: true });
  for (let i = 0; i < 6; i++) s.send({ lease: lease(i) });
  expectExact(await answered(s.seen, 6), 6);
  expect(s.seen.filter((m) => m.results)).toEqual([]);
});

it('answers every lease of a LeaseBatch exactly once with its exact count', async () => {
  const w = await worker();
  const s = w.talk();
  await s.hello;
  s.send({ leases: { leases: Array.from({ length: 6 }, (_, i) => lease(i)) } });
  expectExact(await answered(s.seen, 6), 6);
});
