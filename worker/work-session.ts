/**
 * One coordinator's Work stream, seen from the worker: the hello, leases in, results/heartbeats/failures out.
 */
import type * as grpc from '@grpc/grpc-js';
import type { CoordinatorMessage__Output } from '../generated/proto/pigrid/v1/CoordinatorMessage.js';
import type { WorkerMessage } from '../generated/proto/pigrid/v1/WorkerMessage.js';
import type { Logger } from '../shared/logger.js';

export type WorkCall = grpc.ServerDuplexStream<CoordinatorMessage__Output, WorkerMessage>;

/** Heartbeats go out a few times per lease TTL, so one lost heartbeat never expires a lease. */
export function heartbeatIntervalMs(ttlMs: number): number {
  return Math.min(5_000, Math.max(100, Math.floor(ttlMs / 4)));
}

export interface SessionHandlers {
  lease(session: WorkSession, msg: NonNullable<CoordinatorMessage__Output['lease']>): void;
  revoke(session: WorkSession, leaseIds: readonly string[], reason: string): void;
  closed(session: WorkSession): void;
}

let nextSessionId = 1;

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

  send(msg: WorkerMessage): boolean {
    if (!this.open) return false;
    try {
      this.call.write(msg);
      return true;
    } catch (err) {
      this.close(`write failed: ${(err as Error).message}`);
      return false;
    }
  }

  /** Ends the stream from the worker's side (drain complete). */
  end(): void {
    if (!this.open) return;
    try {
      this.call.end();
    } catch {
      // already gone
    }
    this.close('worker ended the stream');
  }

  private onMessage(msg: CoordinatorMessage__Output): void {
    if (msg.lease) {
      const ttl = Number(msg.lease.ttlMs);
      if (ttl > 0 && heartbeatIntervalMs(ttl) < this.heartbeatMs) {
        this.heartbeatMs = heartbeatIntervalMs(ttl);
        this.scheduleHeartbeat();
      }
      this.leases.add(msg.lease.leaseId);
      this.handlers.lease(this, msg.lease);
    } else if (msg.revoke) {
      for (const id of msg.revoke.leaseIds) this.leases.delete(id);
      this.handlers.revoke(this, msg.revoke.leaseIds, msg.revoke.reason);
    }
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
    this.handlers.closed(this);
  }
}
