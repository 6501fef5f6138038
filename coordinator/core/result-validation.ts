/**
 * Validation of a chunk result: a worker is a client like any other, so a result is first checked against the lease
 * it answers (the live lease of this stream, or a lease id whose token vouches for exactly this claim and worker),
 * and only a genuine one goes on to be recorded (result-assimilation.ts, span-result.ts).
 */
import { penalise, alive } from './worker-events.js';
import { detach, release } from './lease-table.js';
import { record } from './result-assimilation.js';
import type { Effect, LeaseClaim, RejectReason, ResultReport } from './scheduler-types.js';
import type { Lease, SchedulerState } from './scheduler-state.js';
import { recordSpan } from './span-result.js';
import type { Connection } from './worker-registry.js';

/** "chunk 7" or "chunks 7..56", for messages. */
function spanText(first: number, count: number): string {
  return count === 1 ? `chunk ${first}` : `chunks ${first}..${first + count - 1}`;
}

/** Why a hit count cannot be a chunk's (not a safe integer in 0..points), or undefined when it can. */
function wrongInside(inside: number, points: number): string | undefined {
  return Number.isSafeInteger(inside) && inside >= 0 && inside <= points ? undefined : `has inside=${inside}, outside 0..${points}`;
}

/** Why a span result cannot answer a span of `count` chunks, or undefined when it can: checked whole, before any commit. */
function wrongSpan(r: ResultReport, count: number, spanInside: readonly number[]): string | undefined {
  if (spanInside.length !== count) return `carries ${spanInside.length} span counts for ${count} chunks`;
  let sum = 0;
  for (let i = 0; i < count; i++) {
    const wrong = wrongInside(spanInside[i], r.points);
    if (wrong !== undefined) return `${wrong} at chunk ${r.chunkIndex + i}`;
    sum += spanInside[i];
  }
  return sum === r.inside ? undefined : `has inside=${r.inside}, but its span counts sum to ${sum}`;
}

/**
 * `Scheduler.result`: a quarantined worker's result is refused; any other must answer its lease exactly and carry
 * counts that can be its chunks' before it is recorded (a span as a whole), or reported `late` if its calculation ended.
 */
export function result(s: SchedulerState, connId: string, r: ResultReport, now: number, effects: Effect[]): void {
  const w = s.registry.get(connId);
  if (!w) return;
  s.lastNow = now;
  const lease = s.leases.get(r.leaseId);
  const live = lease !== undefined && lease.connId === connId;
  if (w.trust.quarantine !== undefined) {
    if (live) release(s, lease, 'quarantined', effects);
    reject(w, 'quarantined', `result for chunk ${r.chunkIndex} of ${r.calculationId} from a quarantined worker`, effects);
    return;
  }
  alive(s, w, effects);
  // The count the result claims (0 or absent: one chunk). A span is checked whole before anything is recorded.
  const count = r.chunkCount === undefined || r.chunkCount === 0 ? 1 : r.chunkCount;
  const spanInside = r.spanInside ?? [];
  if (live) {
    if (!answersLiveLease(s, w, lease, r, count, spanInside, now, effects)) return;
  } else if (!answersVouchedLease(s, w, r, count, spanInside, now, effects)) return;
  const wrong = count === 1 ? wrongInside(r.inside, r.points) : wrongSpan(r, count, spanInside);
  if (wrong !== undefined) {
    if (lease) release(s, lease, 'invalid_result', effects);
    reject(w, 'invalid_result', `result for ${spanText(r.chunkIndex, count)} of ${r.calculationId} ${wrong}`, effects);
    penalise(s, w, now, effects);
    return;
  }
  // Genuine: the lease is answered, whichever stream of this worker held it.
  if (lease) detach(s, lease);
  const c = s.calcs.get(r.calculationId);
  if (!c) {
    // The calculation ended: the adapter compares the copy with what the store committed.
    effects.push({ type: 'late', connId, report: r });
    return;
  }
  if (count === 1) record(s, c, r.chunkIndex, r.inside, r.elapsedMs, w, now, effects);
  else recordSpan(s, c, r, spanInside, w, now, effects);
}

/**
 * Whether a result answers exactly the live lease of this stream it names. When it does not, the lease goes back to
 * the queue, the result is rejected and the worker backed off.
 */
function answersLiveLease(
  s: SchedulerState,
  w: Connection,
  lease: Lease,
  r: ResultReport,
  count: number,
  spanInside: readonly number[],
  now: number,
  effects: Effect[],
): boolean {
  if (
    lease.calculationId !== r.calculationId ||
    lease.chunkIndex !== r.chunkIndex ||
    lease.seed !== r.seed ||
    lease.points !== r.points ||
    lease.chunkCount !== count ||
    (count === 1 && spanInside.length > 0)
  ) {
    const said = `${spanText(r.chunkIndex, count)} of ${r.calculationId} (seed ${r.seed}, ${r.points} points${spanInside.length > 0 ? `, ${spanInside.length} span counts` : ''})`;
    const granted = `${spanText(lease.chunkIndex, lease.chunkCount)} of ${lease.calculationId} (seed ${lease.seed}, ${lease.points} points)`;
    release(s, lease, 'invalid_result', effects);
    reject(w, 'lease_mismatch', `lease ${r.leaseId} was granted for ${granted}; the result names ${said}`, effects);
    penalise(s, w, now, effects);
    return false;
  }
  return true;
}

/**
 * Whether a result with no live lease of this stream (after an expiry, a revoke or a coordinator restart) names a
 * lease id whose token vouches for exactly its claim and this worker. When it does not, the result is rejected (and
 * the worker backed off if the lease was genuine but the result carries span counts for one chunk).
 */
function answersVouchedLease(
  s: SchedulerState,
  w: Connection,
  r: ResultReport,
  count: number,
  spanInside: readonly number[],
  now: number,
  effects: Effect[],
): boolean {
  const claim: LeaseClaim = {
    calculationId: r.calculationId,
    chunkIndex: r.chunkIndex,
    seed: r.seed,
    points: r.points,
    workerId: w.workerId,
    instanceId: w.instanceId,
    chunkCount: count,
  };
  if (typeof r.leaseId !== 'string' || r.leaseId === '' || !s.tokens.verify(r.leaseId, claim)) {
    reject(
      w,
      'unknown_lease',
      `lease ${JSON.stringify(String(r.leaseId).slice(0, 80))} was not granted to this worker for ${spanText(r.chunkIndex, count)} of ${r.calculationId}`,
      effects,
    );
    return false;
  }
  if (count === 1 && spanInside.length > 0) {
    reject(w, 'lease_mismatch', `lease ${r.leaseId} covers one chunk; the result carries ${spanInside.length} span counts`, effects);
    penalise(s, w, now, effects);
    return false;
  }
  return true;
}

function reject(w: Connection, reason: RejectReason, detail: string, effects: Effect[]): void {
  effects.push({ type: 'rejected', connId: w.connId, workerId: w.workerId, reason, detail });
}
