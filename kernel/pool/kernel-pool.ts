/**
 * The thread pool that runs the pi kernel (piscina). The main thread never runs the kernel, so gRPC streams,
 * heartbeats and lease renewals stay responsive however busy the CPUs are. A task's error crosses the thread
 * boundary as `{name, message, code}` (see pi-task.ts) and is rebuilt here into a coded Error.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import { appRoot } from '../../shared/paths.js';
import { isSerializedKernelError, rebuildKernelError } from '../kernel-errors.js';

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

export interface KernelPool {
  readonly threads: number;
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

export function createKernelPool(threads: number): KernelPool {
  const pool = new Piscina<KernelTask, KernelOutcome>({
    filename: taskFile(),
    minThreads: threads,
    maxThreads: threads,
    // Keep threads (and their warmed-up kernels) alive between chunks.
    idleTimeout: 60 * 60 * 1000,
    concurrentTasksPerWorker: 1,
  });
  let closing: Promise<void> | undefined;
  let destroying: Promise<void> | undefined;
  return {
    threads,
    run(task, signal) {
      return pool.run(task, signal ? { signal } : undefined).catch((err: unknown) => {
        throw isSerializedKernelError(err) ? rebuildKernelError(err) : err;
      });
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
