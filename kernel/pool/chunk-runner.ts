/**
 * Runs leased chunks on the kernel pool. It keeps up to `threads x tasksPerThread` chunks posted to the pool, so each
 * thread has its next chunk waiting on it and never waits for this (main) thread between chunks; further leases (the
 * coordinator's prefetch) wait here. A posted chunk that no thread has started can still be withdrawn exactly
 * (task-control.ts), so a draining worker hands back precisely the chunks it has not started.
 */
import { KernelErrorCode } from '../kernel-errors.js';
import type { KernelOutcome, KernelPool, PoolTask } from './kernel-pool.js';

export interface ChunkJob {
  readonly leaseId: string;
  readonly calculationId: string;
  readonly chunkIndex: number;
  readonly seed: string;
  readonly points: number;
}

export interface JobCallbacks {
  done(job: ChunkJob, outcome: KernelOutcome): void;
  failed(job: ChunkJob, err: { code: string; message: string }): void;
  /** A revoked running chunk has stopped, `ms` after the revocation. */
  aborted?(job: ChunkJob, ms: number): void;
}

interface Entry {
  readonly job: ChunkJob;
  readonly cb: JobCallbacks;
  task?: PoolTask;
  abortedAt?: number;
}

export class ChunkRunner {
  private readonly pool: KernelPool;
  private readonly waiting: Entry[] = [];
  /** Posted to the pool: running, or waiting on a thread. */
  private readonly posted = new Map<string, Entry>();
  private idleWaiters: (() => void)[] = [];

  constructor(pool: KernelPool) {
    this.pool = pool;
  }

  /** Chunks computing now (at most one per thread; posted chunks beyond the threads wait on them). */
  get runningCount(): number {
    return Math.min(this.posted.size, this.pool.threads);
  }

  /** Leases held: posted plus waiting. */
  get heldCount(): number {
    return this.posted.size + this.waiting.length;
  }

  enqueue(job: ChunkJob, cb: JobCallbacks): void {
    if (this.posted.has(job.leaseId) || this.waiting.some((e) => e.job.leaseId === job.leaseId)) return;
    this.waiting.push({ job, cb });
    this.pump();
  }

  /**
   * Drops a lease: removed if not started (waiting here or on a thread), stopped if running (the kernel stops at its
   * next poll). Returns whether it was held.
   */
  revoke(leaseId: string): boolean {
    const i = this.waiting.findIndex((e) => e.job.leaseId === leaseId);
    if (i >= 0) {
      this.waiting.splice(i, 1);
      return true;
    }
    const entry = this.posted.get(leaseId);
    if (!entry) return false;
    this.posted.delete(leaseId);
    if (!entry.task?.withdraw()) {
      entry.abortedAt = performance.now();
      entry.task?.abort();
    }
    this.pump();
    this.notifyIdle();
    return true;
  }

  /** Removes and returns every job not yet started, including those posted to a thread that has not begun them. */
  takeWaiting(): ChunkJob[] {
    const jobs = this.waiting.splice(0).map((e) => e.job);
    for (const [id, e] of this.posted) {
      if (e.task?.withdraw()) {
        this.posted.delete(id);
        jobs.push(e.job);
      }
    }
    this.notifyIdle();
    return jobs;
  }

  /** Aborts everything posted and returns those jobs. */
  abortRunning(): ChunkJob[] {
    const entries = [...this.posted.values()];
    this.posted.clear();
    for (const e of entries) {
      e.abortedAt = performance.now();
      e.task?.abort();
    }
    this.notifyIdle();
    return entries.map((e) => e.job);
  }

  /** Resolves once no chunk is posted. */
  whenIdle(): Promise<void> {
    if (this.posted.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private pump(): void {
    const limit = this.pool.threads * this.pool.tasksPerThread;
    while (this.posted.size < limit && this.waiting.length > 0) {
      const entry = this.waiting.shift()!;
      this.posted.set(entry.job.leaseId, entry);
      const { seed, chunkIndex, points } = entry.job;
      let outcome: Promise<KernelOutcome>;
      try {
        entry.task = this.pool.start({ seed, chunkIndex, points });
        outcome = entry.task.outcome;
      } catch (err) {
        this.posted.delete(entry.job.leaseId);
        throw err;
      }
      outcome
        .then(
          (result) => {
            if (this.posted.get(entry.job.leaseId) === entry) {
              this.posted.delete(entry.job.leaseId);
              entry.cb.done(entry.job, result);
            }
          },
          (err: Error & { code?: string }) => {
            if (this.posted.get(entry.job.leaseId) === entry) {
              this.posted.delete(entry.job.leaseId);
              entry.cb.failed(entry.job, { code: err.code ?? KernelErrorCode.ERROR, message: err.message });
            } else if (entry.abortedAt !== undefined) {
              entry.cb.aborted?.(entry.job, performance.now() - entry.abortedAt);
            }
          },
        )
        .finally(() => {
          this.pump();
          this.notifyIdle();
        });
    }
  }

  private notifyIdle(): void {
    if (this.posted.size > 0) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }
}
