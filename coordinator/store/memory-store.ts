/**
 * An in-memory calculation store with the same contract as the SQLite one, for unit tests of the layers above.
 */
import type { CalculationRecord, ChunkCommit } from '../core/model.js';
import { resumeFromChunks, type ActiveCalculation, type CalculationStore, type ListCursor } from '../core/store-port.js';

export function createMemoryStore(): CalculationStore {
  const calcs = new Map<string, CalculationRecord>();
  const chunks = new Map<string, Map<number, ChunkCommit>>();
  const newestFirst = (a: CalculationRecord, b: CalculationRecord) =>
    b.createdAtMs - a.createdAtMs || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);
  return {
    insert(rec) {
      if (calcs.has(rec.id)) throw new Error(`calculation ${rec.id} exists`);
      calcs.set(rec.id, { ...rec });
      chunks.set(rec.id, new Map());
    },
    apply(step) {
      for (const c of step.commits) {
        if (!calcs.has(c.calculationId)) throw new Error(`no calculation ${c.calculationId}`);
      }
      for (const c of step.commits) {
        const m = chunks.get(c.calculationId)!;
        if (!m.has(c.chunkIndex)) m.set(c.chunkIndex, { ...c });
      }
      for (const rec of step.calculations) if (calcs.has(rec.id)) calcs.set(rec.id, { ...rec });
    },
    get(id) {
      const r = calcs.get(id);
      return r ? { ...r } : undefined;
    },
    list(limit, after?: ListCursor) {
      return [...calcs.values()]
        .sort(newestFirst)
        .filter((r) => !after || r.createdAtMs < after.createdAtMs || (r.createdAtMs === after.createdAtMs && r.id < after.id))
        .slice(0, limit)
        .map((r) => ({ ...r }));
    },
    loadActive(): ActiveCalculation[] {
      return [...calcs.values()]
        .filter((r) => r.status === 'queued' || r.status === 'running')
        .sort((a, b) => a.createdAtMs - b.createdAtMs || (a.id < b.id ? -1 : 1))
        .map((r) => resumeFromChunks(r, chunks.get(r.id)!.values()));
    },
    committedInside(calculationId, chunkIndex) {
      return chunks.get(calculationId)?.get(chunkIndex)?.inside;
    },
    chunks(calculationId) {
      return [...(chunks.get(calculationId)?.values() ?? [])].sort((a, b) => a.chunkIndex - b.chunkIndex);
    },
    close() {},
  };
}
