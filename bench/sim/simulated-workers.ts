/**
 * Many simulated workers in one process, for the dispatch benchmark: each is a real pigrid.v1.Worker gRPC server on
 * its own loopback port that says hello and answers every lease at once with the chunk's true hit count (tiny
 * chunks: the kernel costs microseconds), so what is measured is the coordinator's scheduling, storage and gRPC. It
 * announces lease batches and answers a LeaseBatch with one ResultBatch, and announces chunk spans and answers a
 * span lease with one result carrying each chunk's true count (computed the way a single chunk's is).
 *
 * Run as a process: `node dist/bench/sim/simulated-workers.js <count> [capacity]`; it prints one line
 * `addresses=<a,b,...>` when every server listens, and exits on SIGTERM or when stdin closes, printing to stderr how
 * many leases (and chunks) it received in how many messages.
 */
import * as grpc from '@grpc/grpc-js';
import { randomUUID } from 'node:crypto';
import type { ChunkResult } from '../../generated/proto/pigrid/v1/ChunkResult.js';
import type { CoordinatorMessage__Output } from '../../generated/proto/pigrid/v1/CoordinatorMessage.js';
import type { Lease__Output } from '../../generated/proto/pigrid/v1/Lease.js';
import type { WorkerMessage } from '../../generated/proto/pigrid/v1/WorkerMessage.js';
import { loadContract } from '../../shared/proto.js';
import { countInside, STREAM_VERSION } from '../../kernel/index.js';

/** The true result of a lease, computed at once: for a span, each chunk's count and their sum. */
function resultOf(l: Lease__Output, traffic: LeaseTraffic): ChunkResult {
  const first = Number(l.chunkIndex);
  const count = Math.max(1, l.chunkCount);
  traffic.chunks += count;
  const result: ChunkResult = {
    leaseId: l.leaseId,
    calculationId: l.calculationId,
    chunkIndex: l.chunkIndex,
    seed: l.seed,
    points: l.points,
    inside: countInside(BigInt(l.seed), first, Number(l.points)),
    elapsedMs: 0,
  };
  if (count === 1) return result;
  const spanInside: number[] = [];
  for (let i = 0; i < count; i++) spanInside.push(countInside(BigInt(l.seed), first + i, Number(l.points)));
  return { ...result, chunkCount: count, spanInside, inside: spanInside.reduce((a, b) => a + b, 0) };
}

/** Messages carrying leases (a Lease or a LeaseBatch) the simulated workers received, the leases and the chunks in them. */
export interface LeaseTraffic {
  messages: number;
  leases: number;
  chunks: number;
}

export async function startSimulatedWorkers(
  count: number,
  capacity: number,
): Promise<{ addresses: string[]; traffic: LeaseTraffic; close(): void }> {
  const traffic: LeaseTraffic = { messages: 0, leases: 0, chunks: 0 };
  const service = loadContract().worker.pigrid.v1.Worker.service;
  const servers: grpc.Server[] = [];
  const addresses: string[] = [];
  for (let i = 0; i < count; i++) {
    const workerId = `sim-${i}`;
    const instanceId = randomUUID();
    const server = new grpc.Server();
    server.addService(service, {
      Work(call: grpc.ServerDuplexStream<CoordinatorMessage__Output, WorkerMessage>) {
        call.write({
          hello: {
            workerId,
            instanceId,
            capacity,
            kernel: 'simulated',
            streamVersion: STREAM_VERSION,
            version: 'bench',
            acceptsLeaseBatches: true,
            acceptsChunkSpans: true,
          },
        });
        call.on('data', (msg: CoordinatorMessage__Output) => {
          if (msg.lease) {
            traffic.messages += 1;
            traffic.leases += 1;
            call.write({ result: resultOf(msg.lease, traffic) });
          } else if (msg.leases) {
            traffic.messages += 1;
            traffic.leases += msg.leases.leases.length;
            call.write({ results: { results: msg.leases.leases.map((l) => resultOf(l, traffic)) } });
          }
        });
        call.on('error', () => {});
        call.on('end', () => call.end());
      },
    });
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
    );
    servers.push(server);
    addresses.push(`127.0.0.1:${port}`);
  }
  return {
    addresses,
    traffic,
    close() {
      for (const s of servers) s.forceShutdown();
    },
  };
}

const isMain = process.argv[1]?.endsWith('simulated-workers.js');
if (isMain) {
  const count = Number(process.argv[2] ?? '2');
  const capacity = Number(process.argv[3] ?? '8');
  startSimulatedWorkers(count, capacity).then(
    (sim) => {
      process.stdout.write(`addresses=${sim.addresses.join(',')}\n`);
      const stop = () => {
        sim.close();
        // Leases per message (one ResultBatch answers each): how well the coordinator's batching held at this pool size.
        const { messages, leases, chunks } = sim.traffic;
        process.stderr.write(
          `simulated workers: ${leases} leases (${chunks} chunks) in ${messages} messages (${(leases / Math.max(1, messages)).toFixed(1)} per message)\n`,
        );
        process.exit(0);
      };
      process.on('SIGTERM', stop);
      process.stdin.on('end', stop);
      process.stdin.resume();
    },
    (err: Error) => {
      process.stderr.write(`simulated workers failed: ${err.stack ?? err.message}\n`);
      process.exit(1);
    },
  );
}
