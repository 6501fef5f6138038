/**
 * What the coordinator needs from durable storage. The SQLite adapter implements it for real; an in-memory one
 * serves tests. Both pass the same conformance suite (test/unit/store-conformance.test.ts).
 */
import type { CalculationRecord, ChunkCommit } from './model.js';

/** A page position: list calculations created before this one (newest first). */
export interface ListCursor {
  readonly createdAtMs: number;
  readonly id: string;
}

/** An unfinished calculation as found after a restart, with the hit counts of the chunks already committed. */
export interface ActiveCalculation {
  readonly record: CalculationRecord;
  readonly committed: ReadonlyMap<number, number>;
}

/**
 * Rebuilds an unfinished calculation from its stored row and committed chunks: the chunks are the truth, so the
 * counters are recomputed from them. Shared by every store adapter's loadActive().
 */
export function resumeFromChunks(
  row: CalculationRecord,
  chunks: Iterable<Pick<ChunkCommit, 'chunkIndex' | 'inside' | 'points'>>,
): ActiveCalculation {
  const committed = new Map<number, number>();
  const record: CalculationRecord = { ...row, inside: 0, pointsDone: 0, chunksDone: 0 };
  for (const c of chunks) {
    committed.set(c.chunkIndex, c.inside);
    record.inside += c.inside;
    record.pointsDone += c.points;
    record.chunksDone += 1;
  }
  return { record, committed };
}

export interface CalculationStore {
  /** Stores a new calculation. Throws if the id exists. */
  insert(rec: CalculationRecord): void;
  /**
   * Applies one scheduling step atomically: new chunk commits (a chunk already stored is left as it is) and the
   * new state of the calculations they touched.
   */
  apply(step: { readonly commits: readonly ChunkCommit[]; readonly calculations: readonly CalculationRecord[] }): void;
  get(id: string): CalculationRecord | undefined;
  /** Newest first; at most `limit`, starting after `after`. */
  list(limit: number, after?: ListCursor): CalculationRecord[];
  /** Every queued or running calculation with its committed chunks; counters are recomputed from the chunks. */
  loadActive(): ActiveCalculation[];
  /** The committed hit count of one chunk, or undefined if that chunk (or calculation) has none. */
  committedInside(calculationId: string, chunkIndex: number): number | undefined;
  /** Committed chunks of a calculation, by index (for audits and tests). */
  chunks(calculationId: string): ChunkCommit[];
  /** Flushes and closes; idempotent. */
  close(): void;
}
