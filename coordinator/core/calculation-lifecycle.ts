/**
 * A calculation's lifecycle in the scheduler: added (or restored after a restart), progressed as its chunks are
 * committed, and finished - completed, failed or cancelled - at which point its leases are revoked and it leaves
 * every index.
 */
import { CalculationRuntime } from './calculation-runtime.js';
import { touch } from './fair-share.js';
import { forget } from './lease-table.js';
import type { CalculationRecord, ChunkCommit } from './model.js';
import { isTerminal } from './model.js';
import type { Effect, RevokeReason } from './scheduler-types.js';
import type { SchedulerState } from './scheduler-state.js';
import { rememberKernelSpeed } from './span-sizing.js';

/** `Scheduler.addCalculation`: a calculation already complete in the store ends at once. */
export function addCalculation(
  s: SchedulerState,
  rec: CalculationRecord,
  committed: ReadonlyMap<number, ChunkCommit>,
  now: number,
  effects: Effect[],
): void {
  if (isTerminal(rec.status) || s.calcs.has(rec.id)) return;
  const c = new CalculationRuntime(rec, committed, now);
  s.calcs.set(rec.id, c);
  if (c.isDone()) finish(s, c, 'completed', now, effects);
  else touch(s, c);
}

/** `Scheduler.cancel`: finishes the calculation as cancelled, naming how far it got. */
export function cancel(s: SchedulerState, id: string, now: number, effects: Effect[]): CalculationRecord | undefined {
  const c = s.calcs.get(id);
  if (!c) return undefined;
  const done = `${c.rec.chunksDone} of ${c.rec.chunkCount} chunks`;
  finish(s, c, 'cancelled', now, effects, { code: 'CANCELLED_BY_CLIENT', message: `cancelled by a client after ${done}` });
  return { ...c.rec };
}

/** After a chunk changed: the calculation completes when every chunk is committed and every check settled. */
export function progressed(s: SchedulerState, c: CalculationRuntime, now: number, effects: Effect[]): void {
  if (c.isDone()) finish(s, c, 'completed', now, effects);
  else {
    touch(s, c);
    if (s.spanResult) s.spanProgressed = true;
    else effects.push({ type: 'calculation', calculation: { ...c.rec } });
  }
}

/** Ends a calculation: its leases are revoked (one revoke per stream) and forgotten, and it leaves every index. */
export function finish(
  s: SchedulerState,
  c: CalculationRuntime,
  status: 'completed' | 'failed' | 'cancelled',
  now: number,
  effects: Effect[],
  error?: { code: string; message: string },
): void {
  rememberKernelSpeed(s, c);
  c.rec.status = status;
  c.rec.finishedAtMs = now;
  c.rec.error = error?.message ?? null;
  c.rec.errorCode = error?.code ?? null;
  const reason: RevokeReason = status === 'cancelled' ? 'CANCELLED' : 'CALCULATION_ENDED';
  const byConn = new Map<string, string[]>();
  for (const id of c.leaseIds) {
    const lease = s.leases.get(id)!;
    const list = byConn.get(lease.connId) ?? [];
    list.push(id);
    byConn.set(lease.connId, list);
    forget(s, lease);
  }
  for (const [connId, leaseIds] of byConn) effects.push({ type: 'revoke', connId, leaseIds, reason });
  c.leaseIds.clear();
  s.calcs.delete(c.rec.id);
  s.backlogged[c.rec.mode].remove(c);
  s.checksWaiting.delete(c);
  effects.push({ type: 'calculation', calculation: { ...c.rec } });
}
