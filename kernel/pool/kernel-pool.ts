/**
 * The thread pool that runs the pi kernel (piscina). The main thread never runs the kernel, so gRPC streams,
 * heartbeats and lease renewals stay responsive however busy the CPUs are. A task's error crosses the thread
 * boundary as `{name, message, code}` (see pi-task.ts) and is rebuilt here into a coded Error.
 *
 * Each thread is given up to `tasksPerThread` tasks at once, so it starts its next task the moment one ends instead
 * of waiting for the main thread (which may be busy with gRPC, or not scheduled on a loaded machine) to post it; and a
 * task is a run of up to `chunksPerTask` chunks, so short chunks do not each pay a task's round trip (piscina's
 * postTask, the thread's message handling: ~100 µs). Each chunk of a run keeps its own control slot, outcome and
 * error: it can be withdrawn until it starts and stopped while it runs, without touching the rest of its run.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import { appRoot } from '../../shared/paths.js';
import { isSerializedKernelError, rebuildKernelError } from '../kernel-errors.js';
import type { PiRun, PiRunResult, PiTask } from './pi-task.js';
import { SlotState, TaskControl } from './task-control.js';

/** One chunk for a pool thread. The seed travels as a decimal string (it may exceed 2^53 in the kernel API). */
export interface KernelTask {
  readonly seed: string;
  readonly chunkIndex: number;
  readonly points: number;
}

export interface KernelOutcome {
  readonly inside: number;
  readonly elapsedMs: number;
  readonly kernel: string;
}

/** A chunk posted to the pool, alone or in a run ({@link KernelPool.start}). */
export interface PoolTask {
  /**
   * Settles when its run's pool task has ended, with the chunk's own outcome: computed, failed (its own kernel error),
   * withdrawn or stopped (code `KERNEL_ABORTED`), or its thread died while computing it. The chunks of one run settle
   * together, in one turn of the event loop.
   */
  readonly outcome: Promise<KernelOutcome>;
  /** A thread has begun it (it may have finished since). */
  readonly started: boolean;
  /** Withdraws the chunk if no thread has started it: true then, and it never runs (the rest of its run still does). */
  withdraw(): boolean;
  /**
   * Stops the chunk: withdrawn if not started, else the kernel stops at its next poll (every 2^24 points) and the thread
   * goes on with the rest of the run; a thread still in the chunk `stopGraceMs` later is terminated (and replaced).
   * Idempotent.
   */
  abort(): void;
}

export interface KernelPoolOptions {
  /**
   * Most pool tasks posted to one thread at once: the running one plus the next ones, which wait on the thread itself,
   * so a thread goes from one task to the next without waiting for the main thread (ChunkRunner decides how many it
   * actually posts). @default 32
   */
  readonly tasksPerThread?: number;
  /** Most chunks in one pool task (a run, {@link KernelPool.start}). @default 64 */
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
   * Posts a run of 1..chunksPerTask chunks as one pool task: one thread computes them in order. Returns one
   * {@link PoolTask} per chunk, in the run's order.
   */
  start(run: readonly KernelTask[]): PoolTask[];
  /** Runs one chunk; an aborted `signal` aborts it as {@link PoolTask.abort} does. */
  run(task: KernelTask, signal?: AbortSignal): Promise<KernelOutcome>;
  /** Busy fraction of the threads since start, 0..1. */
  utilization(): number;
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

/** A chunk of a posted run, as the main thread tracks it. */
interface RunChunk {
  readonly task: Required<PiTask>;
  readonly resolve: (outcome: KernelOutcome) => void;
  readonly reject: (err: Error) => void;
  /** Its slot's state when it settled (the slot is released then); undefined while pending. */
  settledState?: number;
  withdrawn: boolean;
  /** abort() was called: if its thread dies, it is not posted again. */
  stopping: boolean;
  stopTimer?: NodeJS.Timeout;
}

const isStartedState = (state: number) => state === SlotState.STARTED || state === SlotState.STOP || state === SlotState.DONE;

export function createKernelPool(threads: number, options: KernelPoolOptions = {}): KernelPool {
  const tasksPerThread = options.tasksPerThread ?? 32;
  const chunksPerTask = options.chunksPerTask ?? 64;
  const stopGraceMs = options.stopGraceMs ?? 1000;
  // Slots stay taken until a chunk settles, withdrawn ones included: room for twice what the threads may hold at once.
  const control = new TaskControl(4096 + 2 * threads * tasksPerThread * chunksPerTask);
  const pool = new Piscina<PiRun, PiRunResult>({
    filename: taskFile(),
    minThreads: threads,
    maxThreads: threads,
    // Keep threads (and their warmed-up kernels) alive between chunks.
    idleTimeout: 60 * 60 * 1000,
    // No AbortSignal reaches piscina (it would post nothing more to a thread running an abortable task): chunks are
    // withdrawn and stopped through `control` instead (task-control.ts).
    concurrentTasksPerWorker: tasksPerThread,
    workerData: { taskControl: control.buffer },
  });
  let closing: Promise<void> | undefined;
  let destroying: Promise<void> | undefined;

  const terminateThread = (id: number) => {
    const thread = pool.threads.find((t) => t.threadId === id);
    if (thread) void thread.terminate();
  };

  const settle = (c: RunChunk, outcome: KernelOutcome | Error) => {
    clearTimeout(c.stopTimer);
    c.settledState = control.state(c.task.slot);
    control.release(c.task.slot);
    if (outcome instanceof Error) c.reject(outcome);
    else c.resolve(outcome);
  };

  /** Not begun by the thread that died, or finished there with an outcome that died with it (computed again: same count). */
  const needsThread = (c: RunChunk) => {
    const state = control.state(c.task.slot);
    return state === SlotState.QUEUED || (state === SlotState.DONE && !c.stopping);
  };

  /**
   * Posts chunks as one pool task and settles each with its own outcome when it ends. If its thread dies (terminated
   * for a chunk that would not stop, or crashed), the chunk it was in fails with that error and the chunks that still
   * need a thread are posted again.
   */
  const post = (chunks: RunChunk[], reposts: number): void => {
    pool.run({ chunks: chunks.map((c) => c.task) }).then(
      ({ outcomes }) =>
        chunks.forEach((c, i) => {
          const o = outcomes[i];
          settle(c, o.kind === 'done' ? { inside: o.inside, elapsedMs: o.elapsedMs, kernel: o.kernel } : rebuildKernelError(o.error));
        }),
      (err: unknown) => {
        const serialized = isSerializedKernelError(err);
        const error = serialized ? rebuildKernelError(err) : err instanceof Error ? err : new Error(String(err));
        const retry = !serialized && !destroying && reposts < MAX_REPOSTS;
        const again: RunChunk[] = [];
        for (const c of chunks) {
          if (retry && needsThread(c)) again.push(c);
          else settle(c, error);
        }
        for (const c of again) control.queue(c.task.slot);
        if (again.length > 0) post(again, reposts + 1);
      },
    );
  };

  const track = (task: KernelTask, slot: number): { chunk: RunChunk; handle: PoolTask } => {
    let resolve!: (outcome: KernelOutcome) => void;
    let reject!: (err: Error) => void;
    const outcome = new Promise<KernelOutcome>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    const c: RunChunk = {
      task: { seed: task.seed, chunkIndex: task.chunkIndex, points: task.points, slot },
      resolve,
      reject,
      withdrawn: false,
      stopping: false,
    };
    const withdraw = () => (c.withdrawn ||= c.settledState === undefined && control.withdraw(slot));
    const handle: PoolTask = {
      outcome,
      get started() {
        return isStartedState(c.settledState ?? control.state(slot));
      },
      withdraw,
      abort() {
        if (c.settledState !== undefined || withdraw() || c.stopping) return;
        c.stopping = true;
        if (!control.requestStop(slot)) return;
        // The thread marks the chunk DONE when its kernel call ends; still STOP after the grace: the kernel is stuck.
        c.stopTimer = setTimeout(() => {
          if (control.state(slot) === SlotState.STOP) terminateThread(control.thread(slot));
        }, stopGraceMs);
      },
    };
    return { chunk: c, handle };
  };

  const start = (run: readonly KernelTask[]): PoolTask[] => {
    if (run.length < 1 || run.length > chunksPerTask) {
      throw new RangeError(`kernel pool: a run has 1..${chunksPerTask} chunks (got ${run.length})`);
    }
    const slots: number[] = [];
    for (let i = 0; i < run.length; i++) {
      const slot = control.acquire();
      if (slot === undefined) {
        for (const s of slots) control.release(s);
        throw new Error('kernel pool: every task control slot is in use');
      }
      slots.push(slot);
    }
    const tracked = run.map((task, i) => track(task, slots[i]));
    post(
      tracked.map((t) => t.chunk),
      0,
    );
    return tracked.map((t) => t.handle);
  };

  return {
    threads,
    tasksPerThread,
    chunksPerTask,
    start,
    run(task, signal) {
      const [t] = start([task]);
      if (signal?.aborted) t.abort();
      else signal?.addEventListener('abort', () => t.abort(), { once: true });
      return t.outcome;
    },
    utilization() {
      return pool.utilization;
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
