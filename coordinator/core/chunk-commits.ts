/** Who committed a chunk and what the store keeps of it. */
import type { CalculationRuntime, ChunkEntry } from './calculation-runtime.js';
import type { ChunkCommit } from './model.js';
import type { SchedulerState } from './scheduler-state.js';

/** The identity behind a key: a connected worker's, or the committed chunk's. */
export function identityOf(s: SchedulerState, key: string, c: CalculationRuntime, index: number): { workerId: string; instanceId: string } {
  for (const w of s.registry.connections.values()) if (w.key === key) return { workerId: w.workerId, instanceId: w.instanceId };
  const e = c.committed.get(index);
  if (e && e.by === key) return { workerId: e.workerId, instanceId: e.instanceId };
  const [workerId, instanceId = ''] = key.split('\u0000');
  return { workerId, instanceId };
}

export function commitOf(c: CalculationRuntime, index: number, e: ChunkEntry): ChunkCommit {
  return {
    calculationId: c.rec.id,
    chunkIndex: index,
    points: c.pointsOf(index),
    inside: e.inside,
    workerId: e.workerId,
    instanceId: e.instanceId,
    elapsedMs: e.elapsedMs,
    committedAtMs: e.committedAtMs,
    verifiedBy: e.verifiedBy,
    check: e.check,
  };
}
