/**
 * The scheduling core: a pure state machine with no I/O. Given events (a worker connected, a result arrived, time
 * passed) it updates its state and returns the effects the adapters must carry out: persist a commit, send a
 * lease, revoke leases. Expired leases are not a special case: every `tick` reconciles the lease table with the
 * clock, like a controller's sync loop.
 *
 * A worker is a client like any other: a result is first checked against the lease it answers (validation), and
 * only then recorded (assimilation). Results are recorded per chunk by `record`; a committed chunk may be computed
 * again elsewhere to check it, and a disagreement is decided by further computations, the wrong worker quarantined.
 *
 * This file is the entry point; each concept has its module, plain functions over one {@link SchedulerState}:
 * - scheduler-state.ts: the state and its indexes; fair-share.ts: the fair-share heap and `touch`
 * - calculation-lifecycle.ts: add, progress, finish; worker-events.ts: hello, drain, disconnect, heartbeat, standing
 * - result-validation.ts → result-assimilation.ts (span-result.ts for spans) → quarantine.ts; chunk-failure.ts
 * - lease-table.ts (detach, release), lease-expiry.ts, lease-granting.ts with span-sizing.ts, straggler-backups.ts
 * - scheduler-status.ts (snapshots), scheduler-invariants.ts (violations, for tests)
 */
import { addCalculation, cancel } from './calculation-lifecycle.js';
import { failure } from './chunk-failure.js';
import { expireLeases } from './lease-expiry.js';
import { grantChecks, grantFairly } from './lease-granting.js';
import type { CalculationRecord, ChunkCommit } from './model.js';
import { result } from './result-validation.js';
import { violations } from './scheduler-invariants.js';
import { SchedulerState, type SchedulerPorts } from './scheduler-state.js';
import { snapshot } from './scheduler-status.js';
import type { Effect, FailureReport, PoolSnapshot, QuarantineRecord, ResultReport, SchedulerOptions } from './scheduler-types.js';
import { backUpStragglers } from './straggler-backups.js';
import { connectWorker, disconnectWorker, drainWorker, heartbeat, restoreQuarantined, type WorkerHello } from './worker-events.js';

export type { SchedulerPorts } from './scheduler-state.js';
export { seededRandom } from './seeded-random.js';
export type { WorkerHello } from './worker-events.js';

/**
 * The scheduler's public API. Every event costs O(log n) or less in the size of the pool and of the lease table (see
 * {@link SchedulerState} for the indexes); only status snapshots and quarantines scan.
 */
export class Scheduler {
  private readonly s: SchedulerState;

  constructor(ports: SchedulerPorts, opts: Partial<SchedulerOptions> = {}) {
    this.s = new SchedulerState(ports, opts);
  }

  // ---- calculations -------------------------------------------------------------------------------------------

  /**
   * Adds a new or restored calculation; `committed` holds the chunks already in the store (after a restart). One
   * that is already complete in the store (every chunk committed, every check settled) ends at once.
   */
  addCalculation(rec: CalculationRecord, committed: ReadonlyMap<number, ChunkCommit> = new Map(), now = 0, effects: Effect[] = []): void {
    addCalculation(this.s, rec, committed, now, effects);
  }

  /** The live record of an active calculation (a copy), or undefined if it is not active. */
  calculation(id: string): CalculationRecord | undefined {
    const c = this.s.calcs.get(id);
    return c ? { ...c.rec } : undefined;
  }

  /** The active calculations, as copies (admission caps count them). */
  activeCalculations(): CalculationRecord[] {
    return [...this.s.calcs.values()].map((c) => ({ ...c.rec }));
  }

  /** Cancels an active calculation: revokes its leases. Returns undefined when it is not active here. */
  cancel(id: string, now: number, effects: Effect[]): CalculationRecord | undefined {
    return cancel(this.s, id, now, effects);
  }

  // ---- workers ------------------------------------------------------------------------------------------------

  /**
   * A worker said hello. The same worker id and instance on another stream is the same process (a dual-stack pod
   * found under two addresses): the newest stream takes the leases and the older one only finishes what it holds.
   * The same worker id with another instance is another process: it never takes over the first one's leases; both
   * are scheduled on their own, each earning its own trust. (With authenticated identities, a certificate decides.)
   */
  connectWorker(hello: WorkerHello, now: number, effects: Effect[] = []): void {
    connectWorker(this.s, hello, now, effects);
  }

  /** Quarantines found in the store after a restart: those workers stay quarantined. */
  restoreQuarantined(records: readonly QuarantineRecord[]): void {
    restoreQuarantined(this.s, records);
  }

  /** The worker takes no new leases; the ones it holds stay valid. */
  drainWorker(connId: string): void {
    drainWorker(this.s, connId);
  }

  /** The worker's stream is gone: every lease it held goes back to the queue. */
  disconnectWorker(connId: string, effects: Effect[]): void {
    disconnectWorker(this.s, connId, effects);
  }

  /** Renews the leases a worker says it still holds (unknown ids are ignored) and counts as a sign of life. */
  heartbeat(connId: string, leaseIds: readonly string[], now: number, effects: Effect[] = []): void {
    heartbeat(this.s, connId, leaseIds, now, effects);
  }

  // ---- results ------------------------------------------------------------------------------------------------

  /**
   * A chunk result. It is recorded only if it answers a lease this coordinator granted to this worker for exactly
   * this calculation, chunk, seed and points: a live lease of this stream, or (after an expiry, a revoke or a
   * coordinator restart) a lease id whose token vouches for exactly this claim and this worker. Anything else is
   * rejected and leaves the lease table as it was, except that a live lease answered wrongly goes back to the queue.
   */
  result(connId: string, r: ResultReport, now: number, effects: Effect[]): void {
    result(this.s, connId, r, now, effects);
  }

  /** A chunk could not be computed, or was handed back. The worker is backed off; kernel errors are retried a bounded number of times. */
  failure(connId: string, f: FailureReport, now: number, effects: Effect[]): void {
    failure(this.s, connId, f, now, effects);
  }

  // ---- reconciliation -----------------------------------------------------------------------------------------

  /** Coordinator shutdown: grant nothing more; leases out stay valid and their results are still committed. */
  stopGranting(): void {
    this.s.granting = false;
  }

  /** Expires lapsed leases, grants checks and leases to free credits fairly, and backs up stragglers. */
  tick(now: number, effects: Effect[]): void {
    const s = this.s;
    s.lastNow = now;
    expireLeases(s, now, effects);
    for (const w of s.registry.backoffsEndedBy(now)) s.registry.refresh(w, now);
    if (!s.granting) return;
    grantChecks(s, now, effects);
    grantFairly(s, now, effects);
    backUpStragglers(s, now, effects);
  }

  // ---- status -------------------------------------------------------------------------------------------------

  snapshot(now: number): PoolSnapshot {
    return snapshot(this.s, now);
  }

  /** Leases a worker holds (for tests and drain). */
  leasesOf(connId: string): readonly string[] {
    return [...(this.s.registry.get(connId)?.leases ?? [])];
  }

  /**
   * The scheduler's invariants, as a list of violations (empty when they hold). Tests call it after every step:
   * every chunk of an active calculation is committed, waiting to be leased, or held by a live lease; every lease
   * belongs to a connected stream; a pending check waits for a lease or has one; the counters match the chunks.
   */
  violations(): string[] {
    return violations(this.s);
  }
}
