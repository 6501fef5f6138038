/**
 * The piscina task module (built to `dist/kernel/pool/pi-task.js`): computes a run of chunks, in order, as one pool
 * task, so a thread goes from one short chunk to the next without a task round trip per chunk (docs/performance.md,
 * "Per-chunk overhead").
 *
 * Contract: the default export takes `{ chunks: [{ seed, chunkIndex, points, count?, slot? }, ...] }` with each `seed`
 * a decimal u64 string; an entry of `count` > 1 stands for that many consecutive chunks (chunkIndex, chunkIndex + 1,
 * ...) of the same seed and points, with consecutive control slots from `slot` (one entry per span piece, not one
 * object per chunk crossing the thread boundary). It returns one {@link PiRunResult} for the whole run: every chunk's
 * count and kernel time in flat arrays, in run order, and `errors` only when some chunk was not computed. A chunk's
 * failure is its own: the run goes on with the next chunk. An error is a plain {@link SerializedKernelError} object
 * `{ name, message, code }` rather than an Error instance, because Node 20's structured clone (how piscina returns
 * results and errors) drops an Error's `code`; `code` is `KERNEL_INVALID_INPUT` for bad input, `KERNEL_ABORTED` for a
 * chunk withdrawn or stopped through its control slot, and `KERNEL_ERROR` for anything else. A run that is not
 * `{ chunks: [...] }` throws such an object. The pool side (kernel-pool.ts) turns errors back into Errors with
 * `rebuildKernelError`; {@link outcomesOf} reads a result chunk by chunk.
 *
 * With the native kernel, an entry's chunks are counted by one call of its run loop (`chunkLoop`, native/src/chunks.c),
 * which claims, stops and finishes each chunk's slot itself: the same counts and outcomes, without the JavaScript and
 * Node-API glue per chunk, which on a shared VM runs with cold caches after every kernel call (docs/performance.md,
 * "The pool's own excess with small chunks"). Other kernels, and entries with an invalid chunk, go chunk by chunk.
 */
import { performance } from 'node:perf_hooks';
import { threadId, workerData } from 'node:worker_threads';
import { kernelError, KernelErrorCode, serializeKernelError, type SerializedKernelError } from '../kernel-errors.js';
import { CHUNK_STOPPED, CHUNK_WITHDRAWN, chunkLoop, countInside, KERNEL_NAME, warmUp, type CountChunks } from '../index.js';
import { MAX_CHUNK_INDEX, MAX_CHUNK_POINTS, MAX_SEED } from '../stream-spec.js';
import { TaskControlView } from './task-control.js';

/** One chunk to compute, or (with `count`) a piece of consecutive chunks. */
export interface PiTask {
  /** Calculation seed as a decimal string, 0..18446744073709551615. */
  readonly seed: string;
  /** Chunk index (the first, with `count`), integer 0..2^32-1. */
  readonly chunkIndex: number;
  /** Points in each chunk, integer 1..4294967295. */
  readonly points: number;
  /** Consecutive chunks this entry stands for, integer 1..{@link MAX_PIECE_CHUNKS}. @default 1 */
  readonly count?: number;
  /**
   * Control slot of the (first) chunk in the pool's shared buffer (task-control.ts), when the pool posted it; with
   * `count`, chunk k has slot `slot + k`. A chunk is claimed before it runs (skipped with `KERNEL_ABORTED` if the pool
   * withdrew it) and stops when asked to.
   */
  readonly slot?: number;
}

/** Chunks one thread computes in order, as one pool task. */
export interface PiRun {
  readonly chunks: readonly PiTask[];
}

/** Most chunks one entry of a run may stand for. */
export const MAX_PIECE_CHUNKS = 65_536;

/** A computed chunk. */
export interface PiTaskResult {
  /** Points inside the quarter circle (exact). */
  readonly inside: number;
  /** Wall time of the kernel call in milliseconds (fractional). */
  readonly elapsedMs: number;
  /** KERNEL_NAME of the kernel that computed it. */
  readonly kernel: string;
}

/** What became of one chunk of a run ({@link outcomesOf}). */
export type PiChunkOutcome =
  (PiTaskResult & { readonly kind: 'done' }) | { readonly kind: 'failed'; readonly error: SerializedKernelError };

/** A run's outcome: one entry per chunk in each array, in the run's order (an entry with `count` k gives k). */
export interface PiRunResult {
  /** KERNEL_NAME of the kernel that computed the chunks. */
  readonly kernel: string;
  /** Each chunk's count (0 for a chunk not computed). */
  readonly inside: number[];
  /** Each chunk's kernel wall time in milliseconds (0 for a chunk not computed). */
  readonly elapsedMs: number[];
  /** Present only when some chunk was not computed: its error, null for the computed ones. */
  errors?: (SerializedKernelError | null)[];
}

export type { SerializedKernelError };

// Runs once per pool thread, when piscina first loads this module.
warmUp();

const shared = (workerData as { taskControl?: unknown } | null | undefined)?.taskControl;
const control = shared instanceof SharedArrayBuffer ? new TaskControlView(shared) : undefined;
/** The native kernel's run loop: an entry's chunks in one call (undefined: chunk by chunk). */
const loop: CountChunks | undefined = chunkLoop();
/** Its per-chunk outputs, grown to the longest entry seen. */
let loopInside = new Float64Array(64);
let loopElapsed = new Float64Array(64);

function parseSeed(seed: unknown): bigint {
  if (typeof seed !== 'string' || !/^[0-9]{1,20}$/.test(seed) || BigInt(seed) > MAX_SEED) {
    throw kernelError(
      KernelErrorCode.INVALID_INPUT,
      `seed must be a decimal string of an integer in 0..${MAX_SEED} (got ${JSON.stringify(seed)})`,
    );
  }
  return BigInt(seed);
}

/** Computes one chunk into `out` at `at`; throws a coded Error. A chunk with a slot is claimed first and marked DONE after. */
function computeChunk(seed: bigint, chunkIndex: number, points: number, slot: number | undefined, out: PiRunResult, at: number): void {
  if (!control || slot === undefined) return timed(seed, chunkIndex, points, out, at);
  if (!control.claim(slot, threadId)) throw kernelError(KernelErrorCode.ABORTED, 'withdrawn before it started');
  try {
    timed(seed, chunkIndex, points, out, at, () => control.stopRequested(slot));
  } finally {
    control.finish(slot);
  }
}

function timed(seed: bigint, chunkIndex: number, points: number, out: PiRunResult, at: number, shouldStop?: () => boolean): void {
  const start = performance.now();
  out.inside[at] = countInside(seed, chunkIndex, points, shouldStop);
  out.elapsedMs[at] = performance.now() - start;
}

function fail(out: PiRunResult, at: number, error: unknown): void {
  out.inside[at] = 0;
  out.elapsedMs[at] = 0;
  out.errors ??= Array.from({ length: out.inside.length }, () => null);
  out.errors[at] = serializeKernelError(error);
}

/** Chunks an entry stands for: its count if that is valid, else 1 (the entry then fails as one chunk). */
function chunksIn(task: PiTask): number {
  const count = typeof task === 'object' && task !== null ? task.count : undefined;
  return Number.isInteger(count) && count! >= 1 && count! <= MAX_PIECE_CHUNKS ? count! : 1;
}

/** Whether an entry (its seed parsed) can go through the run loop: every chunk valid, its slots in the buffer. */
function loopable(task: PiTask, n: number, slot: number | undefined): boolean {
  const { chunkIndex, points } = task;
  return (
    Number.isInteger(chunkIndex) &&
    chunkIndex >= 0 &&
    chunkIndex + n - 1 <= MAX_CHUNK_INDEX &&
    Number.isInteger(points) &&
    points >= 1 &&
    points <= MAX_CHUNK_POINTS &&
    (slot === undefined || !control || (Number.isInteger(slot) && slot >= 0 && slot + n <= control.slots))
  );
}

/**
 * Computes an entry's chunks with the native run loop, with the same outcomes as {@link computeChunk} chunk by chunk:
 * a withdrawn chunk fails `KERNEL_ABORTED` unclaimed, a stopped one `KERNEL_ABORTED` (marked DONE), the rest counted.
 */
function computeLoop(
  count: CountChunks,
  seed: bigint,
  task: PiTask,
  n: number,
  slot: number | undefined,
  out: PiRunResult,
  at: number,
): void {
  if (loopInside.length < n) {
    loopInside = new Float64Array(n);
    loopElapsed = new Float64Array(n);
  }
  const slots = control && slot !== undefined ? { cells: control.cells, firstSlot: slot, threadId } : undefined;
  count(seed, task.chunkIndex, n, task.points, slots, loopInside, loopElapsed);
  for (let k = 0; k < n; k++) {
    const inside = loopInside[k];
    if (inside >= 0) {
      out.inside[at + k] = inside;
      out.elapsedMs[at + k] = loopElapsed[k];
    } else if (inside === CHUNK_WITHDRAWN) {
      fail(out, at + k, kernelError(KernelErrorCode.ABORTED, 'withdrawn before it started'));
    } else {
      const message = inside === CHUNK_STOPPED ? `chunk ${task.chunkIndex + k} aborted by the caller` : `run loop returned ${inside}`;
      fail(out, at + k, kernelError(inside === CHUNK_STOPPED ? KernelErrorCode.ABORTED : KernelErrorCode.ERROR, message));
    }
  }
}

/** Computes the chunks of one entry from `at` on. */
function computeEntry(task: PiTask, out: PiRunResult, at: number): void {
  let n = 1;
  try {
    if (typeof task !== 'object' || task === null) {
      throw kernelError(KernelErrorCode.INVALID_INPUT, 'task must be an object { seed, chunkIndex, points }');
    }
    if (task.count !== undefined && chunksIn(task) !== task.count) {
      throw kernelError(KernelErrorCode.INVALID_INPUT, `count must be an integer in 1..${MAX_PIECE_CHUNKS} (got ${String(task.count)})`);
    }
    n = chunksIn(task);
    const seed = parseSeed(task.seed);
    const slot = typeof task.slot === 'number' ? task.slot : undefined;
    if (loop !== undefined && loopable(task, n, slot)) return computeLoop(loop, seed, task, n, slot, out, at);
    for (let k = 0; k < n; k++) {
      try {
        computeChunk(seed, task.chunkIndex + k, task.points, slot === undefined ? undefined : slot + k, out, at + k);
      } catch (error) {
        fail(out, at + k, error);
      }
    }
  } catch (error) {
    // The entry itself is bad (seed, shape): each of its chunks fails alike, none is claimed.
    for (let k = 0; k < n; k++) fail(out, at + k, error);
  }
}

/** Computes a run of chunks in order; see the file comment for the contract. */
export default function piRun(run: PiRun): PiRunResult {
  if (typeof run !== 'object' || run === null || !Array.isArray(run.chunks)) {
    // eslint-disable-next-line @typescript-eslint/only-throw-error -- a plain object keeps its code across the thread
    throw serializeKernelError(kernelError(KernelErrorCode.INVALID_INPUT, 'run must be an object { chunks: [...] }'));
  }
  const entries: readonly PiTask[] = run.chunks;
  let total = 0;
  for (const task of entries) total += chunksIn(task);
  const out: PiRunResult = { kernel: KERNEL_NAME, inside: new Array<number>(total).fill(0), elapsedMs: new Array<number>(total).fill(0) };
  let at = 0;
  for (const task of entries) {
    computeEntry(task, out, at);
    at += chunksIn(task);
  }
  return out;
}

/** A run's result chunk by chunk, in the run's order. */
export function outcomesOf(result: PiRunResult): PiChunkOutcome[] {
  return result.inside.map((inside, i): PiChunkOutcome => {
    const error = result.errors?.[i];
    return error ? { kind: 'failed', error } : { kind: 'done', inside, elapsedMs: result.elapsedMs[i], kernel: result.kernel };
  });
}
