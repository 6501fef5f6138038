/**
 * The piscina task module (built to `dist/kernel/pool/pi-task.js`): computes a run of chunks, in order, as one pool
 * task, so a thread goes from one short chunk to the next without a task round trip per chunk (docs/performance.md,
 * "Per-chunk overhead").
 *
 * Contract: the default export takes `{ chunks: [{ seed, chunkIndex, points, slot? }, ...] }` with each `seed` a
 * decimal u64 string, and returns `{ outcomes }`, one per chunk in the same order: `{ kind: 'done', inside,
 * elapsedMs, kernel }` or `{ kind: 'failed', error }`. A chunk's failure is its own: the run goes on with the next
 * chunk. `error` is a plain {@link SerializedKernelError} object `{ name, message, code }` rather than an Error
 * instance, because Node 20's structured clone (how piscina returns results and errors) drops an Error's `code`;
 * `code` is `KERNEL_INVALID_INPUT` for bad input, `KERNEL_ABORTED` for a chunk withdrawn or stopped through its
 * control slot, and `KERNEL_ERROR` for anything else. A run that is not `{ chunks: [...] }` throws such an object.
 * The pool side (kernel-pool.ts) turns errors back into Errors with `rebuildKernelError`.
 */
import { performance } from 'node:perf_hooks';
import { threadId, workerData } from 'node:worker_threads';
import { kernelError, KernelErrorCode, serializeKernelError, type SerializedKernelError } from '../kernel-errors.js';
import { countInside, KERNEL_NAME, warmUp } from '../index.js';
import { MAX_SEED } from '../stream-spec.js';
import { TaskControlView } from './task-control.js';

/** One chunk to compute. */
export interface PiTask {
  /** Calculation seed as a decimal string, 0..18446744073709551615. */
  readonly seed: string;
  /** Chunk index, integer 0..2^32-1. */
  readonly chunkIndex: number;
  /** Points in the chunk, integer 1..4294967295. */
  readonly points: number;
  /**
   * Control slot of this chunk in the pool's shared buffer (task-control.ts), when the pool posted it: the chunk is
   * claimed before it runs (skipped with `KERNEL_ABORTED` if the pool withdrew it) and stops when asked to.
   */
  readonly slot?: number;
}

/** Chunks one thread computes in order, as one pool task. */
export interface PiRun {
  readonly chunks: readonly PiTask[];
}

/** A computed chunk. */
export interface PiTaskResult {
  /** Points inside the quarter circle (exact). */
  readonly inside: number;
  /** Wall time of the kernel call in milliseconds (fractional). */
  readonly elapsedMs: number;
  /** KERNEL_NAME of the kernel that computed it. */
  readonly kernel: string;
}

/** What became of one chunk of a run. */
export type PiChunkOutcome =
  (PiTaskResult & { readonly kind: 'done' }) | { readonly kind: 'failed'; readonly error: SerializedKernelError };

/** The outcomes of a run's chunks, in the run's order. */
export interface PiRunResult {
  readonly outcomes: readonly PiChunkOutcome[];
}

export type { SerializedKernelError };

// Runs once per pool thread, when piscina first loads this module.
warmUp();

const shared = (workerData as { taskControl?: unknown } | null | undefined)?.taskControl;
const control = shared instanceof SharedArrayBuffer ? new TaskControlView(shared) : undefined;

function parseSeed(seed: unknown): bigint {
  if (typeof seed !== 'string' || !/^[0-9]{1,20}$/.test(seed) || BigInt(seed) > MAX_SEED) {
    throw kernelError(
      KernelErrorCode.INVALID_INPUT,
      `seed must be a decimal string of an integer in 0..${MAX_SEED} (got ${JSON.stringify(seed)})`,
    );
  }
  return BigInt(seed);
}

/** Computes one chunk; throws a coded Error. A chunk with a control slot is claimed first and marked DONE after. */
function computeChunk(task: PiTask): PiTaskResult {
  if (typeof task !== 'object' || task === null) {
    throw kernelError(KernelErrorCode.INVALID_INPUT, 'task must be an object { seed, chunkIndex, points }');
  }
  const seed = parseSeed(task.seed);
  const slot = task.slot;
  if (!control || typeof slot !== 'number') return timed(seed, task);
  if (!control.claim(slot, threadId)) throw kernelError(KernelErrorCode.ABORTED, 'withdrawn before it started');
  try {
    return timed(seed, task, () => control.stopRequested(slot));
  } finally {
    control.finish(slot);
  }
}

function timed(seed: bigint, task: PiTask, shouldStop?: () => boolean): PiTaskResult {
  const start = performance.now();
  const inside = countInside(seed, task.chunkIndex, task.points, shouldStop);
  return { inside, elapsedMs: performance.now() - start, kernel: KERNEL_NAME };
}

/** Computes a run of chunks in order; see the file comment for the contract. */
export default function piRun(run: PiRun): PiRunResult {
  if (typeof run !== 'object' || run === null || !Array.isArray(run.chunks)) {
    // eslint-disable-next-line @typescript-eslint/only-throw-error -- a plain object keeps its code across the thread
    throw serializeKernelError(kernelError(KernelErrorCode.INVALID_INPUT, 'run must be an object { chunks: [...] }'));
  }
  const chunks: readonly PiTask[] = run.chunks;
  return {
    outcomes: chunks.map((task): PiChunkOutcome => {
      try {
        return { kind: 'done', ...computeChunk(task) };
      } catch (error) {
        return { kind: 'failed', error: serializeKernelError(error) };
      }
    }),
  };
}
