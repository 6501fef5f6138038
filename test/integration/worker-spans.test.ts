/**
 * Leases of several chunks (spans), the worker's side: a real WorkerService on a real kernel pool served over
 * loopback gRPC, driven by a plain proto-loader client playing the coordinator (as in worker-batches.test.ts). A span
 * is answered by one ChunkResult whose span_inside is, entry by entry, what single-chunk leases of the same indices
 * give and what the kernel gives called directly; a failure, a revocation and a drain concern the whole span.
 */
import * as grpc from '@grpc/grpc-js';
import { afterAll, expect, it } from 'vitest';
import type { ChunkFailure__Output } from '../../generated/proto/pigrid/v1/ChunkFailure.js';
import type { ChunkResult__Output } from '../../generated/proto/pigrid/v1/ChunkResult.js';
import type { CoordinatorMessage } from '../../generated/proto/pigrid/v1/CoordinatorMessage.js';
import type { Lease } from '../../generated/proto/pigrid/v1/Lease.js';
import type { WorkerMessage__Output } from '../../generated/proto/pigrid/v1/WorkerMessage.js';
import { until } from '../../harness/rest.js';
import { countInside } from '../../kernel/index.js';
import { ChunkRunner } from '../../kernel/pool/chunk-runner.js';
import { createKernelPool } from '../../kernel/pool/kernel-pool.js';
import { startGrpcServer } from '../../shared/grpc-server.js';
import { createLogger } from '../../shared/logger.js';
import { loadContract } from '../../shared/proto.js';
import { MAX_LEASE_CHUNKS } from '../../shared/wire.js';
import { WorkSession, type WorkCall } from '../../worker/work-session.js';
import { WorkerService } from '../../worker/worker-service.js';
import { chunksOfRun, type PoolChunk } from '../support/pool-chunks.js';
import { serveWorkerOnLoopback } from '../support/worker-on-loopback.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

interface Talk {
  hello: Promise<WorkerMessage__Output['hello']>;
  send(m: CoordinatorMessage): void;
  seen: WorkerMessage__Output[];
  ended: Promise<void>;
  cancel(): void;
}

/** A worker service on a real pool of `threads` threads and a gRPC server; the pool's runs are recorded as posted. */
async function worker(threads = 1) {
  const real = createKernelPool(threads);
  cleanups.push(() => real.destroy());
  /** Each run posted, with whether every earlier run had settled by then. */
  const runs: { tasks: PoolChunk[]; others: number }[] = [];
  let unsettled = 0;
  const pool = {
    ...real,
    threads: real.threads,
    tasksPerThread: real.tasksPerThread,
    chunksPerTask: real.chunksPerTask,
    start: (run: Parameters<typeof real.start>[0]) => {
      const posted = real.start(run);
      runs.push({ tasks: chunksOfRun(posted), others: unsettled });
      unsettled++;
      void posted.outcome.then(() => unsettled--);
      return posted;
    },
  };
  const runner = new ChunkRunner(pool);
  const service = new WorkerService(
    { workerId: 'w-span', instanceId: 'i-span', kernel: 'k', streamVersion: 's', version: 'v', capacity: threads, drainGraceMs: 30_000 },
    runner,
    createLogger('worker', { level: 'error' }),
  );
  const { client, close } = await serveWorkerOnLoopback(service);
  cleanups.push(close);
  return {
    service,
    runner,
    runs,
    /** Every chunk posted so far, in posting order. */
    tasks: () => runs.flatMap((r) => r.tasks),
    talk(): Talk {
      const stream = client.Work();
      cleanups.push(() => stream.cancel());
      const seen: WorkerMessage__Output[] = [];
      const hello = new Promise<WorkerMessage__Output['hello']>((resolve) =>
        stream.on('data', (msg: WorkerMessage__Output) => (msg.hello ? resolve(msg.hello) : seen.push(msg))),
      );
      const ended = new Promise<void>((resolve) => stream.on('end', resolve));
      stream.on('error', () => {});
      return { hello, send: (m) => stream.write(m), seen, ended, cancel: () => stream.cancel() };
    },
  };
}

const SEED = 23;
const SHORT = 200_000;
/** About 50-150 ms of one core. */
const MEDIUM = 300_000_000;

const lease = (id: string, chunkIndex: number, chunkCount = 0, points = SHORT, ttlMs = 30_000): Lease => ({
  leaseId: id,
  calculationId: 'calc-s',
  chunkIndex,
  seed: SEED,
  points,
  ttlMs,
  chunkCount,
});

const resultsIn = (seen: WorkerMessage__Output[]): ChunkResult__Output[] =>
  seen.flatMap((m) => (m.result ? [m.result] : (m.results?.results ?? [])));
const failuresIn = (seen: WorkerMessage__Output[]): ChunkFailure__Output[] => seen.flatMap((m) => (m.failure ? [m.failure] : []));

/** Waits for the results (single or batched) of these leases and returns them by lease id. */
async function answered(seen: WorkerMessage__Output[], ids: readonly string[]): Promise<Map<string, ChunkResult__Output>> {
  const byId = () => new Map(resultsIn(seen).map((r) => [r.leaseId, r]));
  await until(`results of ${ids.join(', ')}`, () => ids.every((id) => byId().has(id)), 30_000, 20);
  return byId();
}

const direct = (chunkIndex: number, points = SHORT) => countInside(BigInt(SEED), chunkIndex, points);

it('announces spans, and answers a span with each chunk count exactly as single-chunk leases and the kernel give it', async () => {
  const w = await worker();
  const s = w.talk();
  expect(await s.hello).toMatchObject({ acceptsChunkSpans: true, acceptsLeaseBatches: true });
  // Single Leases on this stream (no LeaseBatch: every answer is a single ChunkResult).
  s.send({ lease: lease('span', 100, 12) });
  for (let i = 100; i < 112; i++) s.send({ lease: lease(`one-${i}`, i) });
  const results = await answered(s.seen, ['span', ...Array.from({ length: 12 }, (_, i) => `one-${100 + i}`)]);
  const span = results.get('span')!;
  expect(span).toMatchObject({ calculationId: 'calc-s', chunkIndex: '100', seed: String(SEED), points: String(SHORT), chunkCount: 12 });
  expect(span.spanInside).toHaveLength(12);
  span.spanInside.forEach((inside, i) => {
    expect(inside).toBe(results.get(`one-${100 + i}`)!.inside);
    expect(Number(inside)).toBe(direct(100 + i));
  });
  expect(Number(span.inside)).toBe(span.spanInside.reduce((sum, n) => sum + Number(n), 0));
  // A single-chunk lease's result carries no span fields.
  expect(results.get('one-100')).toMatchObject({ chunkCount: 0, spanInside: [] });
  expect(resultsIn(s.seen)).toHaveLength(13);
  expect(s.seen.filter((m) => m.results)).toEqual([]);
});

it('answers a LeaseBatch mixing spans and single leases: each lease once, in the shape it was granted', async () => {
  const w = await worker();
  const s = w.talk();
  await s.hello;
  s.send({
    leases: {
      leases: [lease('a', 0), lease('b', 1, 10), lease('c', 11), lease('d', 12, 4), lease('e', 16, 1)],
    },
  });
  const results = await answered(s.seen, ['a', 'b', 'c', 'd', 'e']);
  expect(resultsIn(s.seen)).toHaveLength(5);
  expect(failuresIn(s.seen)).toEqual([]);
  for (const id of ['a', 'c']) expect(results.get(id)).toMatchObject({ chunkCount: 0, spanInside: [] });
  // chunk_count 1 is one chunk: echoed, no span counts.
  expect(results.get('e')).toMatchObject({ chunkCount: 1, spanInside: [], inside: String(direct(16)) });
  expect(results.get('b')!.spanInside.map(Number)).toEqual(Array.from({ length: 10 }, (_, i) => direct(1 + i)));
  expect(results.get('d')!.spanInside.map(Number)).toEqual(Array.from({ length: 4 }, (_, i) => direct(12 + i)));
  expect(Number(results.get('a')!.inside)).toBe(direct(0));
  expect(Number(results.get('c')!.inside)).toBe(direct(11));
});

it('keeps both threads of a two-thread worker on one span and still reports every chunk right', async () => {
  const w = await worker(2);
  const s = w.talk();
  await s.hello;
  // A first chunk gives the runner its pace, so the span goes in runs of about equal length, one per thread at least.
  s.send({ lease: lease('pace', 999, 0, 4_000_000) });
  await answered(s.seen, ['pace']);
  const before = w.runs.length;
  s.send({ lease: lease('span', 0, 60, 4_000_000) });
  const span = (await answered(s.seen, ['span'])).get('span')!;
  expect(span.spanInside.map(Number)).toEqual(Array.from({ length: 60 }, (_, i) => direct(i, 4_000_000)));
  const runs = w.runs.slice(before);
  expect(runs.length).toBeGreaterThanOrEqual(2);
  // No run holds most of the span: it is shared between the threads.
  expect(Math.max(...runs.map((r) => r.tasks.length))).toBeLessThanOrEqual(40);
  // A second run was posted while the first had not ended: one for each thread.
  expect(runs[1].others).toBeGreaterThanOrEqual(1);
  expect(runs.flatMap((r) => r.tasks)).toHaveLength(60);
});

it('fails a span once, by its first chunk, when a chunk of it cannot be computed', async () => {
  const w = await worker();
  const s = w.talk();
  await s.hello;
  // Chunks 4294967290..4294967299: the kernel computes indices up to 2^32 - 1 only.
  s.send({ lease: lease('bad', 4_294_967_290, 10) });
  s.send({ lease: lease('long', 0, MAX_LEASE_CHUNKS + 1) });
  s.send({ lease: lease('after', 7) });
  await answered(s.seen, ['after']);
  await until('two failures', () => failuresIn(s.seen).length === 2, 10_000, 20);
  const failures = new Map(failuresIn(s.seen).map((f) => [f.leaseId, f]));
  expect(failures.get('bad')).toMatchObject({ chunkIndex: '4294967290', code: 'KERNEL_INVALID_INPUT' });
  expect(failures.get('long')).toMatchObject({ chunkIndex: '0', code: 'KERNEL_INVALID_INPUT' });
  expect(resultsIn(s.seen).map((r) => r.leaseId)).toEqual(['after']);
  await w.runner.whenIdle();
  expect(w.runner.heldCount).toBe(0);
});

it('names a span in heartbeats, and on a revoke in its middle stops it: no answer, its later chunks never run', async () => {
  const w = await worker();
  const s = w.talk();
  await s.hello;
  // ttl 400 ms: heartbeats every 100 ms.
  s.send({ lease: lease('span', 0, 10, MEDIUM, 400) });
  await until('a heartbeat naming the span', () => s.seen.some((m) => m.heartbeat?.leaseIds.includes('span')), 10_000, 20);
  await until('its second chunk to start', () => w.tasks()[1]?.started, 20_000, 5);
  s.send({ revoke: { leaseIds: ['span'], reason: 'CANCELLED' } });
  await until('the runner to drop it', () => w.runner.heldCount === 0, 10_000, 5);
  await w.runner.whenIdle();
  await Promise.allSettled(w.tasks().map((t) => t.outcome));
  // Anything the worker would have sent for it comes before the next lease's result on this stream.
  s.send({ lease: lease('after', 50) });
  await answered(s.seen, ['after']);
  expect(resultsIn(s.seen).map((r) => r.leaseId)).toEqual(['after']);
  expect(failuresIn(s.seen)).toEqual([]);
  const started = w.tasks().filter((t) => t.started).length;
  // The first, the second, perhaps the third as the revoke arrived, and 'after'; not the other seven.
  expect(started).toBeLessThanOrEqual(4);
  expect(w.tasks().length).toBeLessThan(11);
});

it('on drain hands back whole the spans it has not started, and finishes and reports the one it has', async () => {
  const w = await worker();
  const s = w.talk();
  await s.hello;
  s.send({ leases: { leases: [lease('running', 0, 4, MEDIUM), lease('s2', 4, 5), lease('s3', 9, 5), lease('one', 14)] } });
  await until('the first chunk to start', () => w.tasks()[0]?.started, 20_000, 5);
  const drained = await w.service.drain();
  expect(drained).toEqual({ handedBack: 3, aborted: 0 });
  await s.ended;
  const failures = failuresIn(s.seen);
  expect(failures.map((f) => [f.leaseId, f.chunkIndex, f.code]).sort()).toEqual([
    ['one', '14', 'LEASE_RETURNED'],
    ['s2', '4', 'LEASE_RETURNED'],
    ['s3', '9', 'LEASE_RETURNED'],
  ]);
  const results = resultsIn(s.seen);
  expect(results.map((r) => r.leaseId)).toEqual(['running']);
  expect(results[0].spanInside.map(Number)).toEqual(Array.from({ length: 4 }, (_, i) => direct(i, MEDIUM)));
  expect(s.seen.some((m) => m.draining)).toBe(true);
  // Nothing of the handed-back spans ever ran.
  expect(w.tasks().filter((t) => t.started)).toHaveLength(4);
});

it('sends a span result whose stream has closed on the next stream', async () => {
  const w = await worker();
  const first = w.talk();
  await first.hello;
  first.send({ lease: lease('span', 30, 3, MEDIUM) });
  await until('the span to start', () => w.tasks()[0]?.started, 20_000, 5);
  first.cancel();
  const second = w.talk();
  await second.hello;
  const span = (await answered(second.seen, ['span'])).get('span')!;
  expect(span).toMatchObject({ chunkIndex: '30', chunkCount: 3 });
  expect(span.spanInside.map(Number)).toEqual([30, 31, 32].map((i) => direct(i, MEDIUM)));
});

it('bounds a ResultBatch by chunks, not results: span results share batches up to 4,096 chunks, a larger span goes alone', async () => {
  const contract = loadContract();
  const server = await startGrpcServer({
    service: 'worker',
    host: '127.0.0.1',
    port: 0,
    register: (srv) =>
      srv.addService(contract.worker.pigrid.v1.Worker.service, {
        Work: (call: WorkCall) => {
          const session = new WorkSession(
            call,
            { lease: () => {}, revoke: () => {}, closed: () => {} },
            createLogger('worker', { level: 'error' }),
          );
          call.on('data', () => {
            // Results completing in one turn, after a LeaseBatch: 2 + 2,000 + 2,000 + 5,000 + 1 + 96 + 1,000 chunks.
            const sizes = [0, 0, 2_000, 2_000, 5_000, 0, 96, 1_000];
            sizes.forEach((n, i) =>
              session.sendResult({
                leaseId: `r${i}`,
                calculationId: 'c',
                chunkIndex: i,
                seed: 1,
                points: 1000,
                inside: n,
                elapsedMs: 0,
                chunkCount: n,
                spanInside: Array<number>(n).fill(1),
              }),
            );
          });
        },
      }),
  });
  const client = new contract.worker.pigrid.v1.Worker(`127.0.0.1:${server.port}`, grpc.credentials.createInsecure());
  cleanups.push(async () => {
    client.close();
    await server.close(500);
  });
  const stream = client.Work();
  cleanups.push(() => stream.cancel());
  stream.on('error', () => {});
  const messages: WorkerMessage__Output[] = [];
  stream.on('data', (m: WorkerMessage__Output) => messages.push(m));
  stream.write({ leases: { leases: [] } });
  await until('every result', () => resultsIn(messages).length === 8, 10_000, 20);
  const shape = messages.map((m) => (m.result ? [m.result.leaseId] : m.results!.results.map((r) => r.leaseId)));
  expect(shape).toEqual([['r0', 'r1', 'r2', 'r3'], ['r4'], ['r5', 'r6', 'r7']]);
  expect(resultsIn(messages).map((r) => r.spanInside.length)).toEqual([0, 0, 2_000, 2_000, 5_000, 0, 96, 1_000]);
});
