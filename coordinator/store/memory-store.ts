/**
 * An in-memory calculation store with the same contract as the SQLite one, for unit tests of the layers above.
 */
import type { CalculationRecord, ChunkCommit } from '../core/model.js';
import type { QuarantineRecord } from '../core/scheduler-types.js';
import { resumeFromChunks, type ActiveCalculation, type CalculationStore, type ListCursor } from '../core/store-port.js';

export function createMemoryStore(): CalculationStore {
  const calcs = new Map<string, CalculationRecord>();
  const chunks = new Map<string, Map<number, ChunkCommit>>();
  const quarantined: QuarantineRecord[] = [];
  const secrets = new Map<string, Uint8Array>();
  const newestFirst = (a: CalculationRecord, b: CalculationRecord) =>
    b.createdAtMs - a.createdAtMs || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);
  const copy = (r: CalculationRecord): CalculationRecord => ({ ...r, verifiedBy: { ...r.verifiedBy } });
  return {
    insert(rec) {
      if (calcs.has(rec.id)) throw new Error(`calculation ${rec.id} exists`);
      calcs.set(rec.id, copy(rec));
      chunks.set(rec.id, new Map());
    },
    apply(step) {
      // Check first, then write: all of the step or none of it.
      const inserted = new Set<string>();
      for (const r of step.inserts ?? []) {
        if (calcs.has(r.id) || inserted.has(r.id)) throw new Error(`calculation ${r.id} exists`);
        inserted.add(r.id);
      }
      for (const c of [...step.commits, ...(step.uncommits ?? [])]) {
        if (!calcs.has(c.calculationId) && !inserted.has(c.calculationId)) throw new Error(`no calculation ${c.calculationId}`);
      }
      for (const r of step.inserts ?? []) {
        calcs.set(r.id, copy(r));
        chunks.set(r.id, new Map());
      }
      for (const c of step.commits) chunks.get(c.calculationId)!.set(c.chunkIndex, { ...c });
      for (const u of step.uncommits ?? []) chunks.get(u.calculationId)!.delete(u.chunkIndex);
      for (const rec of step.calculations) if (calcs.has(rec.id)) calcs.set(rec.id, copy(rec));
      for (const q of step.quarantines ?? []) quarantined.push({ ...q });
    },
    get(id) {
      const r = calcs.get(id);
      return r ? copy(r) : undefined;
    },
    list(limit, after?: ListCursor) {
      return [...calcs.values()]
        .sort(newestFirst)
        .filter((r) => !after || r.createdAtMs < after.createdAtMs || (r.createdAtMs === after.createdAtMs && r.id < after.id))
        .slice(0, limit)
        .map(copy);
    },
    loadActive(): ActiveCalculation[] {
      return [...calcs.values()]
        .filter((r) => r.status === 'queued' || r.status === 'running')
        .sort((a, b) => a.createdAtMs - b.createdAtMs || (a.id < b.id ? -1 : 1))
        .map((r) =>
          resumeFromChunks(
            copy(r),
            [...chunks.get(r.id)!.values()].sort((a, b) => a.chunkIndex - b.chunkIndex),
          ),
        );
    },
    committedInside(calculationId, chunkIndex) {
      return chunks.get(calculationId)?.get(chunkIndex)?.inside;
    },
    chunks(calculationId) {
      return [...(chunks.get(calculationId)?.values() ?? [])].sort((a, b) => a.chunkIndex - b.chunkIndex);
    },
    loadQuarantined() {
      return quarantined.map((q) => ({ ...q }));
    },
    secret(name, create) {
      let s = secrets.get(name);
      if (!s) secrets.set(name, (s = create()));
      return s;
    },
    close() {},
  };
}
