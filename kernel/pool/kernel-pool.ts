/**
 * The thread pool that runs the pi kernel (piscina). The main thread never runs the kernel, so gRPC streams,
 * heartbeats and lease renewals stay responsive however busy the CPUs are. A task's error crosses the thread
 * boundary as `{name, message, code}` (see pi-task.ts) and is rebuilt here into a coded Error.
 *
 * Each thread is given up to `tasksPerThread` tasks at once, so it starts its next task the moment one ends instead
 * of waiting for the main thread (which may be busy with gRPC, or not scheduled on a loaded machine) to post it; and a
 * task is a run of up to `chunksPerTask` chunks, so short chunks do not each pay a task's round trip (piscina's
 * postTask, the thread's message handling: ~100 µs, several times that while the kernel threads keep both cores busy).
 * Each chunk of a run keeps its own control slot, count and error: it can be withdrawn until it starts and stopped while
 * it runs, without touching the rest of its run. But the run settles as a whole, with one message from its thread and
 * one promise here carrying every chunk's count and time in flat arrays: per-chunk promises and objects were most of
 * the main thread's remaining cost per chunk (docs/performance.md, "Chunk spans (worker)").
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import { appRoot } from '../../shared/paths.js';
import { isSerializedKernelError, rebuildKernelError } from '../kernel-errors.js';
import type { PiRun, PiRunResult, PiTask } from './pi-task.js';
import { SlotState, TaskControl } from './task-control.js';

/** One chunk for a pool thread, or (with `count`) consecutive chunks. The seed travels as a decimal string (it may exceed 2^53 in the kernel API). */
export interface KernelTask {
  readonly seed: string;
  /** The (first) chunk. */
  readonly chunkIndex: number;
  /** Points of each chunk. */
  readonly points: number;
  /** Consecutive chunks from chunkIndex, each of `points` points: a piece of a span. @default 1 */
  readonly count?: number;
}

export interface KernelOutcome {
  readonly inside: number;
  readonly elapsedMs: number;
  readonly kernel: string;
}

/** The outcome of a run: one entry per chunk in each array, in the run's order. */
export interface RunOutcome {
  /** KERNEL_NAME of the kernel that computed its chunks ('' if the thread died before reporting any). */
  readonly kernel: string;
  /** Each chunk's count; meaningless where `errors` has an entry. */
  readonly inside: readonly number[];
  /** Each chunk's kernel time in milliseconds; meaningless where `errors` has an entry. */
  readonly elapsedMs: readonly number[];
  /**
   * Present when some chunk was not computed: its error (its own kernel error, `KERNEL_ABORTED` when withdrawn or
   * stopped, or the error its thread died of), undefined for the computed ones.
   */
  readonly errors?: readonly (Error | undefined)[];
}

/** A run posted to the pool ({@link KernelPool.start}): its chunks are addressed by their position in the run. */
export interface PoolRun {
  /** Chunks in the run. */
  readonly size: number;
  /**
   * Settles (never rejects) once every chunk of the run has an outcome: when its pool task has ended, or, if its thread
   * died, once the chunks posted again have. One settlement for the whole run, in one turn of the event loop.
   */
  readonly outcome: Promise<RunOutcome>;
  /** A thread has begun chunk `i` (it may have finished since). */
  started(i: number): boolean;
  /** Withdraws chunk `i` if no thread has started it: true then, and it never runs (the rest of the run still does). */
  withdraw(i: number): boolean;
  /**
   * Stops chunk `i`: withdrawn if not started, else the kernel stops at its next poll (every 2^24 points) and the
   * thread goes on with the rest of the run; a thread still in the chunk `stopGraceMs` later is terminated (and
   * replaced). Idempotent.
   */
  abort(i: number): void;
}

export interface KernelPoolOptions {
  /**
   * Most pool tasks posted to one thread at once: the running one plus the next ones, which wait on the thread itself,
   * so a thread goes from one task to the next without waiting for the main thread (ChunkRunner decides how many it
   * actually posts). @default 32
   */
  readonly tasksPerThread?: number;
  /** Most chunks in one pool task (a run, {@link KernelPool.start}). @default 256 */
  readonly chunksPerTask?: number;
  /** How long an aborted running chunk may take to stop before its thread is terminated. @default 1000 ms */
  readonly stopGraceMs?: number;
}

export interface KernelPool {
  readonly threads: number;
  /** See {@link KernelPoolOptions.tasksPerThread}. */
  readonly tasksPerThread: number;
  /** See {@link KernelPoolOptions.chunksPerTask}. */
  readonly chunksPerTask: number;
  /**
   * Posts a run of 1..chunksPerTask chunks (counting each task's `count`) as one pool task: one thread computes them in
   * order. Chunk positions in the returned run follow the tasks, a task of `count` k taking k positions.
   */
  start(run: readonly KernelTask[]): PoolRun;
  /** Runs one chunk; an aborted `signal` aborts it as {@link PoolRun.abort} does. */
  run(task: KernelTask, signal?: AbortSignal): Promise<KernelOutcome>;
  /** Finishes queued tasks, then stops the threads. Idempotent. */
  close(): Promise<void>;
  /** Stops the threads now; running tasks reject. Idempotent. */
  destroy(): Promise<void>;
}

/** The compiled task module. From sources (tests) it is the copy in dist/, which `npm run build` produces. */
function taskFile(): string {
  const beside = fileURLToPath(new URL('./pi-task.js', import.meta.url));
  if (existsSync(beside)) return beside;
  const built = join(appRoot(), 'dist', 'kernel', 'pool', 'pi-task.js');
  if (existsSync(built)) return built;
  throw new Error(`kernel task module not found at ${beside} or ${built}: run "npm run build"`);
}

/** Times a run whose thread died is posted again with the chunks that still need a thread (see `post` below). */
const MAX_REPOSTS = 3;

/** Per-chunk flags of a posted run. */
const WITHDRAWN = 1;
const STOPPING = 2;
const SETTLED = 4;

/** A posted run, as the main thread tracks it: per-chunk state in flat arrays, one promise for the run. */
interface Run {
  /** The run's chunks, one entry per chunk (from the tasks' counts). */
  readonly seeds: readonly string[];
  readonly chunkIndexes: readonly number[];
  readonly points: readonly number[];
  /** Slot of chunk 0 (chunk k has `first + k`). */
  readonly first: number;
  readonly flags: Uint8Array;
  readonly inside: number[];
  readonly elapsedMs: number[];
  errors?: (Error | undefined)[];
  kernel: string;
  /** Chunks without an outcome yet. */
  pending: number;
  /** Slot states when the run settled (its block is released then); undefined while pending. */
  final?: Int32Array;
  stopTimers?: Map<number, NodeJS.Timeout>;
  readonly resolve: (outcome: RunOutcome) => void;
}

const isStartedState = (state: number) => state === SlotState.STARTED || state === SlotState.STOP || state === SlotState.DONE;

export function createKernelPool(threads: number, options: KernelPoolOptions = {}): KernelPool {
  const tasksPerThread = options.tasksPerThread ?? 32;
  const chunksPerTask = options.chunksPerTask ?? 256;
  const stopGraceMs = options.stopGraceMs ?? 1000;
  // A block of slots per run, taken until the run settles (withdrawn chunks included): room for twice the runs the
  // threads may hold at once, and 256 more (e.g. single chunks from `run`).
  const control = new TaskControl(256 + 2 * threads * tasksPerThread, chunksPerTask);
  const pool = new Piscina<PiRun, PiRunResult>({
    filename: taskFile(),
    minThreads: threads,
    maxThreads: threads,
    // Keep threads (and their warmed-up kernels) alive between chunks.
    idleTimeout: 60 * 60 * 1000,
    // No AbortSignal reaches piscina (it would post nothing more to a thread running an abortable task): chunks are
    // withdrawn and stopped through `control` instead (task-control.ts).
    concurrentTasksPerWorker: tasksPerThread,
    // Piscina's run- and wait-time histograms cost the main thread two records per task and are read by nothing (the
    // worker's utilization gauge comes from the chunk runner).
    recordTiming: false,
    workerData: { taskControl: control.buffer },
  });
  let closing: Promise<void> | undefined;
  let destroying: Promise<void> | undefined;

  const terminateThread = (id: number) => {
    const thread = pool.threads.find((t) => t.threadId === id);
    if (thread) void thread.terminate();
  };

  /** Chunk i of `r` has its outcome (already in r.inside / r.errors); the run settles with its last. */
  const settled = (r: Run, i: number) => {
    r.flags[i] |= SETTLED;
    const timer = r.stopTimers?.get(i);
    if (timer !== undefined) clearTimeout(timer);
    if (--r.pending > 0) return;
    const final = new Int32Array(r.flags.length);
    for (let k = 0; k < final.length; k++) final[k] = control.state(r.first + k);
    r.final = final;
    control.release(r.first);
    r.resolve({ kernel: r.kernel, inside: r.inside, elapsedMs: r.elapsedMs, errors: r.errors });
  };

  const failChunk = (r: Run, i: number, error: Error) => {
    (r.errors ??= new Array<Error | undefined>(r.flags.length))[i] = error;
    settled(r, i);
  };

  /** Not begun by the thread that died, or finished there with an outcome that died with it (computed again: same count). */
  const needsThread = (r: Run, i: number) => {
    const state = control.state(r.first + i);
    return state === SlotState.QUEUED || (state === SlotState.DONE && (r.flags[i] & STOPPING) === 0);
  };

  /** The tasks for chunks `at` of a run: consecutive chunks (same seed and points) go as one task with a count. */
  const tasksFor = (r: Run, at: readonly number[]): PiTask[] => {
    const tasks: PiTask[] = [];
    for (let j = 0; j < at.length;) {
      const i = at[j];
      let n = 1;
      while (
        j + n < at.length &&
        at[j + n] === i + n &&
        r.chunkIndexes[i + n] === r.chunkIndexes[i] + n &&
        r.seeds[i + n] === r.seeds[i] &&
        r.points[i + n] === r.points[i]
      ) {
        n++;
      }
      tasks.push({ seed: r.seeds[i], chunkIndex: r.chunkIndexes[i], points: r.points[i], count: n, slot: r.first + i });
      j += n;
    }
    return tasks;
  };

  /**
   * Posts chunks `at` of a run as one pool task and records each one's outcome when it ends. If its thread dies
   * (terminated for a chunk that would not stop, or crashed), the chunk it was in fails with that error and the chunks
   * that still need a thread are posted again.
   */
  const post = (r: Run, at: readonly number[], reposts: number): void => {
    pool.run({ chunks: tasksFor(r, at) }).then(
      (result) => {
        r.kernel = result.kernel;
        at.forEach((i, j) => {
          const error = result.errors?.[j];
          if (error) {
            failChunk(r, i, rebuildKernelError(error));
          } else {
            r.inside[i] = result.inside[j];
            r.elapsedMs[i] = result.elapsedMs[j];
            settled(r, i);
          }
        });
      },
      (err: unknown) => {
        const serialized = isSerializedKernelError(err);
        const error = serialized ? rebuildKernelError(err) : err instanceof Error ? err : new Error(String(err));
        const retry = !serialized && !destroying && reposts < MAX_REPOSTS;
        const again: number[] = [];
        for (const i of at) {
          if (retry && needsThread(r, i)) again.push(i);
          else failChunk(r, i, error);
        }
        for (const i of again) control.queue(r.first + i);
        if (again.length > 0) post(r, again, reposts + 1);
      },
    );
  };

  const handle = (r: Run, outcome: Promise<RunOutcome>): PoolRun => {
    const withdraw = (i: number) => {
      if ((r.flags[i] & WITHDRAWN) !== 0) return true;
      if ((r.flags[i] & SETTLED) !== 0 || !control.withdraw(r.first + i)) return false;
      r.flags[i] |= WITHDRAWN;
      return true;
    };
    return {
      size: r.flags.length,
      outcome,
      started: (i) => isStartedState(r.final ? r.final[i] : control.state(r.first + i)),
      withdraw,
      abort(i) {
        if ((r.flags[i] & (SETTLED | STOPPING)) !== 0 || withdraw(i)) return;
        r.flags[i] |= STOPPING;
        const slot = r.first + i;
        if (!control.requestStop(slot)) return;
        // The thread marks the chunk DONE when its kernel call ends; still STOP after the grace: the kernel is stuck.
        (r.stopTimers ??= new Map()).set(
          i,
          setTimeout(() => {
            if (control.state(slot) === SlotState.STOP) terminateThread(control.thread(slot));
          }, stopGraceMs),
        );
      },
    };
  };

  const start = (run: readonly KernelTask[]): PoolRun => {
    let size = 0;
    for (const t of run) size += t.count ?? 1;
    if (size < 1 || size > chunksPerTask) {
      throw new RangeError(`kernel pool: a run has 1..${chunksPerTask} chunks (got ${size})`);
    }
    const first = control.acquire(size);
    if (first === undefined) throw new Error('kernel pool: every task control slot is in use');
    const seeds: string[] = [];
    const chunkIndexes: number[] = [];
    const points: number[] = [];
    for (const t of run) {
      for (let k = 0; k < (t.count ?? 1); k++) {
        seeds.push(t.seed);
        chunkIndexes.push(t.chunkIndex + k);
        points.push(t.points);
      }
    }
    let resolve!: (outcome: RunOutcome) => void;
    const outcome = new Promise<RunOutcome>((res) => (resolve = res));
    const r: Run = {
      seeds,
      chunkIndexes,
      points,
      first,
      flags: new Uint8Array(size),
      inside: new Array<number>(size).fill(0),
      elapsedMs: new Array<number>(size).fill(0),
      kernel: '',
      pending: size,
      resolve,
    };
    post(
      r,
      Array.from({ length: size }, (_, i) => i),
      0,
    );
    return handle(r, outcome);
  };

  return {
    threads,
    tasksPerThread,
    chunksPerTask,
    start,
    run(task, signal) {
      const r = start([{ seed: task.seed, chunkIndex: task.chunkIndex, points: task.points }]);
      if (signal?.aborted) r.abort(0);
      else signal?.addEventListener('abort', () => r.abort(0), { once: true });
      return r.outcome.then((o) => {
        const error = o.errors?.[0];
        if (error) throw error;
        return { inside: o.inside[0], elapsedMs: o.elapsedMs[0], kernel: o.kernel };
      });
    },
    close() {
      closing ??= pool.close();
      return closing;
    },
    destroy() {
      destroying ??= pool.destroy();
      return destroying;
    },
  };
}
