/**
 * Runs leased chunks on the kernel pool, never more at once than the pool has threads; further leases (the
 * coordinator's prefetch) wait here, so a draining worker knows exactly which chunks it has not started and can
 * hand them back.
 */
import { KernelErrorCode } from '../kernel-errors.js';
import type { KernelOutcome, KernelPool } from './kernel-pool.js';

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
  /** A revoked running chunk has stopped: its thread was terminated `ms` after the revocation. */
  aborted?(job: ChunkJob, ms: number): void;
}

interface Entry {
  readonly job: ChunkJob;
  readonly cb: JobCallbacks;
  readonly abort: AbortController;
  abortedAt?: number;
}

export class ChunkRunner {
  private readonly pool: KernelPool;
  private readonly waiting: Entry[] = [];
  private readonly running = new Map<string, Entry>();
  private idleWaiters: (() => void)[] = [];

  constructor(pool: KernelPool) {
    this.pool = pool;
  }

  get runningCount(): number {
    return this.running.size;
  }

  /** Leases held: running plus waiting. */
  get heldCount(): number {
    return this.running.size + this.waiting.length;
  }

  enqueue(job: ChunkJob, cb: JobCallbacks): void {
    if (this.running.has(job.leaseId) || this.waiting.some((e) => e.job.leaseId === job.leaseId)) return;
    this.waiting.push({ job, cb, abort: new AbortController() });
    this.pump();
  }

  /** Drops a lease: removed if waiting, aborted if running (its thread is replaced). Returns whether it was held. */
  revoke(leaseId: string): boolean {
    const i = this.waiting.findIndex((e) => e.job.leaseId === leaseId);
    if (i >= 0) {
      this.waiting.splice(i, 1);
      return true;
    }
    const entry = this.running.get(leaseId);
    if (!entry) return false;
    this.running.delete(leaseId);
    entry.abortedAt = performance.now();
    entry.abort.abort();
    this.pump();
    return true;
  }

  /** Removes and returns every job not yet started (to hand back while draining). */
  takeWaiting(): ChunkJob[] {
    return this.waiting.splice(0).map((e) => e.job);
  }

  /** Aborts everything running and returns those jobs. */
  abortRunning(): ChunkJob[] {
    const jobs = [...this.running.values()];
    this.running.clear();
    for (const e of jobs) {
      e.abortedAt = performance.now();
      e.abort.abort();
    }
    return jobs.map((e) => e.job);
  }

  /** Resolves once no chunk is running. */
  whenIdle(): Promise<void> {
    if (this.running.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private pump(): void {
    while (this.running.size < this.pool.threads && this.waiting.length > 0) {
      const entry = this.waiting.shift()!;
      this.running.set(entry.job.leaseId, entry);
      const { seed, chunkIndex, points } = entry.job;
      this.pool
        .run({ seed, chunkIndex, points }, entry.abort.signal)
        .then(
          (outcome) => {
            if (this.running.get(entry.job.leaseId) === entry) {
              this.running.delete(entry.job.leaseId);
              entry.cb.done(entry.job, outcome);
            }
          },
          (err: Error & { code?: string }) => {
            if (this.running.get(entry.job.leaseId) === entry) {
              this.running.delete(entry.job.leaseId);
              entry.cb.failed(entry.job, { code: err.code ?? KernelErrorCode.ERROR, message: err.message });
            } else if (entry.abortedAt !== undefined) {
              entry.cb.aborted?.(entry.job, performance.now() - entry.abortedAt);
            }
          },
        )
        .finally(() => {
          this.pump();
          if (this.running.size === 0) {
            const waiters = this.idleWaiters;
            this.idleWaiters = [];
            for (const w of waiters) w();
          }
        });
    }
  }
}
