/**
 * Runs leased chunks on the kernel pool. Short chunks are posted to the pool ahead, so each thread has its next chunks
 * waiting on it and never waits for this (main) thread between chunks - on a loaded machine a woken main thread can
 * take milliseconds to be scheduled, which 1 ms chunks would pay every time. And short chunks go in runs: one pool
 * task computes consecutive chunks of about `runMs` of measured kernel time, so a 1 ms chunk does not pay a pool
 * task's round trip of its own (docs/performance.md, "Per-chunk overhead").
 *
 * How far ahead, how long a run and at what pace is the planner's policy (run-plan.ts): each thread keeps its
 * running task and the next one posted, more while the posted work is under `postAheadMs` per thread, runs are about
 * `runMs` of the kernel's fastest recent time per point. Posting is deferred to the end of the event-loop turn
 * (`setImmediate`), so the leases of one turn form one run; a lease for an idle thread is posted at once.
 *
 * Every chunk of a posted run can still be withdrawn until a thread starts it, exactly (task-control.ts), so a
 * draining worker hands back precisely the chunks it has not started; a revoked chunk is skipped, or stopped if it
 * runs, without touching the rest of its run. The chunks of a run report their outcomes together when the run ends,
 * in one turn (the worker can send those results as one batch), through one promise per run.
 *
 * A job may be a **span**: a lease of `chunkCount` consecutive chunks (docs/performance.md, "Chunk spans (worker)").
 * Its chunks are chunks like any other here: they wait in order, are cut into runs by the same pace (a run may end in
 * the middle of a span, or hold the end of one span and the start of the next), go to whichever thread is free, and
 * each is computed by the same kernel call as a lease of that one chunk. Only a run of one span's chunks alone may be
 * longer than `runMs`: up to `spanRunMs`, cut in equal runs and no more than each thread's share of the work (it
 * delays no other lease's result, and saves pool tasks, the main thread's largest cost per chunk). Only the bookkeeping is per job: the job's
 * outcome (every chunk's count, in chunk order) is reported once its last chunk is computed; a kernel failure of any
 * chunk fails the job and withdraws the rest of it; a revocation withdraws every chunk of it not started and stops
 * the running ones; a drain hands back a job whole only if none of its chunks has started, and otherwise finishes it.
 */
import { KernelErrorCode } from '../kernel-errors.js';
import { chunksOf, type ChunkJob, type JobCallbacks } from './chunk-job.js';
import type { KernelPool, KernelTask, PoolRun, RunOutcome } from './kernel-pool.js';
import { RunPlanner, unposted, type PlannedJob, type Posted } from './run-plan.js';

export { chunksOf, type ChunkJob, type JobCallbacks, type JobOutcome } from './chunk-job.js';

/** A job taken on and not yet answered. */
interface Held extends PlannedJob {
  readonly job: ChunkJob;
  readonly cb: JobCallbacks;
  readonly count: number;
  /** The first chunk (offset in the job) never posted yet. */
  next: number;
  /** Chunks withdrawn from a thread and to be posted again before `next` (a drain that found the job started). */
  again?: number[];
  /** Its chunks posted to the pool so far (those still in the runner's `posted` are live). */
  readonly posted: Entry[];
  /** Each chunk's count once computed, by offset. */
  readonly inside: number[];
  computed: number;
  elapsedMs: number;
  kernel: string;
  /** Revoked (or aborted) while held: the first of its running chunks to stop reports `aborted`. */
  reportStop: boolean;
}

/** Consecutive chunks of one job, posted to the pool in one run. */
interface Entry {
  readonly held: Held;
  /** Offset in the job of its first chunk: chunk index job.chunkIndex + offset. */
  readonly offset: number;
  readonly count: number;
  /** Position of its first chunk in the run. */
  readonly at: number;
  readonly run: PoolRun;
  /** Its chunks withdrawn by a drain that then found the job started, by position in the entry: posted again elsewhere. */
  pulled?: boolean[];
  /** Its chunks (positions in the entry) asked to stop when the job was dropped, and when. */
  stopped?: number[];
  abortedAt?: number;
}
export interface ChunkRunnerOptions {
  /** Work posted ahead to each thread, in measured kernel time. @default 25 ms */
  readonly postAheadMs?: number;
  /** Measured kernel time of the chunks one pool task computes in a row (at most the pool's `chunksPerTask`). @default 10 ms */
  readonly runMs?: number;
  /**
   * Longest run of one span's chunks alone, in measured kernel time: such a run delays no other lease's result (the
   * span's own waits for its last chunk anyway), so it may exceed `runMs` and save pool tasks (each costs the main
   * thread ~0.1-0.5 ms: docs/performance.md). A span is cut into equal such runs, each no more than an equal share per
   * thread of the work posted and waiting (so one span still keeps every thread busy); each thread still has its next
   * run posted. As long as the coordinator's span target (200 ms), so a one-thread worker runs a span as one pool task:
   * every run also costs the kernel thread a hand-off (docs/performance.md, "Small chunks: where the wall time goes").
   * Withdraw, stop and drain stay chunk by chunk whatever the run's length. @default 200 ms
   */
  readonly spanRunMs?: number;
}

/** Consecutive chunks of one job taken for a run. */
interface Piece {
  readonly held: Held;
  readonly offset: number;
  readonly count: number;
}

export class ChunkRunner {
  private readonly pool: KernelPool;
  private readonly planner: RunPlanner;
  /** Jobs held (taken on, not answered), by lease id. */
  private readonly jobs = new Map<string, Held>();
  /** Jobs with chunks not yet posted, in order: their chunks are "the waiting chunks". */
  private readonly waiting: Held[] = [];
  /** Chunks posted to the pool for jobs still held: running, or waiting on a thread. */
  private readonly posted = new Set<Entry>();
  /** Chunks of the live entries in `posted`. */
  private postedChunks = 0;
  /** Pool tasks (runs) not yet ended, and the points of their chunks. */
  private readonly postedWork = { runs: 0, points: 0 } satisfies Posted;
  private pumpScheduled = false;
  private idleWaiters: (() => void)[] = [];

  constructor(pool: KernelPool, options: ChunkRunnerOptions = {}) {
    this.pool = pool;
    const runMs = options.runMs ?? 10;
    this.planner = new RunPlanner({
      threads: pool.threads,
      tasksPerThread: pool.tasksPerThread,
      chunksPerTask: pool.chunksPerTask,
      postAheadMs: options.postAheadMs ?? 25,
      runMs,
      spanRunMs: Math.max(runMs, options.spanRunMs ?? 200),
    });
  }

  /** Chunks computing now (at most one per thread; posted chunks beyond the threads wait on them). */
  get runningCount(): number {
    return Math.min(this.postedChunks, this.pool.threads);
  }

  /** Jobs (leases) held: running, posted or waiting. */
  get heldCount(): number {
    return this.jobs.size;
  }

  /** The held job with this lease id. */
  job(leaseId: string): ChunkJob | undefined {
    return this.jobs.get(leaseId)?.job;
  }

  /**
   * Takes a job on (a lease id already held is ignored). A pool failure to post its first run to an idle thread at
   * once throws here, and the job is not held; later ones fail the job.
   */
  enqueue(job: ChunkJob, cb: JobCallbacks): void {
    if (this.jobs.has(job.leaseId)) return;
    const count = chunksOf(job);
    const h: Held = {
      job,
      cb,
      count,
      next: 0,
      posted: [],
      inside: new Array<number>(count),
      computed: 0,
      elapsedMs: 0,
      kernel: '',
      reportStop: false,
    };
    const idle = this.waiting.length === 0 && this.postedWork.runs < this.pool.threads;
    this.jobs.set(job.leaseId, h);
    this.waiting.push(h);
    if (idle) {
      try {
        this.post(this.takeRun(this.planner.plan(this.waiting, this.postedWork).count));
      } catch (err) {
        this.jobs.delete(job.leaseId);
        this.unwait(h);
        throw err;
      }
      if (this.waiting.length === 0) return;
    }
    this.schedulePump();
  }

  /**
   * Drops a job: its chunks not started are removed (waiting here or on a thread), its running ones stopped (the
   * kernel stops at its next poll). Returns whether it was held.
   */
  revoke(leaseId: string): boolean {
    const h = this.jobs.get(leaseId);
    if (!h) return false;
    h.reportStop = true;
    this.drop(h);
    return true;
  }

  /**
   * Removes and returns every job none of whose chunks has started, including those posted to a thread that has not
   * begun them. A job with a chunk started (or computed) stays, and is finished.
   */
  takeWaiting(): ChunkJob[] {
    const jobs: ChunkJob[] = [];
    for (const h of [...this.jobs.values()]) {
      if (!this.withdrawAll(h)) continue;
      this.jobs.delete(h.job.leaseId);
      this.unwait(h);
      jobs.push(h.job);
    }
    this.notifyIdle();
    if (this.waiting.length > 0) this.schedulePump();
    return jobs;
  }

  /** Aborts every job still held (their running chunks stopped, the rest withdrawn) and returns them. */
  abortRunning(): ChunkJob[] {
    const held = [...this.jobs.values()];
    for (const h of held) {
      h.reportStop = true;
      this.drop(h);
    }
    return held.map((h) => h.job);
  }

  /** Resolves once no chunk is posted or waiting. */
  whenIdle(): Promise<void> {
    if (this.idle) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private get idle(): boolean {
    return this.posted.size === 0 && this.waiting.length === 0;
  }

  private schedulePump(): void {
    if (this.pumpScheduled) return;
    this.pumpScheduled = true;
    setImmediate(() => {
      this.pumpScheduled = false;
      this.pump();
    });
  }

  /** Posts runs from the front of the waiting chunks while the threads should get more; a pool failure fails the run's jobs. */
  private pump(): void {
    while (this.waiting.length > 0) {
      const plan = this.planner.plan(this.waiting, this.postedWork);
      if (!this.planner.mayPost(plan, this.postedWork)) return;
      const run = this.takeRun(plan.count);
      try {
        this.post(run);
      } catch (err) {
        // The Error itself (with its stack) goes to the callback, for the worker to log.
        const error = Object.assign(err instanceof Error ? err : new Error(String(err)), { code: KernelErrorCode.ERROR });
        for (const h of new Set(run.map((p) => p.held))) this.fail(h, error);
      }
    }
  }

  /** Takes `count` chunks from the front of the waiting chunks, as pieces of consecutive chunks of one job. */
  private takeRun(count: number): Piece[] {
    const run: Piece[] = [];
    let taken = 0;
    while (taken < count) {
      const held = this.waiting[0];
      const n = Math.min(unposted(held), count - taken);
      let k = 0;
      // Chunks a drain withdrew and gave back go first, one by one (rare).
      for (; k < n && held.again?.length; k++) run.push({ held, offset: held.again.shift()!, count: 1 });
      if (k < n) {
        run.push({ held, offset: held.next, count: n - k });
        held.next += n - k;
      }
      taken += n;
      if (unposted(held) === 0) this.waiting.shift();
    }
    return run;
  }

  /** Posts chunks as one pool task (throws if the pool cannot take it; nothing is recorded then). */
  private post(pieces: Piece[]): void {
    const tasks: KernelTask[] = pieces.map(({ held: { job }, offset, count }) => ({
      seed: job.seed,
      chunkIndex: job.chunkIndex + offset,
      points: job.points,
      count,
    }));
    const run = this.pool.start(tasks);
    this.postedWork.runs++;
    let points = 0;
    let at = 0;
    const entries = pieces.map(({ held, offset, count }): Entry => {
      const entry: Entry = { held, offset, count, at, run };
      at += count;
      points += count * held.job.points;
      this.posted.add(entry);
      this.postedChunks += count;
      held.posted.push(entry);
      return entry;
    });
    this.postedWork.points += points;
    void run.outcome.then((outcome) => {
      this.postedWork.runs--;
      this.postedWork.points -= points;
      this.ended(entries, outcome);
      this.pump();
      this.notifyIdle();
    });
  }

  /** A run has ended: each of its entries' chunks is recorded for its job, if the job is still held. */
  private ended(entries: readonly Entry[], o: RunOutcome): void {
    // The pace: every computed chunk's time per point, then the fastest of the window.
    for (const e of entries) {
      for (let k = 0; k < e.count; k++) {
        const i = e.at + k;
        if (o.errors?.[i] === undefined && o.elapsedMs[i] > 0) this.planner.sample(o.elapsedMs[i] / e.held.job.points);
      }
    }
    this.planner.paced();
    for (const e of entries) {
      const h = e.held;
      if (!this.posted.delete(e)) {
        // Dropped: report the stop of a running chunk (once per job) if one of those asked to stop did stop.
        if (e.abortedAt !== undefined && h.reportStop && e.stopped?.some((k) => o.errors?.[e.at + k] !== undefined)) {
          h.reportStop = false;
          h.cb.aborted?.(h.job, performance.now() - e.abortedAt);
        }
        continue;
      }
      this.postedChunks -= this.liveChunks(e);
      for (let k = 0; k < e.count; k++) {
        if (e.pulled?.[k]) continue;
        const i = e.at + k;
        const error: (Error & { code?: string }) | undefined = o.errors?.[i];
        if (error !== undefined) {
          this.fail(h, { code: error.code ?? KernelErrorCode.ERROR, message: error.message });
          break;
        }
        this.computed(h, e.offset + k, o.inside[i], o.elapsedMs[i], o.kernel);
      }
    }
  }

  private liveChunks(e: Entry): number {
    let n = e.count;
    if (e.pulled) for (const p of e.pulled) if (p) n--;
    return n;
  }

  /** A chunk of a held job is computed; the job is done with its last. */
  private computed(h: Held, offset: number, inside: number, elapsedMs: number, kernel: string): void {
    h.inside[offset] = inside;
    h.elapsedMs += elapsedMs;
    h.kernel = kernel;
    if (++h.computed < h.count) return;
    this.jobs.delete(h.job.leaseId);
    let sum = 0;
    for (const n of h.inside) sum += n;
    h.cb.done(h.job, { inside: sum, elapsedMs: h.elapsedMs, kernel: h.kernel, chunkInside: h.inside });
  }

  /** A chunk of a held job failed: the rest of it is dropped and the job failed. */
  private fail(h: Held, err: { code: string; message: string }): void {
    if (this.jobs.get(h.job.leaseId) !== h) return;
    this.drop(h);
    h.cb.failed(h.job, err);
  }

  /** Forgets a held job: its waiting chunks removed, its posted ones withdrawn, or stopped if they run. */
  private drop(h: Held): void {
    this.jobs.delete(h.job.leaseId);
    this.unwait(h);
    for (const e of h.posted) {
      if (!this.posted.delete(e)) continue;
      this.postedChunks -= this.liveChunks(e);
      for (let k = 0; k < e.count; k++) {
        if (e.pulled?.[k] || e.run.withdraw(e.at + k)) continue;
        e.abortedAt ??= performance.now();
        (e.stopped ??= []).push(k);
        e.run.abort(e.at + k);
      }
    }
    this.notifyIdle();
  }

  /**
   * Withdraws every chunk of a job none of whose chunks has started: true then. Otherwise the job stays whole (chunks
   * withdrawn before a thread was found to have started another are posted again) and false.
   */
  private withdrawAll(h: Held): boolean {
    if (h.computed > 0) return false;
    const live = h.posted.filter((e) => this.posted.has(e));
    const each = (f: (e: Entry, k: number) => boolean): boolean =>
      live.every((e) => {
        for (let k = 0; k < e.count; k++) if (!e.pulled?.[k] && !f(e, k)) return false;
        return true;
      });
    if (!each((e, k) => !e.run.started(e.at + k))) return false;
    const withdrawn: [Entry, number][] = [];
    const all = each((e, k) => {
      if (!e.run.withdraw(e.at + k)) return false;
      withdrawn.push([e, k]);
      return true;
    });
    if (all) {
      for (const e of live) {
        this.posted.delete(e);
        this.postedChunks -= this.liveChunks(e);
      }
      return true;
    }
    // A thread began one in the meantime: the job runs, so the chunks just withdrawn are to be computed again.
    for (const [e, k] of withdrawn) {
      (e.pulled ??= new Array<boolean>(e.count).fill(false))[k] = true;
      this.postedChunks--;
      (h.again ??= []).push(e.offset + k);
      if (this.liveChunks(e) === 0) this.posted.delete(e);
    }
    if (withdrawn.length > 0 && !this.waiting.includes(h)) this.waiting.unshift(h);
    return false;
  }

  private unwait(h: Held): void {
    const i = this.waiting.indexOf(h);
    if (i >= 0) this.waiting.splice(i, 1);
  }

  private notifyIdle(): void {
    if (!this.idle) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }
}
