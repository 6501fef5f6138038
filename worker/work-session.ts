/**
 * One coordinator's Work stream, seen from the worker: the hello, leases (single or batched) in,
 * results/heartbeats/failures out. Once the stream has carried a LeaseBatch (proof that the coordinator understands
 * batches) the results that complete in one turn of the event loop go out as one ResultBatch.
 */
import type * as grpc from '@grpc/grpc-js';
import type { ChunkResult } from '../generated/proto/pigrid/v1/ChunkResult.js';
import type { CoordinatorMessage__Output } from '../generated/proto/pigrid/v1/CoordinatorMessage.js';
import type { Lease__Output } from '../generated/proto/pigrid/v1/Lease.js';
import type { WorkerMessage } from '../generated/proto/pigrid/v1/WorkerMessage.js';
import type { Logger } from '../shared/logger.js';
import { MAX_RESULT_BATCH } from '../shared/wire.js';

export type WorkCall = grpc.ServerDuplexStream<CoordinatorMessage__Output, WorkerMessage>;

/** Heartbeats go out a few times per lease TTL, so one lost heartbeat never expires a lease. */
export function heartbeatIntervalMs(ttlMs: number): number {
  return Math.min(5_000, Math.max(100, Math.floor(ttlMs / 4)));
}

export interface SessionHandlers {
  lease(session: WorkSession, msg: Lease__Output): void;
  revoke(session: WorkSession, leaseIds: readonly string[], reason: string): void;
  /** The stream closed; `unsent` are results it had queued and not written (to be delivered elsewhere). */
  closed(session: WorkSession, unsent: readonly WorkerMessage[]): void;
}

let nextSessionId = 1;

/** Chunks a result answers: its span's, else one. */
const chunksIn = (r: ChunkResult): number => Math.max(1, r.spanInside?.length ?? 0);

export class WorkSession {
  readonly id = nextSessionId++;
  readonly peer: string;
  /** Leases granted on this stream and not yet answered. */
  readonly leases = new Set<string>();
  private readonly call: WorkCall;
  private readonly handlers: SessionHandlers;
  private readonly log: Logger;
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private heartbeatMs = 2_000;
  private open = true;
  /** A LeaseBatch arrived on this stream: the coordinator accepts ResultBatch. */
  private batches = false;
  /** Results waiting for the end of this turn of the event loop (only once {@link batches}). */
  private pendingResults: ChunkResult[] = [];
  private flushScheduled = false;

  constructor(call: WorkCall, handlers: SessionHandlers, log: Logger) {
    this.call = call;
    this.handlers = handlers;
    this.peer = call.getPeer();
    this.log = log.child({ session: this.id });
    call.on('data', (msg: CoordinatorMessage__Output) => this.onMessage(msg));
    call.on('end', () => this.close('coordinator ended the stream'));
    call.on('cancelled', () => this.close('stream cancelled'));
    call.on('error', (err: Error) => this.close(`stream error: ${err.message}`));
    call.on('close', () => this.close('stream closed'));
    this.scheduleHeartbeat();
  }

  get isOpen(): boolean {
    return this.open;
  }

  /** Writes `msg` (after any results queued before it, so the order on the wire is the order of the calls). */
  send(msg: WorkerMessage): boolean {
    if (!this.open) return false;
    this.flushResults();
    return this.write(msg);
  }

  /**
   * Sends a result: at once on a stream that has not seen a LeaseBatch, else at the end of this turn of the event
   * loop, together with every other result of the turn in one ResultBatch. False when the stream is closed.
   */
  sendResult(result: ChunkResult): boolean {
    if (!this.open) return false;
    if (!this.batches) return this.write({ result });
    this.pendingResults.push(result);
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => {
        this.flushScheduled = false;
        this.flushResults();
      });
    }
    return true;
  }

  /**
   * Writes the queued results: one as a ChunkResult, more as ResultBatches of at most MAX_RESULT_BATCH chunks (a span
   * result counts its chunks, so a batch of spans stays as small as a batch of single results; a larger span goes
   * alone). Each stays queued until written, so a failed write (which closes the session) hands it over with the rest
   * as unsent.
   */
  private flushResults(): void {
    while (this.open && this.pendingResults.length > 0) {
      let n = 1;
      let chunks = chunksIn(this.pendingResults[0]);
      while (n < this.pendingResults.length && chunks + chunksIn(this.pendingResults[n]) <= MAX_RESULT_BATCH) {
        chunks += chunksIn(this.pendingResults[n]);
        n++;
      }
      const batch = this.pendingResults.slice(0, n);
      if (!this.write(batch.length === 1 ? { result: batch[0] } : { results: { results: batch } })) return;
      this.pendingResults = this.pendingResults.slice(batch.length);
    }
  }

  private write(msg: WorkerMessage): boolean {
    try {
      this.call.write(msg);
      return true;
    } catch (err) {
      this.close(`write failed: ${(err as Error).message}`);
      return false;
    }
  }

  /** Ends the stream from the worker's side (drain complete), after the results still queued. */
  end(): void {
    if (!this.open) return;
    this.flushResults();
    try {
      this.call.end();
    } catch {
      // already gone
    }
    this.close('worker ended the stream');
  }

  private onMessage(msg: CoordinatorMessage__Output): void {
    if (msg.lease) this.onLease(msg.lease);
    else if (msg.leases) {
      this.batches = true;
      for (const lease of msg.leases.leases) this.onLease(lease);
    } else if (msg.revoke) {
      for (const id of msg.revoke.leaseIds) this.leases.delete(id);
      this.handlers.revoke(this, msg.revoke.leaseIds, msg.revoke.reason);
    }
  }

  private onLease(lease: Lease__Output): void {
    const ttl = Number(lease.ttlMs);
    if (ttl > 0 && heartbeatIntervalMs(ttl) < this.heartbeatMs) {
      this.heartbeatMs = heartbeatIntervalMs(ttl);
      this.scheduleHeartbeat();
    }
    this.leases.add(lease.leaseId);
    this.handlers.lease(this, lease);
  }

  private scheduleHeartbeat(): void {
    if (this.heartbeatTimer) clearInterval(this.heartbeatTimer);
    this.heartbeatTimer = setInterval(() => this.send({ heartbeat: { leaseIds: [...this.leases] } }), this.heartbeatMs);
  }

  private close(why: string): void {
    if (!this.open) return;
    this.open = false;
    if (this.heartbeatTimer) clearInterval(this.heartbeatTimer);
    this.log.info({ peer: this.peer, why, leases: this.leases.size }, 'work stream closed');
    const unsent = this.pendingResults.map((result): WorkerMessage => ({ result }));
    this.pendingResults = [];
    this.handlers.closed(this, unsent);
  }
}
