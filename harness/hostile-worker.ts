/**
 * A misbehaving worker for integration tests: a real gRPC server on 127.0.0.1:0 speaking pigrid.v1.Worker, whose
 * answers to leases follow one chosen {@link Behaviour} (wrong counts, results naming other chunks, forged lease ids,
 * hoarding, handing everything back, replaying results to a restarted coordinator, oversized result batches, span
 * results that lie in one chunk), with or without lease batches and chunk spans. It is not a flag in the product: the coordinator must defend itself against exactly this
 * peer. Correct counts come from the project's kernel, in-process, so keep chunks small. Every stream, lease and message is counted in `stats`, so a test can prove the
 * misbehaviour really happened.
 */
import * as grpc from '@grpc/grpc-js';
import { randomUUID } from 'node:crypto';
import type { ChunkResult } from '../generated/proto/pigrid/v1/ChunkResult.js';
import type { CoordinatorMessage__Output } from '../generated/proto/pigrid/v1/CoordinatorMessage.js';
import type { Lease__Output } from '../generated/proto/pigrid/v1/Lease.js';
import type { WorkerMessage } from '../generated/proto/pigrid/v1/WorkerMessage.js';
import { startGrpcServer } from '../shared/grpc-server.js';
import { loadContract } from '../shared/proto.js';
import { countInside, STREAM_VERSION } from '../kernel/index.js';
import { heartbeatIntervalMs } from '../worker/work-session.js';
import { ErrorCode } from '../shared/errors.js';
import { MAX_RESULT_BATCH } from '../shared/wire.js';
import type { IdentityFiles } from '../shared/local-certs.js';
import { identity, serverCredentialsFor } from './tls.js';

/**
 * How the worker answers leases. Chunk j of a calculation is assumed to have as many points as the leased chunk
 * (tests use points = chunk count x chunk size).
 */
export type Behaviour =
  /** Every lease answered with its correct count. */
  | { kind: 'honest' }
  /** Every lease answered with its correct count + `offset`: plausible, and wrong. */
  | { kind: 'wrong'; offset: number }
  /** Its results number `every`, 2*`every`, ... (counted from 1 on this worker) are off by +1; the others are correct. */
  | { kind: 'wrong-every'; every: number }
  /** The lease of chunk i is answered with that lease's id but naming chunk i-1 (i+1 for chunk 0), correct for it. */
  | { kind: 'misaddressed' }
  /** Heartbeats every lease, never answers one. */
  | { kind: 'hoard' }
  /**
   * Answers its leases correctly, and with each one sends `perLease` results (counts off by +3) for chunks it never
   * held, counting down from chunk `chunkCount`-1, under invented lease ids: alternately a random UUID and its real
   * lease id with the last character changed (looks real, is not).
   */
  | { kind: 'forge'; chunkCount: number; perLease: number }
  /** Hands every lease back at once: ChunkFailure LEASE_RETURNED. */
  | { kind: 'return-all' }
  /**
   * Answers every lease with one ResultBatch of MAX_RESULT_BATCH + 1 copies of its correct result: more entries than
   * the coordinator reads.
   */
  | { kind: 'oversized' }
  /**
   * First stream: hoards its leases and computes their correct counts. Every later stream (a restarted coordinator):
   * hello with draining=true (so it is leased nothing), then the genuine results under their original lease ids,
   * then one forged result (random lease id, count off by +5) for chunk `forgeChunk` of the same calculation.
   */
  | { kind: 'replay'; forgeChunk: number }
  /**
   * Needs `spans`. Leases of one chunk answered correctly; every span lease answered with one chunk's count off by +1:
   * `entry` keeps the sum consistent with the wrong entry (a well-formed lie only a second computation can catch),
   * `sum` sends correct entries with an inside one more than their sum (malformed: to be refused whole).
   */
  | { kind: 'span-lie'; how: 'entry' | 'sum' };

export interface HostileStats {
  /** Work streams a coordinator opened. */
  streams: number;
  /** Leases received. */
  grants: number;
  /** Leases held right now (received, neither answered, handed back nor revoked), and the most ever held at once. */
  held: number;
  maxHeld: number;
  /** Lease ids the coordinator revoked. */
  revoked: number;
  /** Results answering its own leases, and how many of those had a wrong count. */
  results: number;
  wrong: number;
  /** Results that named another chunk than their lease. */
  misaddressed: number;
  /** Results under lease ids it was never granted. */
  forged: number;
  /** LEASE_RETURNED failures sent. */
  returned: number;
  /** Genuine results sent again on a later stream. */
  replayed: number;
  /** LeaseBatch messages received, and ResultBatch messages sent (oversized ones included). */
  leaseBatches: number;
  resultBatches: number;
  /** Leases of several chunks received, and span results sent with a lie in them. */
  spanLeases: number;
  spanLies: number;
}

export interface HostileWorkerOptions {
  workerId: string;
  /** @default a random UUID */
  instanceId?: string;
  /** Announced in the hello. */
  capacity: number;
  behaviour: Behaviour;
  /** The hello (and so every lease) waits for this; e.g. until another worker is known to the coordinator. */
  helloAfter?: () => Promise<unknown>;
  /**
   * Batching. `announce`: the hello sets accepts_lease_batches and the answers to a LeaseBatch's leases go out as one
   * ResultBatch (a single Lease is answered with single messages). `unannounced`: the hello does not announce it
   * (so it gets single Leases only), yet the results answering each lease message go out as a ResultBatch, before
   * any LeaseBatch was seen. @default neither: single messages only, like a worker older than batching
   */
  batches?: 'announce' | 'unannounced';
  /**
   * The hello sets accepts_chunk_spans: the coordinator may lease it several chunks at once. `honest`, `wrong`,
   * `wrong-every`, `forge` and `span-lie` answer a span with one result carrying each chunk's count (the behaviour
   * applied to each chunk); the other behaviours are meant for leases of one chunk.
   * @default false: leases of one chunk only
   */
  spans?: boolean;
  /**
   * The server's TLS files (mutual TLS, client certificate required), or 'plaintext' for a coordinator started with
   * PIGRID_INSECURE=true. @default a test-CA certificate naming `workerId`
   */
  certificate?: IdentityFiles | 'plaintext';
}

export interface HostileWorker {
  readonly address: string;
  readonly workerId: string;
  readonly instanceId: string;
  /** Live counters. */
  readonly stats: Readonly<HostileStats>;
  /** Stops heartbeats, ends the streams, closes the server. Idempotent. */
  close(): Promise<void>;
}

type WorkCall = grpc.ServerDuplexStream<CoordinatorMessage__Output, WorkerMessage>;

interface Held {
  readonly lease: Lease__Output;
  readonly stream: number;
}

const chunkOf = (l: Lease__Output) => Number(l.chunkIndex);
const countOf = (l: Lease__Output) => Math.max(1, l.chunkCount);
const correctOne = (l: Lease__Output, chunk: number) => countInside(BigInt(l.seed), chunk, Number(l.points));
/** The correct count of each chunk of the lease (one for a lease of one chunk). */
const correctSpan = (l: Lease__Output) => Array.from({ length: countOf(l) }, (_, i) => correctOne(l, chunkOf(l) + i));
/** The correct inside of the lease's chunk (or chunk `chunk`), or of its whole span. */
const correct = (l: Lease__Output, chunk?: number) =>
  chunk !== undefined || countOf(l) === 1 ? correctOne(l, chunk ?? chunkOf(l)) : correctSpan(l).reduce((a, b) => a + b, 0);
const lookalike = (id: string) => id.slice(0, -1) + (id.endsWith('0') ? '1' : '0');

function resultMsg(
  l: Lease__Output,
  inside: number,
  over: { leaseId?: string; chunkIndex?: number; spanInside?: number[] } = {},
): WorkerMessage {
  const result: ChunkResult = {
    leaseId: over.leaseId ?? l.leaseId,
    calculationId: l.calculationId,
    chunkIndex: over.chunkIndex ?? chunkOf(l),
    seed: l.seed,
    points: l.points,
    inside,
    elapsedMs: 1,
  };
  if (over.spanInside) {
    result.chunkCount = over.spanInside.length;
    result.spanInside = over.spanInside;
    result.elapsedMs = over.spanInside.length;
  }
  return { result };
}

/** The result of a span lease whose chunk counts are `counts` (inside their sum plus `sumOffset`). */
function spanResultMsg(l: Lease__Output, counts: number[], sumOffset = 0): WorkerMessage {
  return resultMsg(l, counts.reduce((a, b) => a + b, 0) + sumOffset, { spanInside: counts });
}

export async function startHostileWorker(opts: HostileWorkerOptions): Promise<HostileWorker> {
  const instanceId = opts.instanceId ?? randomUUID();
  const b = opts.behaviour;
  const stats: HostileStats = {
    streams: 0,
    grants: 0,
    held: 0,
    maxHeld: 0,
    revoked: 0,
    results: 0,
    wrong: 0,
    misaddressed: 0,
    forged: 0,
    returned: 0,
    replayed: 0,
    leaseBatches: 0,
    resultBatches: 0,
    spanLeases: 0,
    spanLies: 0,
  };
  const held = new Map<string, Held>();
  const everLeased = new Set<string>(); // `${calculation}/${chunk}` this worker was granted
  const forgedChunks = new Set<string>();
  const replayable: { lease: Lease__Output; inside: number }[] = [];
  const calls = new Set<WorkCall>();
  const timers = new Set<NodeJS.Timeout>();

  const hold = (l: Lease__Output, stream: number) => {
    held.set(l.leaseId, { lease: l, stream });
    stats.held = held.size;
    stats.maxHeld = Math.max(stats.maxHeld, held.size);
  };
  const drop = (leaseId: string) => {
    held.delete(leaseId);
    stats.held = held.size;
  };

  /** Results for chunks it never held, under lease ids it was never granted. */
  function forge(l: Lease__Output, chunkCount: number, perLease: number, send: (m: WorkerMessage) => void): void {
    for (let k = chunkCount - 1, sent = 0; k >= 0 && sent < perLease; k--) {
      const key = `${l.calculationId}/${k}`;
      if (everLeased.has(key) || forgedChunks.has(key)) continue;
      forgedChunks.add(key);
      const leaseId = stats.forged % 2 === 0 ? randomUUID() : lookalike(l.leaseId);
      send(resultMsg(l, correct(l, k) + 3, { leaseId, chunkIndex: k }));
      stats.forged += 1;
      sent += 1;
    }
  }

  /** What the behaviour does with one fresh lease on stream number `stream`. */
  function onLease(l: Lease__Output, stream: number, send: (m: WorkerMessage) => void): void {
    const span = countOf(l) > 1;
    if (span) stats.spanLeases += 1;
    /** Answers with the correct count + `offset` (for a span: each chunk's count + `offset`). */
    const answer = (offset: number) => {
      stats.results += 1;
      if (offset !== 0) stats.wrong += 1;
      if (span)
        send(
          spanResultMsg(
            l,
            correctSpan(l).map((v) => v + offset),
          ),
        );
      else send(resultMsg(l, correct(l) + offset));
    };
    /** Hands the lease back, as a draining worker does. */
    const handBack = (message: string) => {
      stats.returned += 1;
      send({
        failure: { leaseId: l.leaseId, calculationId: l.calculationId, chunkIndex: l.chunkIndex, code: ErrorCode.LEASE_RETURNED, message },
      });
    };
    switch (b.kind) {
      case 'honest':
        return answer(0);
      case 'wrong':
        return answer(b.offset);
      case 'wrong-every':
        return answer((stats.results + 1) % b.every === 0 ? 1 : 0);
      case 'span-lie': {
        if (!span) return answer(0);
        const counts = correctSpan(l);
        stats.results += 1;
        stats.wrong += 1;
        stats.spanLies += 1;
        if (b.how === 'sum') return send(spanResultMsg(l, counts, 1));
        counts[Math.floor(counts.length / 2)] += 1;
        return send(spanResultMsg(l, counts));
      }
      case 'misaddressed': {
        const other = chunkOf(l) > 0 ? chunkOf(l) - 1 : 1;
        stats.misaddressed += 1;
        return send(resultMsg(l, correct(l, other), { chunkIndex: other }));
      }
      case 'forge':
        forge(l, b.chunkCount, b.perLease, send);
        return answer(0);
      case 'return-all':
        return handBack('no thanks');
      case 'oversized': {
        const copy = resultMsg(l, correct(l)).result!;
        stats.resultBatches += 1;
        return send({ results: { results: Array.from({ length: MAX_RESULT_BATCH + 1 }, () => copy) } });
      }
      case 'replay':
        if (stream > 1) return handBack('draining');
        replayable.push({ lease: l, inside: correct(l) });
        return hold(l, stream);
      case 'hoard':
        return hold(l, stream);
    }
  }

  /** A later stream of a replaying worker: the genuine results kept from the first stream, then one forgery. */
  function replay(send: (m: WorkerMessage) => void): void {
    if (b.kind !== 'replay' || replayable.length === 0) return;
    const kept = replayable.splice(0);
    for (const { lease, inside } of kept) {
      drop(lease.leaseId);
      send(resultMsg(lease, inside));
      stats.replayed += 1;
    }
    const template = kept[0].lease;
    send(resultMsg(template, correct(template, b.forgeChunk) + 5, { leaseId: randomUUID(), chunkIndex: b.forgeChunk }));
    stats.forged += 1;
  }

  const work = (call: WorkCall): void => {
    const stream = ++stats.streams;
    calls.add(call);
    let open = true;
    const send = (m: WorkerMessage) => {
      if (!open) return;
      try {
        call.write(m);
      } catch {
        open = false;
      }
    };
    let beatMs = 2_000;
    let beat: NodeJS.Timeout | undefined;
    const schedule = () => {
      if (beat) {
        clearInterval(beat);
        timers.delete(beat);
      }
      beat = setInterval(
        () => send({ heartbeat: { leaseIds: [...held].filter(([, h]) => h.stream === stream).map(([id]) => id) } }),
        beatMs,
      );
      timers.add(beat);
    };
    const closed = () => {
      if (!open) return;
      open = false;
      calls.delete(call);
      if (beat) {
        clearInterval(beat);
        timers.delete(beat);
      }
      // The coordinator forgets a lost stream's leases; a replaying worker keeps its results for the next stream.
      if (b.kind !== 'replay') for (const [id, h] of held) if (h.stream === stream) drop(id);
    };
    call.on('data', (msg: CoordinatorMessage__Output) => {
      const leases = msg.lease ? [msg.lease] : (msg.leases?.leases ?? []);
      if (msg.leases) stats.leaseBatches += 1;
      // The results answering this message, when they are to go out as one ResultBatch.
      const batched: ChunkResult[] | undefined =
        opts.batches === 'unannounced' || (opts.batches === 'announce' && msg.leases) ? [] : undefined;
      const out = batched ? (m: WorkerMessage) => (m.result ? batched.push(m.result) : send(m)) : send;
      for (const lease of leases) {
        stats.grants += 1;
        for (let i = 0; i < countOf(lease); i++) everLeased.add(`${lease.calculationId}/${chunkOf(lease) + i}`);
        const ttl = Number(lease.ttlMs);
        if (ttl > 0 && heartbeatIntervalMs(ttl) < beatMs) {
          beatMs = heartbeatIntervalMs(ttl);
          schedule();
        }
        onLease(lease, stream, out);
      }
      if (batched && batched.length > 0) {
        stats.resultBatches += 1;
        send({ results: { results: batched } });
      }
      if (msg.revoke) {
        for (const id of msg.revoke.leaseIds) {
          stats.revoked += 1;
          drop(id);
        }
      }
    });
    for (const ev of ['end', 'cancelled', 'error', 'close']) call.on(ev, closed);
    void (opts.helloAfter?.() ?? Promise.resolve()).then(() => {
      const later = b.kind === 'replay' && stream > 1;
      send({
        hello: {
          workerId: opts.workerId,
          instanceId,
          capacity: later ? 0 : opts.capacity,
          draining: later,
          kernel: `hostile-${b.kind}`,
          version: 'hostile',
          streamVersion: STREAM_VERSION,
          acceptsLeaseBatches: opts.batches === 'announce',
          acceptsChunkSpans: opts.spans === true,
        },
      });
      schedule();
      if (later) replay(send);
    });
  };

  const contract = loadContract();
  const files = opts.certificate ?? (await identity('worker', opts.workerId));
  const server = await startGrpcServer({
    service: 'worker',
    host: '127.0.0.1',
    port: 0,
    credentials: files === 'plaintext' ? undefined : await serverCredentialsFor(files),
    register: (s) => s.addService(contract.worker.pigrid.v1.Worker.service, { Work: work }),
  });
  server.setReady(true);
  let closing: Promise<void> | undefined;
  return {
    address: `127.0.0.1:${server.port}`,
    workerId: opts.workerId,
    instanceId,
    stats,
    close() {
      closing ??= (async () => {
        for (const t of timers) clearInterval(t);
        for (const c of calls) {
          try {
            c.end();
          } catch {
            // already gone
          }
        }
        await server.close(500);
      })();
      return closing;
    },
  };
}
