/**
 * What the coordinator needs from durable storage. The SQLite adapter implements it for real; an in-memory one
 * serves tests. Both pass the same conformance suite (test/unit/store-conformance.test.ts).
 */
import type { CalculationRecord, ChunkCommit } from './model.js';
import type { QuarantineRecord } from './scheduler-types.js';

/** A page position: list calculations created before this one (newest first). */
export interface ListCursor {
  readonly createdAtMs: number;
  readonly id: string;
}

/** An unfinished calculation as found after a restart, with the hit counts of the chunks already committed. */
export interface ActiveCalculation {
  readonly record: CalculationRecord;
  readonly committed: ReadonlyMap<number, ChunkCommit>;
}

/** One scheduling step, applied atomically. */
export interface StoreStep {
  /** New calculations (a submit batched into this step). */
  readonly inserts?: readonly CalculationRecord[];
  /** Chunks committed, or whose value or check changed: each row is written as given. */
  readonly commits: readonly ChunkCommit[];
  /** Chunks to forget (their worker was quarantined; they are computed again). */
  readonly uncommits?: readonly { readonly calculationId: string; readonly chunkIndex: number }[];
  /** The new state of the calculations the step touched. */
  readonly calculations: readonly CalculationRecord[];
  /** Workers quarantined in this step. */
  readonly quarantines?: readonly QuarantineRecord[];
}

/**
 * Rebuilds an unfinished calculation from its stored row and committed chunks: the chunks are the truth, so the
 * counters are recomputed from them. Shared by every store adapter's loadActive().
 */
export function resumeFromChunks(row: CalculationRecord, chunks: Iterable<ChunkCommit>): ActiveCalculation {
  const committed = new Map<number, ChunkCommit>();
  const record: CalculationRecord = { ...row, inside: 0, pointsDone: 0, chunksDone: 0, chunksVerified: 0, verifiedBy: {} };
  for (const c of chunks) {
    committed.set(c.chunkIndex, c);
    record.inside += c.inside;
    record.pointsDone += c.points;
    record.chunksDone += 1;
    if (c.verifiedBy !== null) {
      record.chunksVerified += 1;
      record.verifiedBy[c.verifiedBy] = (record.verifiedBy[c.verifiedBy] ?? 0) + 1;
    }
  }
  return { record, committed };
}

export interface CalculationStore {
  /** Stores a new calculation. Throws if the id exists. (Submits go through `apply`'s inserts.) */
  insert(rec: CalculationRecord): void;
  /** Applies one scheduling step atomically: all of it or none of it. */
  apply(step: StoreStep): void;
  /**
   * A calculation as stored. While it is unfinished, the counters its chunks give (inside, points and chunks done,
   * verified) may lag them by up to a second: the SQLite adapter writes the row only every so often while only chunks
   * arrive. Its status and the other counters are current; the coordinator answers active calculations from memory,
   * and `loadActive` recomputes those counters from the chunks.
   */
  get(id: string): CalculationRecord | undefined;
  /** Newest first; at most `limit`, starting after `after`. Unfinished calculations as `get` describes them. */
  list(limit: number, after?: ListCursor): CalculationRecord[];
  /** Every queued or running calculation with its committed chunks; counters are recomputed from the chunks. */
  loadActive(): ActiveCalculation[];
  /** The committed hit count of one chunk, or undefined if that chunk (or calculation) has none. */
  committedInside(calculationId: string, chunkIndex: number): number | undefined;
  /** Committed chunks of a calculation, by index (for audits and tests). */
  chunks(calculationId: string): ChunkCommit[];
  /** Every quarantined worker, oldest first. */
  loadQuarantined(): QuarantineRecord[];
  /**
   * A named secret, created once with `create` and kept for good (the key that signs lease ids, so a restarted
   * coordinator still recognises its leases).
   */
  secret(name: string, create: () => Uint8Array): Uint8Array;
  /** Flushes and closes; idempotent. */
  close(): void;
}
