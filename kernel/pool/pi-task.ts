/**
 * The piscina task module (built to `dist/kernel/pool/pi-task.js`): computes one chunk.
 *
 * Contract: the default export takes `{ seed, chunkIndex, points }` with `seed` a decimal
 * u64 string and returns `{ inside, elapsedMs, kernel }`. On failure it throws a plain
 * {@link SerializedKernelError} object `{ name, message, code }` rather than an Error instance,
 * because Node 20's structured clone (how piscina returns errors) drops an Error's `code`;
 * `code` is `KERNEL_INVALID_INPUT` for bad input and `KERNEL_ERROR` for anything else. The
 * pool side (kernel-pool.ts) turns it back into an Error with `rebuildKernelError`.
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
   * Control slot of this task in the pool's shared buffer (task-control.ts), when the pool posted it: the task is
   * claimed before it runs (skipped with `KERNEL_ABORTED` if the pool withdrew it) and stops when asked to.
   */
  readonly slot?: number;
}

/** The computed chunk. */
export interface PiTaskResult {
  /** Points inside the quarter circle (exact). */
  readonly inside: number;
  /** Wall time of the kernel call in milliseconds (fractional). */
  readonly elapsedMs: number;
  /** KERNEL_NAME of the kernel that computed it. */
  readonly kernel: string;
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

/** Computes one chunk; see the file comment for the error contract. */
export default function piTask(task: PiTask): PiTaskResult {
  try {
    if (typeof task !== 'object' || task === null) {
      throw kernelError(KernelErrorCode.INVALID_INPUT, 'task must be an object { seed, chunkIndex, points }');
    }
    const seed = parseSeed(task.seed);
    const slot = task.slot;
    let shouldStop: (() => boolean) | undefined;
    if (control && typeof slot === 'number') {
      if (!control.claim(slot, threadId)) throw kernelError(KernelErrorCode.ABORTED, 'withdrawn before it started');
      shouldStop = () => control.stopRequested(slot);
    }
    const start = performance.now();
    const inside = countInside(seed, task.chunkIndex, task.points, shouldStop);
    return { inside, elapsedMs: performance.now() - start, kernel: KERNEL_NAME };
  } catch (error) {
    // eslint-disable-next-line @typescript-eslint/only-throw-error -- a plain object keeps its code across the thread
    throw serializeKernelError(error);
  }
}
