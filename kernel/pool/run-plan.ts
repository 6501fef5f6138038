/**
 * How the chunk runner (chunk-runner.ts) cuts its waiting chunks into pool tasks and when it posts them: the pace (the
 * kernel's unhindered time per point), the size of the next run, and whether the threads should get it now. Pure
 * policy: it reads the waiting jobs and what is posted, and keeps no state but the pace.
 *
 * The pace that sizes runs and the posting is the kernel's *unhindered* time per point: the fastest of the last few
 * chunks, not their mean. A chunk's measured time is wall time, and on a loaded machine the thread is descheduled
 * for part of it (a 1 ms chunk measures 3-5 ms); a mean would then read a 10 ms chunk as "long" (so it was posted one
 * per thread, and the thread waited for the main thread after each chunk) and a run as 2-3 chunks instead of ~10.
 * The fastest recent chunk is close to the kernel's CPU time, which is what the chunks actually cost the thread.
 *
 * How far ahead: each thread keeps its running task and the next one posted, and further runs are posted while the
 * posted work is under `postAheadMs` per thread at the pace - those only once a full run is waiting, so leases that
 * arrive one by one gather into runs instead of going one per task. Chunks of `postAheadMs` or more go one per thread,
 * and further leases wait and go to whichever thread is free first. A run is about `runMs` of kernel time; only a run
 * of one span's chunks alone may be longer, up to `spanRunMs`, cut in equal runs and no more than each thread's share
 * of the work (it delays no other lease's result, and saves pool tasks, the main thread's largest cost per chunk).
 */

/** A job waiting in the runner, as the planner sees it. */
export interface PlannedJob {
  readonly job: { readonly points: number };
  /** Chunks the job covers. */
  readonly count: number;
  /** The first chunk (offset in the job) never posted yet. */
  readonly next: number;
  /** Chunks withdrawn from a thread and to be posted again before `next`. */
  readonly again?: readonly number[];
}

/** Chunks of a job not posted yet. */
export const unposted = (h: PlannedJob): number => (h.again?.length ?? 0) + h.count - h.next;

/** The next run to post from the front of the waiting chunks. */
export interface RunPlan {
  readonly count: number;
  /** Its estimated kernel time; undefined before any chunk has completed (no pace yet). */
  readonly ms: number | undefined;
  /** No further waiting chunk would fit (by time or by count): waiting longer would not make it larger. */
  readonly full: boolean;
}

/** The pool's shape and the runner's options, in milliseconds of kernel time. */
export interface PlanLimits {
  readonly threads: number;
  readonly tasksPerThread: number;
  readonly chunksPerTask: number;
  readonly postAheadMs: number;
  readonly runMs: number;
  readonly spanRunMs: number;
}

/** What is posted to the pool and not yet ended. */
export interface Posted {
  /** Pool tasks (runs). */
  readonly runs: number;
  /** Points of their chunks. */
  readonly points: number;
}

/** Chunks whose fastest time per point is the pace: enough that one of them likely ran undisturbed under load. */
const PACE_WINDOW = 16;

export class RunPlanner {
  private readonly limits: PlanLimits;
  /** Kernel milliseconds per point of the last PACE_WINDOW chunks (a ring), and where the next one goes. */
  private readonly paceSamples: number[] = [];
  private paceNext = 0;
  /** The fastest of paceSamples; undefined until a chunk has completed. */
  private msPerPoint: number | undefined;

  constructor(limits: PlanLimits) {
    this.limits = limits;
  }

  /** A computed chunk's kernel time per point (call {@link paced} once a run's chunks are in). */
  sample(msPerPoint: number): void {
    this.paceSamples[this.paceNext] = msPerPoint;
    this.paceNext = (this.paceNext + 1) % PACE_WINDOW;
  }

  /** Makes the samples so far the pace. */
  paced(): void {
    if (this.paceSamples.length > 0) this.msPerPoint = Math.min(...this.paceSamples);
  }

  /**
   * The longest run at the front of the waiting chunks that fits in `runMs`, or in `spanRunMs` if it holds chunks of
   * one span only (always at least one chunk).
   */
  plan(waiting: readonly PlannedJob[], posted: Posted): RunPlan {
    const pace = this.msPerPoint;
    if (pace === undefined) return { count: 1, ms: undefined, full: false };
    const { chunksPerTask: max, runMs } = this.limits;
    let count = 0;
    let ms = 0;
    // A run of the first waiting span's chunks alone, in equal pieces of at most spanRunMs.
    const front = waiting[0];
    if (front !== undefined && front.count > 1) {
      const each = pace * front.job.points;
      const total = unposted(front);
      const limit = this.spanLimit(pace, waiting, posted);
      const pieces = Math.max(1, Math.ceil((total * each) / limit - 1e-9));
      // Never over the limit (rounding up to equal pieces could pass it when chunks are long).
      const take = Math.min(max, Math.ceil(total / pieces), Math.max(1, Math.floor(limit / each + 1e-9)));
      if (take * each > runMs) return { count: take, ms: take * each, full: true };
    }
    // Per job rather than per chunk: a span's chunks all take the same time.
    for (const h of waiting) {
      const each = pace * h.job.points;
      let n = Math.min(unposted(h), max - count);
      if (count === 0) {
        count = 1;
        ms = each;
        n--;
      }
      // (The epsilon: a chunk that fits exactly is not lost to rounding.)
      const fit = Math.max(0, Math.min(n, each > 0 ? Math.floor((runMs - ms) / each + 1e-9) : n));
      count += fit;
      ms += fit * each;
      if (fit < n) return { count, ms, full: true };
      if (count === max) break;
    }
    return { count, ms, full: count === max || ms >= runMs };
  }

  /** How long a run of the first waiting span's chunks alone may be: see ChunkRunnerOptions.spanRunMs. */
  private spanLimit(pace: number, waiting: readonly PlannedJob[], posted: Posted): number {
    const { spanRunMs, threads, runMs } = this.limits;
    // The threads' share of the work posted (not yet ended) and waiting.
    let waitingMs = posted.points * pace;
    for (const h of waiting) {
      waitingMs += unposted(h) * pace * h.job.points;
      if (waitingMs >= spanRunMs * threads) return spanRunMs;
    }
    return Math.max(runMs, waitingMs / threads);
  }

  /** Whether to post `run` now, given what the threads already have. */
  mayPost(run: RunPlan, posted: Posted): boolean {
    const { threads, tasksPerThread, postAheadMs } = this.limits;
    if (posted.runs >= threads * tasksPerThread) return false;
    if (posted.runs < threads) return true;
    if (run.ms === undefined) return posted.runs < 2 * threads;
    // A chunk this long goes only to a thread without a next run, so further leases go to whichever is free first; a
    // run of several (span) chunks is the one run the thread has next. With one thread there is no other to be free
    // first: the chunk waits on it as its next run, and the thread does not wait for this (main) thread to post it.
    if (run.count === 1 && run.ms >= postAheadMs && threads > 1) return false;
    if (posted.runs < 2 * threads) return true;
    return run.full && posted.points * this.msPerPoint! < threads * postAheadMs;
  }
}
