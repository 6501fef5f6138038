/** A failed or handed-back lease: the chunk goes back to the queue; kernel errors are retried a bounded number of times. */
import { finish } from './calculation-lifecycle.js';
import { release } from './lease-table.js';
import { LEASE_RETURNED, type Effect, type FailureReport } from './scheduler-types.js';
import type { SchedulerState } from './scheduler-state.js';
import { alive, penalise } from './worker-events.js';

/** A chunk could not be computed, or was handed back. The worker is backed off; kernel errors are retried a bounded number of times. */
export function failure(s: SchedulerState, connId: string, f: FailureReport, now: number, effects: Effect[]): void {
  const w = s.registry.get(connId);
  const lease = s.leases.get(f.leaseId);
  if (!w || !lease || lease.connId !== connId) return;
  s.lastNow = now;
  alive(s, w, effects);
  const returned = f.code === LEASE_RETURNED;
  release(s, lease, returned ? 'returned' : 'failed', effects);
  if (!w.draining) penalise(s, w, now, effects);
  const c = s.calcs.get(lease.calculationId);
  if (!c || returned || lease.purpose === 'verify') return;
  // A span's failure is a failure of each of its chunks not committed since.
  for (let index = lease.chunkIndex; index < lease.chunkIndex + lease.chunkCount; index++) {
    if (c.committed.has(index)) continue;
    const attempts = (c.failures.get(index) ?? 0) + 1;
    c.failures.set(index, attempts);
    if (attempts >= s.opts.maxChunkAttempts) {
      finish(s, c, 'failed', now, effects, {
        code: 'CHUNK_FAILED',
        message: `chunk ${index} failed ${attempts} times; last error ${f.code}: ${f.message}`,
      });
      return;
    }
  }
}
