/**
 * What the chunk runner (chunk-runner.ts) is given and answers: a job is one lease, of one chunk or a span of
 * consecutive chunks, and its outcome is every chunk's count (docs/performance.md, "Chunk spans (worker)").
 */
import type { KernelOutcome } from './kernel-pool.js';

export interface ChunkJob {
  readonly leaseId: string;
  readonly calculationId: string;
  /** The job's (first) chunk. */
  readonly chunkIndex: number;
  readonly seed: string;
  /** Points of each of its chunks. */
  readonly points: number;
  /**
   * Chunks the job covers: chunkIndex, chunkIndex + 1, ..., chunkIndex + chunkCount - 1 (a span), each of `points`
   * points with its own random stream. Absent, 0 or 1: one chunk. A non-integer or negative count is a RangeError.
   */
  readonly chunkCount?: number;
}

/** A job computed: every chunk of it. */
export interface JobOutcome extends KernelOutcome {
  /** Points inside, all its chunks together. */
  readonly inside: number;
  /** Kernel time of all its chunks, summed (a span's chunks may have run on several threads at once). */
  readonly elapsedMs: number;
  /** Each chunk's count, in chunk order: one entry for a job of one chunk. */
  readonly chunkInside: readonly number[];
}

export interface JobCallbacks {
  done(job: ChunkJob, outcome: JobOutcome): void;
  /** A chunk of the job failed (the first to report); the rest of the job has been withdrawn or stopped. */
  failed(job: ChunkJob, err: { code: string; message: string }): void;
  /** A revoked job's running chunk has stopped, `ms` after the revocation (once per job). */
  aborted?(job: ChunkJob, ms: number): void;
}

/** Chunks a job covers (see {@link ChunkJob.chunkCount}). */
export function chunksOf(job: ChunkJob): number {
  const n = job.chunkCount ?? 1;
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`chunk runner: chunkCount must be an integer >= 0 (got ${n})`);
  return Math.max(1, n);
}
