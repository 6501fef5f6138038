/**
 * Runs leased chunks on the kernel pool. Short chunks are posted to the pool ahead, so each thread has its next chunks
 * waiting on it and never waits for this (main) thread between chunks - on a loaded machine a woken main thread can
 * take milliseconds to be scheduled, which 1 ms chunks would pay every time. And short chunks go in runs: one pool
 * task computes consecutive chunks of about `runMs` of measured kernel time, so a 1 ms chunk does not pay a pool
 * task's round trip of its own (docs/performance.md, "Per-chunk overhead").
 *
 * How far ahead: each thread keeps its running task and the next one posted, and further runs are posted while the
 * posted work is under `postAheadMs` per thread at the measured chunk time - those only once a full run is waiting, so
 * leases that arrive one by one gather into runs instead of going one per task. Chunks of `postAheadMs` or more go
 * one per thread, and further leases wait here and go to whichever thread is free first. Posting is deferred to the
 * end of the event-loop turn (`setImmediate`), so the leases of one turn form one run; a lease for an idle thread is
 * posted at once.
 *
 * The pace that sizes runs and the posting is the kernel's *unhindered* time per point: the fastest of the last few
 * chunks, not their mean. A chunk's measured time is wall time, and on a loaded machine the thread is descheduled
 * for part of it (a 1 ms chunk measures 3-5 ms); a mean would then read a 10 ms chunk as "long" (so it was posted one
 * per thread, and the thread waited for the main thread after each chunk) and a run as 2-3 chunks instead of ~10.
 * The fastest recent chunk is close to the kernel's CPU time, which is what the chunks actually cost the thread.
 *
 * Every chunk of a posted run can still be withdrawn until a thread starts it, exactly (task-control.ts), so a
 * draining worker hands back precisely the chunks it has not started; a revoked chunk is skipped, or stopped if it
 * runs, without touching the rest of its run. The chunks of a run report their outcomes together when the run ends,
 * in one turn (the worker can send those results as one batch).
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
  /** Measured kernel time of the chunks one pool task computes in a row (at most the pool's `chunksPerTask`). @default 10 ms */
  readonly runMs?: number;
}

/** The next run to post from the front of the waiting chunks. */
interface RunPlan {
  readonly count: number;
  /** Its estimated kernel time; undefined before any chunk has completed (no pace yet). */
  readonly ms: number | undefined;
  /** No further waiting chunk would fit (by time or by count): waiting longer would not make it larger. */
  readonly full: boolean;
}

/** Chunks whose fastest time per point is the pace: enough that one of them likely ran undisturbed under load. */
const PACE_WINDOW = 16;

export class ChunkRunner {
  private readonly pool: KernelPool;
  private readonly postAheadMs: number;
  private readonly runMs: number;
  private readonly waiting: Entry[] = [];
  /** Posted to the pool: running, or waiting on a thread. */
  private readonly posted = new Map<string, Entry>();
  /** Pool tasks (runs) not yet ended, and the points of their chunks. */
  private postedRuns = 0;
  private postedPoints = 0;
  private pumpScheduled = false;
  private idleWaiters: (() => void)[] = [];
  /** Kernel milliseconds per point of the last PACE_WINDOW chunks (a ring), and where the next one goes. */
  private readonly paceSamples: number[] = [];
  private paceNext = 0;
  /** The fastest of paceSamples; undefined until a chunk has completed. */
  private msPerPoint: number | undefined;

  constructor(pool: KernelPool, options: ChunkRunnerOptions = {}) {
    this.pool = pool;
    this.postAheadMs = options.postAheadMs ?? 25;
    this.runMs = options.runMs ?? 10;
  }

  /** The longest run at the front of the waiting chunks that fits in `runMs` (always at least one chunk). */
  private planRun(): RunPlan {
    const pace = this.msPerPoint;
    if (pace === undefined) return { count: 1, ms: undefined, full: false };
    const max = Math.min(this.waiting.length, this.pool.chunksPerTask);
    let ms = pace * this.waiting[0].job.points;
    let count = 1;
    while (count < max) {
      const next = pace * this.waiting[count].job.points;
      if (ms + next > this.runMs) return { count, ms, full: true };
      ms += next;
      count++;
    }
    return { count, ms, full: count === this.pool.chunksPerTask || ms >= this.runMs };
  }

  /** Whether to post `run` now, given what the threads already have. */
  private mayPost(run: RunPlan): boolean {
    const { threads, tasksPerThread } = this.pool;
    if (this.postedRuns >= threads * tasksPerThread) return false;
    if (this.postedRuns < threads) return true;
    if (run.ms === undefined) return this.postedRuns < 2 * threads;
    if (run.ms >= this.postAheadMs) return false;
    if (this.postedRuns < 2 * threads) return true;
    return run.full && this.postedPoints * this.msPerPoint! < threads * this.postAheadMs;
  }

  private observe(points: number, outcome: KernelOutcome): void {
    if (!(outcome.elapsedMs > 0) || points <= 0) return;
    this.paceSamples[this.paceNext] = outcome.elapsedMs / points;
    this.paceNext = (this.paceNext + 1) % PACE_WINDOW;
    this.msPerPoint = Math.min(...this.paceSamples);
  }

  /** Chunks computing now (at most one per thread; posted chunks beyond the threads wait on them). */
  get runningCount(): number {
    return Math.min(this.posted.size, this.pool.threads);
  }

  /** Leases held: posted plus waiting. */
  get heldCount(): number {
    return this.posted.size + this.waiting.length;
  }

  /** Takes a chunk on. A pool failure to post it to an idle thread at once throws here; later ones fail the chunk. */
  enqueue(job: ChunkJob, cb: JobCallbacks): void {
    if (this.posted.has(job.leaseId) || this.waiting.some((e) => e.job.leaseId === job.leaseId)) return;
    const entry: Entry = { job, cb };
    if (this.waiting.length === 0 && this.postedRuns < this.pool.threads) {
      this.post([entry]);
      return;
    }
    this.waiting.push(entry);
    if (this.pumpScheduled) return;
    this.pumpScheduled = true;
    setImmediate(() => {
      this.pumpScheduled = false;
      this.pump();
    });
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

  /** Posts runs from the front of the waiting chunks while the threads should get more; a pool failure fails the run. */
  private pump(): void {
    while (this.waiting.length > 0) {
      const plan = this.planRun();
      if (!this.mayPost(plan)) return;
      const run = this.waiting.splice(0, plan.count);
      try {
        this.post(run);
      } catch (err) {
        // The Error itself (with its stack) goes to the callback, for the worker to log.
        const error = Object.assign(err instanceof Error ? err : new Error(String(err)), { code: KernelErrorCode.ERROR });
        for (const e of run) e.cb.failed(e.job, error);
      }
    }
  }

  /** Posts chunks as one pool task (throws if the pool cannot take it; nothing is recorded then). */
  private post(run: Entry[]): void {
    const tasks = this.pool.start(run.map(({ job }) => ({ seed: job.seed, chunkIndex: job.chunkIndex, points: job.points })));
    this.postedRuns++;
    let pending = run.length;
    run.forEach((entry, i) => {
      entry.task = tasks[i];
      this.posted.set(entry.job.leaseId, entry);
      this.postedPoints += entry.job.points;
      entry.task.outcome
        .then(
          (result) => {
            this.observe(entry.job.points, result);
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
          this.postedPoints -= entry.job.points;
          if (--pending === 0) {
            this.postedRuns--;
            this.pump();
          }
          this.notifyIdle();
        });
    });
  }

  private notifyIdle(): void {
    if (this.posted.size > 0) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }
}
