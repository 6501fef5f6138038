/**
 * The coordinator's application service: it feeds events into the pure scheduler, persists what the scheduler
 * decided (one SQLite transaction per step), then sends leases and revocations, updates metrics and wakes watchers.
 * Persist-before-send means a crash never loses a committed chunk and never leaves a lease the store cannot explain.
 */
import { ErrorCode, PigridError } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import { validateSubmit, type SubmitLimits } from '../shared/submit-rules.js';
import { isTerminal, newCalculationRecord, type CalculationRecord } from './core/model.js';
import type { Clock, IdSource, SeedSource } from './core/ports.js';
import { Scheduler } from './core/scheduler.js';
import {
  LEASE_PURPOSES,
  type Effect,
  type FailureReport,
  type LeaseGrant,
  type LeaseTokens,
  type PoolSnapshot,
  type ResultReport,
  type RevokeReason,
  type SchedulerOptions,
} from './core/scheduler-types.js';
import type { WorkerHello } from './core/scheduler.js';
import type { CalculationStore, ListCursor } from './core/store-port.js';
import { storeStepOf } from './core/store-step.js';
import type { CoordinatorMetrics } from './metrics.js';

/** Where grants and revocations go: the Work streams, or the coordinator's own pool for single mode. */
export interface LeaseSink {
  grant(connId: string, lease: LeaseGrant): void;
  revoke(connId: string, leaseIds: readonly string[], reason: RevokeReason): void;
  /** Called after a step that carried an event of this connection was committed (e.g. to notice it is idle). */
  settled?(connId: string): void;
}

export type CalculationListener = (rec: CalculationRecord) => void;

/**
 * Worker events one group commit takes at most; the rest wait for the next one, a `setImmediate` later (after this
 * step's leases went out and the sockets were read again). With 1,000 workers answering at once, one turn of the
 * event loop read ~9,000 results and the step that took them all held every temporary it made (effects, record
 * copies, grants, queued leases: ~40 MB) until it ended, through several scavenges: all promoted and swept later by
 * full collections (coordinator-promoted bytes per chunk halved with a cap of 256, CPU per chunk −3 to −6 µs in
 * `bench/service-bench.ts 1000 all`; docs/performance.md). The commit's fixed cost is shared by 1,024 results as well
 * as by 9,000, and 2 workers' steps (≤ ~270 results) never reach the cap. A span result counts as many events as it
 * has chunks (each becomes a commit, a record copy and a row): with 1,000 simulated workers answering spans of ~9
 * chunks, a cap in results let a step carry ~10,000 chunks, and the coordinator's CPU per chunk went from 65 to 110 µs,
 * its RSS peak from 311 to 487 MB and GET p95 to 5 s (docs/performance.md, "Chunk spans (coordinator)").
 */
export const MAX_STEP_EVENTS = 1024;

export interface CoordinatorServiceDeps {
  readonly store: CalculationStore;
  readonly clock: Clock;
  readonly ids: IdSource;
  readonly seeds: SeedSource;
  readonly limits: SubmitLimits;
  readonly scheduler?: Partial<SchedulerOptions>;
  /** Signs lease ids (HMAC in production). @default in-memory tokens, which do not survive a restart */
  readonly tokens?: LeaseTokens;
  /** Uniform in [0, 1): which chunks are verified. @default a fixed-seed generator */
  readonly random?: () => number;
  readonly log: Logger;
  readonly metrics?: CoordinatorMetrics;
  /**
   * Called when a store write throws (read-only file, disk full, I/O error). The coordinator's main stops the
   * process: going on would leave state in memory that the store lacks. Tests may pass a function that records.
   */
  readonly onStoreFailure?: (err: unknown, context: { readonly op: string; readonly calculationIds: readonly string[] }) => void;
}

export class CoordinatorService {
  private readonly deps: CoordinatorServiceDeps;
  private readonly scheduler: Scheduler;
  private readonly sinks = new Map<string, LeaseSink>();
  private readonly listeners = new Map<string, Set<CalculationListener>>();
  /** Worker events waiting for the next group commit, and the connections they came from. */
  private pending: ((effects: Effect[]) => void)[] = [];
  /** The weight of each pending event towards MAX_STEP_EVENTS: 1, or a span result's chunk count. */
  private pendingWeights: number[] = [];
  /** Submitted calculations waiting for the next group commit. */
  private pendingInserts: { rec: CalculationRecord; resolve: (r: CalculationRecord) => void; reject: (err: unknown) => void }[] = [];
  private readonly pendingConns = new Set<string>();
  private flushScheduled = false;
  private accepting = true;
  /** The store write that failed: the service has stopped (the process is exiting) and changes nothing more. */
  private failed: Error | undefined;
  /** The clock at the last step's reconciliation (see {@link tick}). */
  private lastStepAtMs = Number.NEGATIVE_INFINITY;

  constructor(deps: CoordinatorServiceDeps) {
    this.deps = deps;
    this.scheduler = new Scheduler({ ids: deps.ids, tokens: deps.tokens, random: deps.random }, deps.scheduler);
  }

  /** Loads every unfinished calculation from the store; their chunks are leased again as workers connect. */
  resume(): number {
    const quarantined = this.deps.store.loadQuarantined();
    this.scheduler.restoreQuarantined(quarantined);
    const active = this.deps.store.loadActive();
    const restored: Effect[] = [];
    for (const { record, committed } of active) this.scheduler.addCalculation(record, committed, this.deps.clock.now(), restored);
    if (quarantined.length > 0)
      this.deps.log.warn(
        { count: quarantined.length, workerIds: quarantined.map((q) => q.workerId) },
        'quarantined workers stay quarantined',
      );
    if (active.length > 0) this.deps.log.info({ count: active.length }, 'resumed unfinished calculations');
    this.step((effects) => effects.push(...restored));
    return active.length;
  }

  // ---- the Calculations API -----------------------------------------------------------------------------------

  /**
   * Validates at once (a bad request throws), then stores the calculation in the next group commit together with
   * the results of the same event-loop turn; resolves once it is stored. `admit` is told the validated points before
   * anything is stored and throws to refuse (admission caps).
   */
  submit(
    input: { points?: unknown; mode?: unknown; seed?: unknown; chunkSize?: unknown },
    acceptStrings: boolean,
    admit?: (points: number) => void,
  ): Promise<CalculationRecord> {
    this.throwIfFailed();
    if (!this.accepting) throw new PigridError(ErrorCode.COORDINATOR_DRAINING, 'the coordinator is shutting down; retry shortly');
    const checked = validateSubmit(input, this.deps.limits, { acceptStrings });
    if (!checked.ok) {
      const [first, ...rest] = checked.violations;
      const message = [first, ...rest].map((v) => v.message).join('; ');
      throw new PigridError(first.code, message, first.field);
    }
    const v = checked.value;
    admit?.(v.points);
    const rec = newCalculationRecord({
      id: this.deps.ids.calculationId(),
      mode: v.mode,
      points: v.points,
      seed: v.seed ?? this.deps.seeds.seed(),
      chunkSize: v.chunkSize,
      createdAtMs: this.deps.clock.now(),
    });
    return new Promise<CalculationRecord>((resolve, reject) => {
      this.pendingInserts.push({ rec, resolve, reject });
      this.scheduleFlush();
    });
  }

  get(id: string): CalculationRecord {
    if (typeof id !== 'string' || id.length === 0) throw new PigridError(ErrorCode.INVALID_ID, 'id is required', 'id');
    // After a failed write the store is the truth: memory may hold a step that was never saved.
    const rec = (this.failed === undefined ? this.scheduler.calculation(id) : undefined) ?? this.deps.store.get(id);
    if (!rec) throw new PigridError(ErrorCode.CALCULATION_NOT_FOUND, `no calculation with id ${JSON.stringify(id)}`, 'id');
    return rec;
  }

  cancel(id: string): CalculationRecord {
    this.throwIfFailed();
    const existing = this.get(id);
    if (isTerminal(existing.status)) return existing;
    let rec: CalculationRecord | undefined;
    this.step((effects) => {
      rec = this.scheduler.cancel(id, this.deps.clock.now(), effects);
    });
    this.deps.log.info({ calculationId: id }, 'calculation cancelled');
    return rec ?? this.get(id);
  }

  list(limit: number, after?: ListCursor): CalculationRecord[] {
    return this.deps.store.list(limit, after).map((r) => (this.failed === undefined ? this.scheduler.calculation(r.id) : undefined) ?? r);
  }

  /** Calls `listener` on every change of the calculation until it ends. Returns the unsubscribe function. */
  watch(id: string, listener: CalculationListener): () => void {
    let set = this.listeners.get(id);
    if (!set) this.listeners.set(id, (set = new Set()));
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0) this.listeners.delete(id);
    };
  }

  /** The calculations still queued or running (from memory; none after a failed write). */
  active(): CalculationRecord[] {
    return this.failed === undefined ? this.scheduler.activeCalculations() : [];
  }

  /** The workers, quarantines, capacity and backlog as the scheduler sees them now (ClusterStatus, metrics). */
  clusterStatus(): PoolSnapshot {
    return this.scheduler.snapshot(this.deps.clock.now());
  }

  /** Leases a connection holds. */
  leasesOf(connId: string): readonly string[] {
    return this.scheduler.leasesOf(connId);
  }

  // ---- worker events ------------------------------------------------------------------------------------------

  workerConnected(w: WorkerHello, sink: LeaseSink): void {
    this.sinks.set(w.connId, sink);
    this.deps.log.info(
      { workerId: w.workerId, instanceId: w.instanceId, address: w.address, capacity: w.capacity, kind: w.kind },
      'worker connected',
    );
    this.step((effects) => this.scheduler.connectWorker(w, this.deps.clock.now(), effects));
  }

  workerDraining(connId: string): void {
    this.step(() => this.scheduler.drainWorker(connId));
  }

  workerDisconnected(connId: string): void {
    this.step((effects) => this.scheduler.disconnectWorker(connId, effects));
    this.sinks.delete(connId);
  }

  /** Renews leases. A full scheduling step runs only when the heartbeat changed something (a worker came back). */
  heartbeat(connId: string, leaseIds: readonly string[]): void {
    const effects: Effect[] = [];
    this.scheduler.heartbeat(connId, leaseIds, this.deps.clock.now(), effects);
    if (effects.length > 0) this.step((e) => e.push(...effects));
  }

  /** A result: queued for the group commit of this event-loop turn (a span weighs its chunks). */
  result(connId: string, r: ResultReport): void {
    const chunks = r.spanInside?.length ?? 0;
    this.enqueue(connId, (effects) => this.scheduler.result(connId, r, this.deps.clock.now(), effects), chunks > 1 ? chunks : 1);
  }

  /** A failure or a handed-back lease: queued for the group commit of this event-loop turn. */
  failure(connId: string, f: FailureReport): void {
    this.enqueue(connId, (effects) => this.scheduler.failure(connId, f, this.deps.clock.now(), effects));
  }

  /**
   * Periodic reconciliation: lease expiry, grants, straggler backups (after at most MAX_STEP_EVENTS queued events).
   * Every step reconciles (the scheduler's tick runs in each), so a tick less than `skipWithinMs` after the last step
   * has nothing to add and is skipped: while results arrive, steps run every few milliseconds and the ticker's own
   * steps (4 a second by default) were pure overhead. With the ticker passing half its period, some step still
   * reconciles at least every 1.5 periods.
   */
  tick(skipWithinMs = 0): void {
    // A clock stepped back (now before the last step) never skips: the gap would look short until it caught up.
    const sinceStepMs = this.deps.clock.now() - this.lastStepAtMs;
    if (sinceStepMs >= 0 && sinceStepMs < skipWithinMs) return;
    this.step(() => {}, MAX_STEP_EVENTS);
  }

  /** Coordinator shutdown: refuses new calculations and leases nothing more; results still commit. */
  stopAccepting(): void {
    this.accepting = false;
    this.scheduler.stopGranting();
  }

  /**
   * A copy of a chunk that arrives after its calculation ended (a straggler's original, a revoked lease that
   * finished anyway) is still compared with the committed copy: a mismatch is an alarm even when it is too late to
   * change the result.
   */
  private checkLateResult(connId: string, r: ResultReport): void {
    // A span's result is compared chunk by chunk (the scheduler checked its shape before it got here).
    const span = r.spanInside !== undefined && r.spanInside.length > 0 ? r.spanInside : undefined;
    const count = span ? span.length : 1;
    for (let i = 0; i < count; i++) {
      const chunkIndex = r.chunkIndex + i;
      const reported = span ? span[i] : r.inside;
      const committed = this.deps.store.committedInside(r.calculationId, chunkIndex);
      const fields = { connId, calculationId: r.calculationId, chunkIndex };
      if (committed === undefined) {
        this.deps.log.info(fields, 'late result for a chunk that was never committed: dropped');
      } else if (committed === reported) {
        this.deps.metrics?.duplicateResults.inc();
        this.deps.log.info(fields, 'late result matches the committed chunk');
      } else {
        this.deps.metrics?.resultMismatches.inc();
        this.deps.log.error({ ...fields, committed, reported }, 'RESULT MISMATCH: a late copy of a committed chunk disagrees');
      }
    }
  }

  // ---- effects ------------------------------------------------------------------------------------------------

  /** Runs a store write; a failure is reported to onStoreFailure (which normally ends the process), then rethrown. */
  private storeWrite(op: string, calculationIds: () => readonly string[], write: () => void): void {
    try {
      write();
    } catch (err) {
      this.failed = err instanceof Error ? err : new Error(String(err));
      this.deps.onStoreFailure?.(err, { op, calculationIds: calculationIds() });
      throw err;
    }
  }

  /** API calls after a failed write answer with that failure (STORE_UNAVAILABLE) instead of changing anything. */
  private throwIfFailed(): void {
    if (this.failed !== undefined) throw this.failed;
  }

  /**
   * Group commit: every result and failure that arrives in one turn of the event loop goes into one scheduling step
   * (one SQLite transaction); the leases it frees are sent after that commit (persist before send).
   */
  private enqueue(connId: string, event: (effects: Effect[]) => void, weight = 1): void {
    this.pending.push(event);
    this.pendingWeights.push(weight);
    this.pendingConns.add(connId);
    this.scheduleFlush();
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => this.flush());
  }

  private flush(): void {
    this.flushScheduled = false;
    try {
      if (this.pending.length > 0 || this.pendingInserts.length > 0) this.step(() => {}, MAX_STEP_EVENTS);
    } catch (err) {
      // A failed store write was reported to onStoreFailure (the process is stopping) and answered to the waiting
      // Submits; rethrown from this timer it would only reach the uncaught-error handler a second time.
      if (err !== this.failed) throw err;
    }
  }

  /**
   * One scheduling step: queued worker events (in arrival order, weighing at most `limit` together, and at least one
   * event: the rest go to the next flush), the event, reconciliation, then persist, then send. A worker event
   * (connect, disconnect, drain) takes the whole queue first, so it comes after everything that arrived before it.
   */
  private step(event: (effects: Effect[]) => void, limit = Infinity): void {
    const inserts = this.pendingInserts;
    this.pendingInserts = [];
    // Stopped by a failed write: worker events and ticks are dropped (already reported; the process is exiting).
    if (this.failed !== undefined) {
      for (const i of inserts) i.reject(this.failed);
      return;
    }
    const effects: Effect[] = [];
    const queued = this.pending;
    const cut = this.stepCut(limit);
    let conns: string[] = [];
    if (cut < queued.length) {
      this.pending = queued.slice(cut);
      this.pendingWeights = this.pendingWeights.slice(cut);
      queued.length = cut;
      // Their connections are told `settled` once the queue is drained.
      this.scheduleFlush();
    } else {
      conns = [...this.pendingConns];
      this.pending = [];
      this.pendingWeights = [];
      this.pendingConns.clear();
    }
    const now = this.deps.clock.now();
    this.lastStepAtMs = now;
    for (const i of inserts) this.scheduler.addCalculation(i.rec, new Map(), now, effects);
    for (const q of queued) q(effects);
    event(effects);
    this.scheduler.tick(now, effects);
    try {
      this.apply(
        effects,
        inserts.map((i) => i.rec),
      );
    } catch (err) {
      for (const i of inserts) i.reject(err);
      throw err;
    }
    for (const i of inserts) {
      this.deps.log.info(
        { calculationId: i.rec.id, mode: i.rec.mode, points: i.rec.points, seed: i.rec.seed, chunks: i.rec.chunkCount },
        'calculation submitted',
      );
      i.resolve(this.scheduler.calculation(i.rec.id) ?? i.rec);
    }
    for (const connId of conns) this.sinks.get(connId)?.settled?.(connId);
  }

  /** How many queued events the next step takes: as many as fit in `limit` by weight, at least one. */
  private stepCut(limit: number): number {
    const weights = this.pendingWeights;
    if (limit === Infinity) return weights.length;
    let total = 0;
    for (let i = 0; i < weights.length; i++) {
      total += weights[i];
      if (total > limit) return Math.max(1, i);
    }
    return weights.length;
  }

  private apply(effects: readonly Effect[], inserts: readonly CalculationRecord[] = []): void {
    // Persist first: if this throws (disk full, I/O error) the process must not go on with state the store lacks.
    const step = storeStepOf(effects, inserts);
    this.storeWrite(
      'apply',
      () => [...step.inserts.map((r) => r.id), ...step.calculations.map((r) => r.id)],
      () => this.deps.store.apply(step),
    );

    const m = this.deps.metrics;
    // Per-chunk counters are summed over the step and added once: a labelled inc() per chunk showed in profiles.
    const granted = { primary: 0, backup: 0, verify: 0 };
    let completed = 0;
    let samples = 0;
    for (const e of effects) {
      switch (e.type) {
        case 'grant':
          this.sinks.get(e.connId)?.grant(e.connId, e.lease);
          granted[e.lease.purpose] += 1;
          break;
        case 'revoke':
          this.sinks.get(e.connId)?.revoke(e.connId, e.leaseIds, e.reason);
          break;
        case 'commit':
          // Only a first commit counts as work done; later writes of the same chunk record checks.
          if (e.first) {
            completed += 1;
            samples += e.commit.points;
            m?.chunkDuration.observe(e.commit.elapsedMs / 1000);
          }
          break;
        case 'released':
          m?.chunksReleased.inc({ reason: e.reason });
          this.deps.log.info({ calculationId: e.calculationId, chunkIndex: e.chunkIndex, reason: e.reason }, 'chunk released');
          break;
        case 'duplicate':
          m?.duplicateResults.inc();
          break;
        case 'mismatch':
          m?.resultMismatches.inc();
          break;
        case 'rejected':
          m?.resultsRejected.inc({ reason: e.reason });
          this.deps.log.warn({ workerId: e.workerId, connId: e.connId, reason: e.reason, detail: e.detail }, 'result rejected');
          break;
        case 'verification':
          m?.verifications.inc({ outcome: e.outcome });
          if (e.outcome === 'mismatch') {
            this.deps.log.warn(
              { calculationId: e.calculationId, chunkIndex: e.chunkIndex, detail: e.detail },
              'verification mismatch: another computation decides',
            );
          } else this.deps.log.debug({ calculationId: e.calculationId, chunkIndex: e.chunkIndex, detail: e.detail }, 'chunk verified');
          break;
        case 'quarantined':
          m?.workersQuarantined.inc();
          this.deps.log.error(
            { workerId: e.record.workerId, instanceId: e.record.instanceId, reason: e.record.reason, recomputed: e.recomputed },
            'worker quarantined',
          );
          break;
        case 'worker':
          if (e.event === 'backoff') this.deps.log.warn({ workerId: e.workerId, connId: e.connId, detail: e.detail }, 'worker backed off');
          else if (e.event === 'unresponsive')
            this.deps.log.warn({ workerId: e.workerId, connId: e.connId, detail: e.detail }, 'worker unresponsive');
          else if (e.event === 'alive') this.deps.log.info({ workerId: e.workerId, connId: e.connId }, 'worker alive again');
          else
            this.deps.log.warn(
              { workerId: e.workerId, connId: e.connId, detail: e.detail },
              'worker id already connected from another process',
            );
          break;
        case 'late':
          this.checkLateResult(e.connId, e.report);
          break;
      }
    }
    if (m) {
      for (const kind of LEASE_PURPOSES) if (granted[kind] > 0) m.leasesGranted.inc({ kind }, granted[kind]);
      if (completed > 0) {
        m.chunksCompleted.inc(completed);
        m.samples.inc(samples);
      }
    }
    for (const rec of step.calculations) {
      if (isTerminal(rec.status)) {
        m?.calculationsEnded.inc({ status: rec.status });
        this.deps.log.info(
          { calculationId: rec.id, status: rec.status, inside: rec.inside, points: rec.points, error: rec.error ?? undefined },
          'calculation ended',
        );
      }
      const set = this.listeners.get(rec.id);
      if (set) for (const l of [...set]) l(rec);
    }
  }
}
