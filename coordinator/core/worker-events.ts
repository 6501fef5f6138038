/**
 * What the scheduler does about a worker's connection and standing: hello, drain, disconnect, heartbeat, and the
 * signals results and failures give about it - alive again, backed off, credit earned.
 */
import { release } from './lease-table.js';
import type { Effect, QuarantineRecord, WorkerKind } from './scheduler-types.js';
import type { SchedulerState } from './scheduler-state.js';
import type { Connection } from './worker-registry.js';

export interface WorkerHello {
  readonly connId: string;
  readonly workerId: string;
  readonly instanceId?: string;
  readonly address: string;
  readonly kind: WorkerKind;
  readonly capacity: number;
  readonly draining?: boolean;
  /** The worker's hello set accepts_chunk_spans (remote workers only). */
  readonly acceptsSpans?: boolean;
}

/** `Scheduler.connectWorker`: an older stream of the same process drains; another process is a conflict. */
export function connectWorker(s: SchedulerState, hello: WorkerHello, now: number, effects: Effect[]): void {
  const instanceId = hello.instanceId ?? '';
  s.lastNow = now;
  for (const other of s.registry.withWorkerId(hello.workerId)) {
    if (other.kind !== hello.kind || other.connId === hello.connId) continue;
    if (other.instanceId === instanceId) {
      other.draining = true;
      s.registry.refresh(other, now);
    } else {
      effects.push({
        type: 'worker',
        connId: hello.connId,
        workerId: hello.workerId,
        event: 'identity_conflict',
        detail: `worker id already connected from another process (${other.address}); neither takes the other's leases`,
      });
    }
  }
  s.registry.add({ ...hello, instanceId, draining: hello.draining ?? false }, now);
}

/** `Scheduler.restoreQuarantined` */
export function restoreQuarantined(s: SchedulerState, records: readonly QuarantineRecord[]): void {
  for (const r of records) s.registry.quarantine(r);
}

/** `Scheduler.drainWorker` */
export function drainWorker(s: SchedulerState, connId: string): void {
  const w = s.registry.get(connId);
  if (!w) return;
  w.draining = true;
  s.registry.refresh(w, s.lastNow);
}

/** `Scheduler.disconnectWorker` */
export function disconnectWorker(s: SchedulerState, connId: string, effects: Effect[]): void {
  const w = s.registry.get(connId);
  if (!w) return;
  for (const leaseId of [...w.leases]) release(s, s.leases.get(leaseId)!, 'worker_lost', effects);
  s.registry.remove(connId);
}

/** `Scheduler.heartbeat`: a lease of the local pool has no deadline to renew. */
export function heartbeat(s: SchedulerState, connId: string, leaseIds: readonly string[], now: number, effects: Effect[]): void {
  const w = s.registry.get(connId);
  if (!w) return;
  s.lastNow = now;
  alive(s, w, effects);
  for (const id of leaseIds) {
    const lease = s.leases.get(id);
    if (lease && lease.connId === connId && lease.deadlineMs !== Number.POSITIVE_INFINITY) {
      lease.deadlineMs = now + s.opts.leaseTtlMs;
      s.deadlines.upsert(lease);
    }
  }
}

/** Any message from an unresponsive worker shows it alive again: it may take leases again. */
export function alive(s: SchedulerState, w: Connection, effects: Effect[]): void {
  if (!w.unresponsive) return;
  w.unresponsive = false;
  s.registry.refresh(w, s.lastNow);
  effects.push({
    type: 'worker',
    connId: w.connId,
    workerId: w.workerId,
    event: 'alive',
    detail: 'heard from again after a lease expired',
  });
}

/** A worker answered wrongly or failed: it is backed off (no new lease for a while). */
export function penalise(s: SchedulerState, w: Connection, now: number, effects: Effect[]): void {
  const ms = s.registry.penalise(w, now);
  s.registry.refresh(w, now);
  effects.push({ type: 'worker', connId: w.connId, workerId: w.workerId, event: 'backoff', detail: `no new lease for ${ms} ms` });
}

/** Credits are earned per identity: every stream of that worker can use the new credit. */
export function reward(s: SchedulerState, w: Connection): void {
  s.spanRewards += 1;
  s.registry.rewarded(w, s.lastNow, !s.spanResult);
  for (const same of s.registry.withWorkerId(w.workerId)) if (same.key === w.key) s.registry.refresh(same, s.lastNow);
}
