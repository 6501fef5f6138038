/**
 * The lease table: a lease leaves it answered (`detach`: its chunks stay where the answer put them) or unanswered
 * (`release`: its chunks, or its check, wait to be leased again unless another lease covers them). Granting is in
 * lease-granting.ts, expiry in lease-expiry.ts.
 */
import type { CalculationRuntime } from './calculation-runtime.js';
import { touch } from './fair-share.js';
import type { Effect, ReleaseReason } from './scheduler-types.js';
import type { Lease, SchedulerState } from './scheduler-state.js';

/** Removes a lease from every table without requeueing its chunk (it was answered). */
export function detach(s: SchedulerState, lease: Lease): void {
  forget(s, lease);
  const c = s.calcs.get(lease.calculationId);
  if (!c) return;
  c.leaseIds.delete(lease.leaseId);
  if (lease.purpose === 'verify') {
    // A check still pending after this answer (a dispute, or an answer that did not settle it) waits again.
    c.dropCheckLease(lease.chunkIndex, lease.leaseId);
  } else {
    for (let i = lease.chunkIndex; i < lease.chunkIndex + lease.chunkCount; i++) c.forgetLease(i, lease.leaseId);
  }
  touch(s, c);
}

/** Takes a lease out of the lease table, the deadline list and its connection. */
export function forget(s: SchedulerState, lease: Lease): void {
  s.leases.delete(lease.leaseId);
  s.deadlines.remove(lease);
  const w = s.registry.get(lease.connId);
  if (w) {
    w.leases.delete(lease.leaseId);
    s.registry.refresh(w, s.lastNow);
  }
}

/** A lease ends unanswered: its chunk (or its check) waits to be leased again unless another lease covers it. */
export function release(s: SchedulerState, lease: Lease, reason: ReleaseReason, effects: Effect[]): void {
  forget(s, lease);
  const c = s.calcs.get(lease.calculationId);
  if (!c) return;
  c.leaseIds.delete(lease.leaseId);
  if (lease.purpose === 'verify') c.dropCheckLease(lease.chunkIndex, lease.leaseId);
  else {
    // Every chunk of a span not committed (and not held by another lease) goes back: one `released` each.
    const end = lease.chunkIndex + lease.chunkCount;
    releaseChunks(s, c, lease.chunkIndex, end, (index) => c.dropLease(index, lease.leaseId), reason, effects);
  }
  touch(s, c);
}

/** Chunks from..end-1 for which `sendBack` put the chunk back in the queue: one `released` each, counted. */
export function releaseChunks(
  s: SchedulerState,
  c: CalculationRuntime,
  from: number,
  end: number,
  sendBack: (index: number) => boolean,
  reason: ReleaseReason,
  effects: Effect[],
): void {
  let released = 0;
  for (let i = from; i < end; i++) {
    if (!sendBack(i)) continue;
    released += 1;
    effects.push({ type: 'released', calculationId: c.rec.id, chunkIndex: i, reason });
  }
  if (released > 0) {
    c.rec.chunksReleased += released;
    effects.push({ type: 'calculation', calculation: { ...c.rec } });
    touch(s, c);
  }
}
