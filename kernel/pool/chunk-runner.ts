/**
 * Runs leased chunks on the kernel pool. Short chunks are posted to the pool ahead, so each thread has its next chunks
 * waiting on it and never waits for this (main) thread between chunks - on a loaded machine a woken main thread can
 * take milliseconds to be scheduled, which 1 ms chunks would pay every time. How far ahead: about `postAheadMs` of
 * work per thread at the measured chunk time (at least 2 chunks, at most the pool's `tasksPerThread`); chunks of
 * `postAheadMs` or more go one per thread, and further leases wait here and go to whichever thread is free first.
 * A posted chunk that no thread has started can still be withdrawn exactly (task-control.ts), so a draining worker
 * hands back precisely the chunks it has not started.
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

export interface ChunkRunnerOptions {
  /** Work posted ahead to each thread, in measured kernel time. @default 25 ms */
  readonly postAheadMs?: number;
}

/** Weight of the newest chunk in the running mean of kernel time per point. */
const PACE_WEIGHT = 0.2;

export class ChunkRunner {
  private readonly pool: KernelPool;
  private readonly postAheadMs: number;
  private readonly waiting: Entry[] = [];
  /** Posted to the pool: running, or waiting on a thread. */
  private readonly posted = new Map<string, Entry>();
  private idleWaiters: (() => void)[] = [];
  /** Running mean of kernel milliseconds per point; undefined until a chunk has completed. */
  private msPerPoint: number | undefined;

  constructor(pool: KernelPool, options: ChunkRunnerOptions = {}) {
    this.pool = pool;
    this.postAheadMs = options.postAheadMs ?? 25;
  }

  /** Chunks to keep posted to the pool for the next waiting chunk's size. */
  private postLimit(points: number): number {
    const { threads, tasksPerThread } = this.pool;
    const chunkMs = this.msPerPoint === undefined ? undefined : this.msPerPoint * points;
    if (chunkMs !== undefined && chunkMs >= this.postAheadMs) return threads;
    const perThread = chunkMs === undefined ? 2 : Math.ceil(this.postAheadMs / Math.max(chunkMs, 0.01)) + 1;
    return threads * Math.max(1, Math.min(tasksPerThread, perThread));
  }

  private observe(points: number, outcome: KernelOutcome): void {
    if (!(outcome.elapsedMs > 0) || points <= 0) return;
    const sample = outcome.elapsedMs / points;
    this.msPerPoint = this.msPerPoint === undefined ? sample : this.msPerPoint + PACE_WEIGHT * (sample - this.msPerPoint);
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
    while (this.waiting.length > 0 && this.posted.size < this.postLimit(this.waiting[0].job.points)) {
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
            this.observe(points, result);
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
