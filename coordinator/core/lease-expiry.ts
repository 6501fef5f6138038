/** Expiry: a lease whose deadline passed is revoked and released, and its worker is unresponsive until it shows life. */
import { release } from './lease-table.js';
import type { Effect } from './scheduler-types.js';
import type { SchedulerState } from './scheduler-state.js';

/** Revokes and releases every lease whose deadline is `now` or earlier, earliest first. */
export function expireLeases(s: SchedulerState, now: number, effects: Effect[]): void {
  for (let lease = s.deadlines.peek(); lease && lease.deadlineMs <= now; lease = s.deadlines.peek()) {
    effects.push({ type: 'revoke', connId: lease.connId, leaseIds: [lease.leaseId], reason: 'EXPIRED' });
    const w = s.registry.get(lease.connId);
    release(s, lease, 'expired', effects);
    if (w && !w.unresponsive) {
      w.unresponsive = true;
      s.registry.refresh(w, now);
      effects.push({
        type: 'worker',
        connId: w.connId,
        workerId: w.workerId,
        event: 'unresponsive',
        detail: `lease ${lease.leaseId} expired; no new lease until it shows life`,
      });
    }
  }
}
