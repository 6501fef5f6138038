/**
 * A posted run seen chunk by chunk, for tests that watch single chunks of the real pool (kernel/pool/kernel-pool.ts
 * settles a run as a whole): whether chunk i has started, and its own outcome, which rejects with its error.
 */
import type { KernelOutcome, PoolRun } from '../../kernel/pool/kernel-pool.js';

export interface PoolChunk {
  /** A thread has begun it (it may have finished since). */
  readonly started: boolean;
  /** Its own outcome once its run has settled; rejects with its error (`KERNEL_ABORTED` when withdrawn or stopped). */
  readonly outcome: Promise<KernelOutcome>;
}

/** One view per chunk of `run`, in the run's order. */
export function chunksOfRun(run: PoolRun): PoolChunk[] {
  return Array.from({ length: run.size }, (_, i) => ({
    get started() {
      return run.started(i);
    },
    // Made when asked for, so that a chunk nobody awaits leaves no unhandled rejection behind.
    get outcome() {
      return run.outcome.then((o) => {
        const error = o.errors?.[i];
        if (error) throw error;
        return { inside: o.inside[i], elapsedMs: o.elapsedMs[i], kernel: o.kernel };
      });
    },
  }));
}
