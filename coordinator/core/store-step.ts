/**
 * Folds the effects of one scheduling step into the one store write that persists them. Pure: the coordinator
 * service and the scheduler test driver (test/fakes/scheduler-driver.ts) both persist through it, so the property
 * tests check exactly the fold production uses.
 */
import type { CalculationRecord, ChunkCommit } from './model.js';
import type { Effect, QuarantineRecord } from './scheduler-types.js';
import type { StoreStep } from './store-port.js';

/** A store step with every field present. */
export interface FoldedStoreStep extends StoreStep {
  readonly inserts: readonly CalculationRecord[];
  readonly uncommits: readonly { readonly calculationId: string; readonly chunkIndex: number }[];
  readonly quarantines: readonly QuarantineRecord[];
}

/**
 * The store step of `effects`:
 * - a chunk written twice in the step is written once, in its last state;
 * - an uncommit cancels an earlier write of that chunk in the step (and is kept, to delete the stored row);
 * - a calculation changed several times is written once, in its last state (a copy: later steps mutate the
 *   scheduler's record);
 * - a calculation submitted in this step (`inserts`) is inserted in its last state (it may already be running) and
 *   not also updated.
 */
export function storeStepOf(effects: readonly Effect[], inserts: readonly CalculationRecord[] = []): FoldedStoreStep {
  const commits = new Map<number | string, ChunkCommit>();
  // A chunk's key in the step: a number from the calculation's slot in this step and the chunk index, or (an index
  // of 2^32 or more) the string `chunkKey`. Building and hashing that string per commit cost ~1 µs a chunk.
  const slots = new Map<string, number>();
  const key = (calculationId: string, chunkIndex: number): number | string => {
    let slot = slots.get(calculationId);
    if (slot === undefined) slots.set(calculationId, (slot = slots.size));
    return Number.isInteger(chunkIndex) && chunkIndex >= 0 && chunkIndex < 2 ** 32 && slot < 2 ** 20
      ? slot * 2 ** 32 + chunkIndex
      : chunkKey(calculationId, chunkIndex);
  };
  const uncommits: { calculationId: string; chunkIndex: number }[] = [];
  const quarantines: QuarantineRecord[] = [];
  const changed = new Map<string, Readonly<CalculationRecord>>();
  for (const e of effects) {
    if (e.type === 'commit') commits.set(key(e.commit.calculationId, e.commit.chunkIndex), e.commit);
    else if (e.type === 'uncommit') {
      commits.delete(key(e.calculationId, e.chunkIndex));
      uncommits.push({ calculationId: e.calculationId, chunkIndex: e.chunkIndex });
    } else if (e.type === 'calculation') changed.set(e.calculation.id, e.calculation);
    else if (e.type === 'quarantined') quarantines.push(e.record);
  }
  // Copied once per calculation, after the fold: a step carries one calculation effect per chunk it commits.
  const inserted = inserts.map((r) => {
    const last = changed.get(r.id);
    changed.delete(r.id);
    return last ? { ...last } : r;
  });
  const calculations: CalculationRecord[] = [];
  for (const r of changed.values()) calculations.push({ ...r });
  return { inserts: inserted, commits: [...commits.values()], uncommits, calculations, quarantines };
}

/** The key of a chunk within a step: `<calculation id>/<chunk index>`. */
export function chunkKey(calculationId: string, chunkIndex: number): string {
  return `${calculationId}/${chunkIndex}`;
}
