/**
 * Coordinator CPU per chunk without sockets: the real CoordinatorService with the SQLite store, HMAC lease tokens,
 * metrics and the Work-stream codec, and workers that answer every lease at once in the same process. It separates
 * what the coordinator's own code costs from what gRPC/HTTP/2 and the machine add (bench/dispatch-bench.ts measures
 * the whole), and shows how the cost per chunk falls as a group commit carries more results.
 *
 * `node dist/bench/service-bench.js <workers> <one|all> <chunks>`: `one` answers one lease per event-loop turn (each
 * step commits one result), `all` answers every outstanding lease in one turn, with the Work stream's batches (the
 * leases a turn grants one worker in one LeaseBatch, answered by one ResultBatch). A fourth argument `spans` makes
 * the workers accept chunk spans (answered with one count per chunk). Prints one JSON line.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoordinatorService } from '../coordinator/coordinator-service.js';
import { leaseTokensFor } from '../coordinator/lease-tokens.js';
import { createCoordinatorMetrics } from '../coordinator/metrics.js';
import { leaseSerializer, resultDeserializer, resultReportOf } from '../coordinator/rpc/work-codec.js';
import { failFastWrites } from '../coordinator/store/store-failure.js';
import { openSqliteStore } from '../coordinator/store/sqlite-store.js';
import { pino } from 'pino';
import { loadContract } from '../shared/proto.js';
import type { Lease } from '../generated/proto/pigrid/v1/Lease.js';

export interface ServiceBenchRun {
  readonly workers: number;
  readonly mode: 'one' | 'all';
  readonly chunks: number;
  /** Coordinator CPU (user + system) per chunk, microseconds: the results' decode, the steps, the leases' encode. */
  readonly cpuUsPerChunk: number;
}

const quiet = pino({ level: 'silent' });

export async function runServiceBench(workers: number, mode: 'one' | 'all', chunks: number, spans = false): Promise<ServiceBenchRun> {
  const work = loadContract().worker.pigrid.v1.Worker.service.Work;
  const encode = leaseSerializer(work.requestSerialize);
  const decode = resultDeserializer(work.responseDeserialize);
  const store = failFastWrites(openSqliteStore(join(mkdtempSync(join(tmpdir(), 'pigrid-service-bench-')), 'pigrid.db')));
  let leases = 0;
  const service = new CoordinatorService({
    store,
    tokens: leaseTokensFor(store),
    log: quiet,
    metrics: createCoordinatorMetrics(),
    clock: { now: () => Date.now() },
    ids: { calculationId: () => randomUUID(), leaseId: () => `l${++leases}` },
    seeds: { seed: () => 1 },
    limits: { maxPoints: 1e15, maxChunks: 1e7, defaultChunkSize: 1000 },
    scheduler: { verifyRate: 0, verifyFirst: 0 },
  });
  /** Leases granted and not yet encoded, per connection; encoded at the end of the turn as WorkerLink does. */
  const granted = new Map<string, Lease[]>();
  /** Lease messages on the wire (a Lease, or a LeaseBatch in `all` mode), encoded as the coordinator sends them. */
  const wire: [string, Buffer][] = [];
  const sendGranted = () => {
    for (const [connId, leases] of granted) {
      if (mode === 'all' && leases.length > 1) wire.push([connId, encode({ leases: { leases } })]);
      else for (const lease of leases) wire.push([connId, encode({ lease })]);
    }
    granted.clear();
  };
  for (let i = 0; i < workers; i++) {
    const connId = `w${i}`;
    const hello = {
      connId,
      workerId: `sim-${i}`,
      instanceId: randomUUID(),
      address: connId,
      kind: 'remote' as const,
      capacity: 8,
      draining: false,
      acceptsSpans: spans,
    };
    service.workerConnected(hello, {
      grant: (_c, l) => {
        if (granted.size === 0) queueMicrotask(sendGranted);
        let list = granted.get(connId);
        if (!list) granted.set(connId, (list = []));
        list.push({
          leaseId: l.leaseId,
          calculationId: l.calculationId,
          chunkIndex: l.chunkIndex,
          seed: l.seed,
          points: l.points,
          ttlMs: l.ttlMs,
          ...(l.chunkCount > 1 ? { chunkCount: l.chunkCount } : {}),
        });
      },
      revoke() {},
    });
  }
  const run = async (n: number): Promise<number> => {
    const rec = await service.submit({ points: n * 1000, mode: 'distributed', seed: 2, chunkSize: 1000 }, false);
    let cpuUs = 0;
    while (service.get(rec.id).status !== 'completed') {
      // The workers' side (not measured): read the leases, write results (one ResultBatch per LeaseBatch).
      const answers = (mode === 'all' ? wire.splice(0) : wire.splice(0, 1)).map(([connId, buf]) => {
        const msg = work.requestDeserialize(buf);
        const results = (msg.lease ? [msg.lease] : msg.leases!.leases).map((l) =>
          l.chunkCount > 1
            ? {
                ...l,
                ttlMs: undefined,
                inside: 700 * l.chunkCount,
                elapsedMs: 0,
                spanInside: Array.from({ length: l.chunkCount }, () => 700),
              }
            : { ...l, ttlMs: undefined, chunkCount: undefined, inside: 700, elapsedMs: 0 },
        );
        const answer = results.length === 1 ? { result: results[0] } : { results: { results } };
        return [connId, work.responseSerialize(answer)] as const;
      });
      const before = process.cpuUsage();
      for (const [connId, buf] of answers) {
        const msg = decode(buf);
        for (const r of msg.result ? [msg.result] : msg.results!.results) service.result(connId, resultReportOf(r));
      }
      // The group commit runs here, then the grants (lease encode).
      await new Promise((resolve) => setImmediate(resolve));
      const used = process.cpuUsage(before);
      cpuUs += used.user + used.system;
    }
    return cpuUs / n;
  };
  await run(2000); // warm-up: JIT, prepared statements
  const cpuUsPerChunk = await run(chunks);
  store.close();
  return { workers, mode, chunks, cpuUsPerChunk };
}

if (process.argv[1]?.endsWith('service-bench.js')) {
  const [workers = '2', mode = 'all', chunks = '10000', spans] = process.argv.slice(2);
  if (mode !== 'one' && mode !== 'all') throw new Error('mode must be one or all');
  runServiceBench(Number(workers), mode, Number(chunks), spans === 'spans').then(
    (r) => process.stdout.write(`${JSON.stringify(r)}\n`),
    (err: Error) => {
      process.stderr.write(`service bench failed: ${err.stack ?? err.message}\n`);
      process.exit(1);
    },
  );
}
