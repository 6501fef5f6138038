/** The pool's status as the Watch/REST views show it: built on demand, the one place that scans every connection. */
import type { PoolSnapshot, WorkerSnapshot } from './scheduler-types.js';
import type { SchedulerState } from './scheduler-state.js';

export function snapshot(s: SchedulerState, now: number): PoolSnapshot {
  const workers: WorkerSnapshot[] = [...s.registry.connections.values()].map((w) => ({
    connId: w.connId,
    workerId: w.workerId,
    instanceId: w.instanceId,
    address: w.address,
    kind: w.kind,
    capacity: w.capacity,
    credits: s.registry.credits(w),
    inFlight: w.leases.size,
    state: s.registry.state(w, now),
    chunksCompleted: w.chunksCompleted,
    chunksVerified: w.trust.verified,
    connectedAtMs: w.connectedAtMs,
  }));
  let backlogChunks = 0;
  let singleBacklogChunks = 0;
  for (const c of s.calcs.values()) {
    if (c.rec.mode === 'distributed') backlogChunks += c.backlog();
    else singleBacklogChunks += c.backlog();
  }
  const remote = workers.filter((w) => w.kind === 'remote');
  return {
    workers,
    totalCapacity: remote.filter((w) => w.state === 'ready').reduce((s, w) => s + w.capacity, 0),
    leasesInFlight: remote.reduce((s, w) => s + w.inFlight, 0),
    backlogChunks,
    singleBacklogChunks,
    activeCalculations: s.calcs.size,
    quarantined: s.registry.quarantined(),
  };
}
