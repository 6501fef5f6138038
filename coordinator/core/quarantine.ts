/**
 * Quarantine: a worker that computed a wrong result is leased nothing more, its leases go back to the queue, and its
 * unconfirmed chunks are computed again; its votes in open disputes no longer count.
 */
import { identityKey, type CalculationRuntime, type ChunkEntry } from './calculation-runtime.js';
import { commitOf, identityOf } from './chunk-commits.js';
import { touch } from './fair-share.js';
import { release } from './lease-table.js';
import type { Effect } from './scheduler-types.js';
import type { SchedulerState } from './scheduler-state.js';

/**
 * A worker computed a wrong result: it is leased nothing more, its leases go back to the queue, and every chunk
 * it committed in an active calculation that no one else confirmed is computed again elsewhere.
 */
export function quarantine(s: SchedulerState, workerId: string, instanceId: string, reason: string, now: number, effects: Effect[]): void {
  const key = identityKey(workerId, instanceId);
  if (s.registry.isQuarantined(key)) return;
  const record = { workerId, instanceId, reason, atMs: now };
  s.registry.quarantine(record);
  for (const conn of s.registry.withWorkerId(workerId)) {
    if (conn.key !== key) continue;
    const ids = [...conn.leases];
    if (ids.length > 0) effects.push({ type: 'revoke', connId: conn.connId, leaseIds: ids, reason: 'CALCULATION_ENDED' });
    for (const id of ids) release(s, s.leases.get(id)!, 'quarantined', effects);
    s.registry.refresh(conn, now);
  }
  let recomputed = 0;
  for (const c of s.calcs.values()) {
    let changed = false;
    for (const [index, e] of [...c.committed]) {
      if (e.check === 'disputed' && e.votes?.has(key)) {
        dropVote(s, c, index, e, key, now, effects);
        changed = true;
      } else if (e.by === key && e.verifiedBy === null) {
        c.uncommit(index);
        effects.push({ type: 'uncommit', calculationId: c.rec.id, chunkIndex: index });
        recomputed += 1;
        changed = true;
      }
    }
    if (changed) {
      touch(s, c);
      effects.push({ type: 'calculation', calculation: { ...c.rec } });
    }
  }
  effects.push({ type: 'quarantined', record, recomputed });
}

/** A quarantined worker's vote in an open dispute no longer counts; the remaining value needs confirming. */
function dropVote(
  s: SchedulerState,
  c: CalculationRuntime,
  index: number,
  e: ChunkEntry,
  key: string,
  now: number,
  effects: Effect[],
): void {
  const votes = e.votes!;
  votes.delete(key);
  if (e.by === key) {
    const [otherKey, value] = [...votes][0];
    c.replace(index, value, { key: otherKey, ...identityOf(s, otherKey, c, index) });
  }
  if (votes.size <= 1) {
    e.check = 'wanted';
    e.votes = undefined;
  }
  c.wantCheck(index, now);
  effects.push({ type: 'commit', commit: commitOf(c, index, e) });
}
