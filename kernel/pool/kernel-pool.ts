/**
 * The thread pool that runs the pi kernel (piscina). The main thread never runs the kernel, so gRPC streams,
 * heartbeats and lease renewals stay responsive however busy the CPUs are. A task's error crosses the thread
 * boundary as `{name, message, code}` (see pi-task.ts) and is rebuilt here into a coded Error.
 *
 * Each thread is given up to `tasksPerThread` tasks at once, so it starts its next chunk the moment one ends instead
 * of waiting for the main thread (which may be busy with gRPC, or not scheduled on a loaded machine) to post it.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import { appRoot } from '../../shared/paths.js';
import { isSerializedKernelError, rebuildKernelError } from '../kernel-errors.js';
import type { PiTask } from './pi-task.js';
import { SlotState, TaskControl } from './task-control.js';

/** What a pool thread computes: one chunk. The seed travels as a decimal string (it may exceed 2^53 in the kernel API). */
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

/** A task posted to the pool. */
export interface PoolTask {
  /** Settles when the task has run, was withdrawn or stopped (then with code `KERNEL_ABORTED`), or its thread died. */
  readonly outcome: Promise<KernelOutcome>;
  /** A thread has begun it (it may have finished since). */
  readonly started: boolean;
  /** Withdraws the task if no thread has started it: true then, and it never runs. */
  withdraw(): boolean;
  /**
   * Stops the task: withdrawn if not started, else the kernel stops at its next poll (every 2^24 points); a thread
   * that has not stopped `stopGraceMs` later is terminated (and replaced). Idempotent.
   */
  abort(): void;
}

export interface KernelPoolOptions {
  /**
   * Most tasks posted to one thread at once: the running one plus the next ones, which wait on the thread itself, so
   * a thread goes from one chunk to the next without waiting for the main thread (ChunkRunner decides how many it
   * actually posts). @default 32
   */
  readonly tasksPerThread?: number;
  /** How long an aborted running task may take to stop before its thread is terminated. @default 1000 ms */
  readonly stopGraceMs?: number;
}

export interface KernelPool {
  readonly threads: number;
  /** See {@link KernelPoolOptions.tasksPerThread}. */
  readonly tasksPerThread: number;
  /** Posts a task; see {@link PoolTask}. */
  start(task: KernelTask): PoolTask;
  /** Runs a task; an aborted `signal` aborts it as {@link PoolTask.abort} does. */
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

/** Times a task whose thread died before starting it is posted again (its thread was terminated for another task). */
const MAX_REPOSTS = 3;

export function createKernelPool(threads: number, options: KernelPoolOptions = {}): KernelPool {
  const tasksPerThread = options.tasksPerThread ?? 32;
  const stopGraceMs = options.stopGraceMs ?? 1000;
  // Slots stay taken until a task settles, withdrawn ones included: room for many times what a runner keeps posted.
  const control = new TaskControl(4096 + 16 * threads * tasksPerThread);
  const pool = new Piscina<PiTask, KernelOutcome>({
    filename: taskFile(),
    minThreads: threads,
    maxThreads: threads,
    // Keep threads (and their warmed-up kernels) alive between chunks.
    idleTimeout: 60 * 60 * 1000,
    // No AbortSignal reaches piscina (it would post nothing more to a thread running an abortable task): tasks are
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

  const start = (task: KernelTask): PoolTask => {
    const slot = control.acquire();
    if (slot === undefined) throw new Error('kernel pool: every task control slot is in use');
    let withdrawn = false;
    let stopTimer: NodeJS.Timeout | undefined;
    let reposts = 0;
    const post = (): Promise<KernelOutcome> =>
      pool.run({ seed: task.seed, chunkIndex: task.chunkIndex, points: task.points, slot }).catch((err: unknown) => {
        if (isSerializedKernelError(err)) throw rebuildKernelError(err);
        // Its thread died before starting it (terminated for another task, or crashed): not this task's failure.
        if (!withdrawn && !destroying && control.state(slot) === SlotState.QUEUED && reposts++ < MAX_REPOSTS) return post();
        throw err;
      });
    const isStarted = () => {
      const state = control.state(slot);
      return state === SlotState.STARTED || state === SlotState.STOP;
    };
    let startedWhenSettled: boolean | undefined;
    const outcome = post().finally(() => {
      clearTimeout(stopTimer);
      startedWhenSettled = isStarted();
      control.release(slot);
    });
    const withdraw = () => (withdrawn ||= startedWhenSettled === undefined && control.withdraw(slot));
    return {
      outcome,
      get started() {
        return startedWhenSettled ?? isStarted();
      },
      withdraw,
      abort() {
        if (startedWhenSettled !== undefined || withdraw() || stopTimer !== undefined) return;
        if (control.requestStop(slot)) stopTimer = setTimeout(() => terminateThread(control.thread(slot)), stopGraceMs);
      },
    };
  };

  return {
    threads,
    tasksPerThread,
    start,
    run(task, signal) {
      const t = start(task);
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
