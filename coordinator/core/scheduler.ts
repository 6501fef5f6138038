/**
 * The scheduling core: a pure state machine with no I/O. Given events (a worker connected, a result arrived, time
 * passed) it updates its state and returns the effects the adapters must carry out: persist a commit, send a
 * lease, revoke leases. Expired leases are not a special case: every `tick` reconciles the lease table with the
 * clock, like a controller's sync loop.
 */
import { CalculationRuntime } from './calculation-runtime.js';
import { isTerminal, type CalculationRecord } from './model.js';
import type { IdSource } from './ports.js';
import {
  DEFAULT_SCHEDULER_OPTIONS,
  LEASE_RETURNED,
  type Effect,
  type FailureReport,
  type LeaseGrant,
  type PoolSnapshot,
  type ReleaseReason,
  type ResultReport,
  type RevokeReason,
  type SchedulerOptions,
  type WorkerKind,
  type WorkerSnapshot,
  type WorkerState,
} from './scheduler-types.js';

interface Lease extends LeaseGrant {
  readonly connId: string;
  readonly grantedAtMs: number;
  deadlineMs: number;
}

interface Worker {
  readonly connId: string;
  readonly workerId: string;
  readonly address: string;
  readonly kind: WorkerKind;
  readonly capacity: number;
  readonly connectedAtMs: number;
  state: WorkerState;
  readonly leases: Set<string>;
  chunksCompleted: number;
}

export class Scheduler {
  private readonly opts: SchedulerOptions;
  private readonly ids: IdSource;
  private readonly calcs = new Map<string, CalculationRuntime>();
  private readonly workers = new Map<string, Worker>();
  private readonly leases = new Map<string, Lease>();
  private granting = true;

  constructor(ids: IdSource, opts: Partial<SchedulerOptions> = {}) {
    this.ids = ids;
    this.opts = Object.freeze({ ...DEFAULT_SCHEDULER_OPTIONS, ...opts });
  }

  // ---- calculations -------------------------------------------------------------------------------------------

  /** Adds a new or restored calculation; `committed` holds the chunks already in the store (after a restart). */
  addCalculation(rec: CalculationRecord, committed: ReadonlyMap<number, number> = new Map()): void {
    if (isTerminal(rec.status) || this.calcs.has(rec.id)) return;
    this.calcs.set(rec.id, new CalculationRuntime(rec, committed));
  }

  /** The live record of an active calculation (a copy), or undefined if it is not active. */
  calculation(id: string): CalculationRecord | undefined {
    const c = this.calcs.get(id);
    return c ? { ...c.rec } : undefined;
  }

  /** Cancels an active calculation: revokes its leases. Returns undefined when it is not active here. */
  cancel(id: string, now: number, effects: Effect[]): CalculationRecord | undefined {
    const c = this.calcs.get(id);
    if (!c) return undefined;
    const done = `${c.rec.chunksDone} of ${c.rec.chunkCount} chunks`;
    this.finish(c, 'cancelled', now, effects, { code: 'CANCELLED_BY_CLIENT', message: `cancelled by a client after ${done}` });
    return { ...c.rec };
  }

  // ---- workers ------------------------------------------------------------------------------------------------

  /**
   * A worker said hello. If the same worker id is already connected on another stream (a dual-stack pod found under
   * two addresses, or a restarted pod whose old stream is not yet known dead), the newest stream takes the leases
   * and the older one only finishes what it holds, so one worker is never given its capacity twice.
   */
  connectWorker(w: { connId: string; workerId: string; address: string; kind: WorkerKind; capacity: number; draining?: boolean }, now: number): void {
    for (const other of this.workers.values()) {
      if (other.workerId === w.workerId && other.kind === w.kind && other.connId !== w.connId) other.state = 'draining';
    }
    this.workers.set(w.connId, {
      connId: w.connId,
      workerId: w.workerId,
      address: w.address,
      kind: w.kind,
      capacity: Math.max(0, Math.floor(w.capacity)),
      connectedAtMs: now,
      state: w.draining ? 'draining' : 'ready',
      leases: new Set(),
      chunksCompleted: 0,
    });
  }

  /** The worker takes no new leases; the ones it holds stay valid. */
  drainWorker(connId: string): void {
    const w = this.workers.get(connId);
    if (w) w.state = 'draining';
  }

  /** The worker's stream is gone: every lease it held goes back to the queue. */
  disconnectWorker(connId: string, effects: Effect[]): void {
    const w = this.workers.get(connId);
    if (!w) return;
    for (const leaseId of [...w.leases]) this.release(leaseId, 'worker_lost', effects);
    this.workers.delete(connId);
  }

  /** Renews the leases a worker says it still holds. Unknown ids are ignored (they were revoked or expired). */
  heartbeat(connId: string, leaseIds: readonly string[], now: number): void {
    for (const id of leaseIds) {
      const lease = this.leases.get(id);
      if (lease && lease.connId === connId) lease.deadlineMs = now + this.opts.leaseTtlMs;
    }
  }

  // ---- results ------------------------------------------------------------------------------------------------

  /**
   * Commits a chunk result idempotently. The first result of a chunk wins; a later copy must be identical, or the
   * calculation fails with RESULT_MISMATCH. Results for leases the coordinator no longer knows (after a restart or
   * an expiry) are adopted by (calculation, chunk) once their seed and points are checked.
   */
  result(connId: string, r: ResultReport, now: number, effects: Effect[]): void {
    const lease = this.leases.get(r.leaseId);
    if (lease && lease.connId === connId) this.forgetLease(lease);
    const c = this.calcs.get(r.calculationId);
    if (!c) {
      // The calculation ended (or is unknown): the adapter compares the copy with what the store committed.
      effects.push({ type: 'late', connId, report: r });
      return;
    }
    const problem = this.checkResult(c, r);
    if (problem) {
      effects.push({ type: 'ignored', connId, reason: problem });
      if (lease && lease.connId === connId) this.requeueIfUncovered(c, lease, 'invalid_result', effects);
      return;
    }
    const w = this.workers.get(connId);
    const previous = c.committed.get(r.chunkIndex);
    if (previous !== undefined) {
      if (previous === r.inside) {
        c.rec.duplicateResults += 1;
        effects.push({ type: 'duplicate', calculationId: c.rec.id, chunkIndex: r.chunkIndex });
        effects.push({ type: 'calculation', calculation: { ...c.rec } });
        return;
      }
      effects.push({ type: 'mismatch', calculationId: c.rec.id, chunkIndex: r.chunkIndex, committedInside: previous, reportedInside: r.inside });
      this.finish(c, 'failed', now, effects, {
        code: 'RESULT_MISMATCH',
        message:
          `chunk ${r.chunkIndex} was computed twice with different results: inside=${previous} was committed, ` +
          `then worker ${w?.workerId ?? connId} reported inside=${r.inside}; the kernel is not deterministic on some worker`,
      });
      return;
    }
    c.commit(r.chunkIndex, r.inside, r.elapsedMs);
    if (w) w.chunksCompleted += 1;
    effects.push({
      type: 'commit',
      commit: {
        calculationId: c.rec.id,
        chunkIndex: r.chunkIndex,
        points: r.points,
        inside: r.inside,
        workerId: w?.workerId ?? connId,
        elapsedMs: r.elapsedMs,
        committedAtMs: now,
      },
    });
    if (c.rec.chunksDone === c.rec.chunkCount) this.finish(c, 'completed', now, effects);
    else effects.push({ type: 'calculation', calculation: { ...c.rec } });
  }

  /** A chunk could not be computed. Kernel errors are retried a bounded number of times. */
  failure(connId: string, f: FailureReport, now: number, effects: Effect[]): void {
    const lease = this.leases.get(f.leaseId);
    if (!lease || lease.connId !== connId) return;
    this.forgetLease(lease);
    const c = this.calcs.get(lease.calculationId);
    if (!c) return;
    if (f.code === LEASE_RETURNED) {
      this.requeueIfUncovered(c, lease, 'returned', effects);
      return;
    }
    const attempts = (c.failures.get(lease.chunkIndex) ?? 0) + 1;
    c.failures.set(lease.chunkIndex, attempts);
    if (attempts >= this.opts.maxChunkAttempts) {
      this.finish(c, 'failed', now, effects, {
        code: 'CHUNK_FAILED',
        message: `chunk ${lease.chunkIndex} failed ${attempts} times; last error ${f.code}: ${f.message}`,
      });
      return;
    }
    this.requeueIfUncovered(c, lease, 'failed', effects);
  }

  // ---- reconciliation -----------------------------------------------------------------------------------------

  /** Coordinator shutdown: grant nothing more; leases out stay valid and their results are still committed. */
  stopGranting(): void {
    this.granting = false;
  }

  /** Expires lapsed leases, grants leases to free credits fairly, and backs up stragglers. */
  tick(now: number, effects: Effect[]): void {
    for (const lease of [...this.leases.values()]) {
      if (lease.deadlineMs <= now) {
        effects.push({ type: 'revoke', connId: lease.connId, leaseIds: [lease.leaseId], reason: 'EXPIRED' });
        this.release(lease.leaseId, 'expired', effects);
      }
    }
    if (!this.granting) return;
    this.grantFairly(now, effects);
    this.backUpStragglers(now, effects);
  }

  private grantFairly(now: number, effects: Effect[]): void {
    const ready = [...this.workers.values()].filter((w) => w.state === 'ready' && this.freeCredits(w) > 0);
    // Most free credits first, so leases spread over workers instead of filling one.
    ready.sort((a, b) => this.freeCredits(b) - this.freeCredits(a));
    let granted = true;
    while (granted) {
      granted = false;
      for (const w of ready) {
        if (this.freeCredits(w) <= 0) continue;
        const c = this.pickCalculation(w.kind);
        if (!c) continue;
        const index = c.take();
        if (index === undefined) continue;
        this.grant(w, c, index, false, now, effects);
        granted = true;
      }
    }
  }

  /**
   * Fair share: the active calculation with the fewest chunks in flight gets the next lease (oldest first on a
   * tie), so a small calculation submitted behind a huge one runs beside it instead of after it.
   */
  private pickCalculation(kind: WorkerKind): CalculationRuntime | undefined {
    let best: CalculationRuntime | undefined;
    for (const c of this.calcs.values()) {
      if ((c.rec.mode === 'single') !== (kind === 'local')) continue;
      if (c.backlog() <= 0) continue;
      if (!best || c.leased.size < best.leased.size || (c.leased.size === best.leased.size && c.rec.createdAtMs < best.rec.createdAtMs)) {
        best = c;
      }
    }
    return best;
  }

  /**
   * When nothing is left to lease but a chunk has been out far longer than the calculation's typical chunk time,
   * an idle worker gets a backup copy. The first result wins; the other must match it.
   */
  private backUpStragglers(now: number, effects: Effect[]): void {
    const idle = [...this.workers.values()].filter((w) => w.kind === 'remote' && w.state === 'ready' && w.leases.size === 0 && w.capacity > 0);
    if (idle.length === 0) return;
    for (const c of this.calcs.values()) {
      if (c.rec.mode !== 'distributed' || c.backlog() > 0) continue;
      const typical = c.typicalChunkMs();
      if (typical === undefined) continue;
      const threshold = Math.max(this.opts.stragglerMinMs, this.opts.stragglerFactor * typical);
      for (const [index, set] of c.leased) {
        if (set.size !== 1 || idle.length === 0) continue;
        const only = this.leases.get([...set][0]);
        if (!only || now - only.grantedAtMs < threshold) continue;
        const helperIndex = idle.findIndex((w) => w.connId !== only.connId);
        if (helperIndex < 0) continue;
        const [helper] = idle.splice(helperIndex, 1);
        this.grant(helper, c, index, true, now, effects);
      }
    }
  }

  private grant(w: Worker, c: CalculationRuntime, index: number, backup: boolean, now: number, effects: Effect[]): void {
    const ttlMs = this.opts.leaseTtlMs;
    const lease: Lease = {
      leaseId: this.ids.leaseId(),
      calculationId: c.rec.id,
      chunkIndex: index,
      seed: c.rec.seed,
      points: c.pointsOf(index),
      ttlMs,
      backup,
      connId: w.connId,
      grantedAtMs: now,
      // The coordinator's own pool cannot silently vanish: its leases never lapse.
      deadlineMs: w.kind === 'local' ? Number.POSITIVE_INFINITY : now + ttlMs,
    };
    this.leases.set(lease.leaseId, lease);
    w.leases.add(lease.leaseId);
    c.addLease(index, lease.leaseId);
    if (c.rec.status === 'queued') {
      c.rec.status = 'running';
      c.rec.startedAtMs = now;
      effects.push({ type: 'calculation', calculation: { ...c.rec } });
    }
    const { connId: _c, grantedAtMs: _g, deadlineMs: _d, ...grant } = lease;
    effects.push({ type: 'grant', connId: w.connId, lease: grant });
  }

  // ---- helpers ------------------------------------------------------------------------------------------------

  private freeCredits(w: Worker): number {
    return w.capacity + this.opts.prefetch - w.leases.size;
  }

  private checkResult(c: CalculationRuntime, r: ResultReport): string | undefined {
    if (!Number.isInteger(r.chunkIndex) || r.chunkIndex < 0 || r.chunkIndex >= c.rec.chunkCount) {
      return `result for chunk ${r.chunkIndex} of ${c.rec.id}, which has ${c.rec.chunkCount} chunks`;
    }
    if (r.seed !== c.rec.seed) return `result for chunk ${r.chunkIndex} of ${c.rec.id} computed with seed ${r.seed}, expected ${c.rec.seed}`;
    const points = c.pointsOf(r.chunkIndex);
    if (r.points !== points) return `result for chunk ${r.chunkIndex} of ${c.rec.id} covers ${r.points} points, expected ${points}`;
    if (!Number.isInteger(r.inside) || r.inside < 0 || r.inside > points) {
      return `result for chunk ${r.chunkIndex} of ${c.rec.id} has inside=${r.inside}, outside 0..${points}`;
    }
    return undefined;
  }

  /** Removes a lease from every table without requeueing its chunk. */
  private forgetLease(lease: Lease): void {
    this.leases.delete(lease.leaseId);
    this.workers.get(lease.connId)?.leases.delete(lease.leaseId);
  }

  private requeueIfUncovered(c: CalculationRuntime, lease: Lease, reason: ReleaseReason, effects: Effect[]): void {
    if (c.dropLease(lease.chunkIndex, lease.leaseId)) {
      c.rec.chunksReleased += 1;
      effects.push({ type: 'released', calculationId: c.rec.id, chunkIndex: lease.chunkIndex, reason });
      effects.push({ type: 'calculation', calculation: { ...c.rec } });
    }
  }

  private release(leaseId: string, reason: ReleaseReason, effects: Effect[]): void {
    const lease = this.leases.get(leaseId);
    if (!lease) return;
    this.forgetLease(lease);
    const c = this.calcs.get(lease.calculationId);
    if (c) this.requeueIfUncovered(c, lease, reason, effects);
  }

  private finish(
    c: CalculationRuntime,
    status: 'completed' | 'failed' | 'cancelled',
    now: number,
    effects: Effect[],
    error?: { code: string; message: string },
  ): void {
    c.rec.status = status;
    c.rec.finishedAtMs = now;
    c.rec.error = error?.message ?? null;
    c.rec.errorCode = error?.code ?? null;
    const reason: RevokeReason = status === 'cancelled' ? 'CANCELLED' : 'CALCULATION_ENDED';
    const byConn = new Map<string, string[]>();
    for (const lease of this.leases.values()) {
      if (lease.calculationId !== c.rec.id) continue;
      const list = byConn.get(lease.connId) ?? [];
      list.push(lease.leaseId);
      byConn.set(lease.connId, list);
    }
    for (const [connId, leaseIds] of byConn) {
      for (const id of leaseIds) this.forgetLease(this.leases.get(id)!);
      effects.push({ type: 'revoke', connId, leaseIds, reason });
    }
    this.calcs.delete(c.rec.id);
    effects.push({ type: 'calculation', calculation: { ...c.rec } });
  }

  // ---- status -------------------------------------------------------------------------------------------------

  snapshot(): PoolSnapshot {
    const workers: WorkerSnapshot[] = [...this.workers.values()].map((w) => ({
      connId: w.connId,
      workerId: w.workerId,
      address: w.address,
      kind: w.kind,
      capacity: w.capacity,
      inFlight: w.leases.size,
      state: w.state,
      chunksCompleted: w.chunksCompleted,
      connectedAtMs: w.connectedAtMs,
    }));
    let backlogChunks = 0;
    let singleBacklogChunks = 0;
    for (const c of this.calcs.values()) {
      if (c.rec.mode === 'distributed') backlogChunks += c.backlog();
      else singleBacklogChunks += c.backlog();
    }
    const remote = workers.filter((w) => w.kind === 'remote');
    return {
      workers,
      totalCapacity: remote.filter((w) => w.state === 'ready').reduce((s, w) => s + w.capacity, 0),
      leasesInFlight: remote.reduce((s, w) => s + w.inFlight, 0),
      backlogChunks,
      singleBacklogChunks,
      activeCalculations: this.calcs.size,
    };
  }

  /** Leases a worker holds (for tests and drain). */
  leasesOf(connId: string): readonly string[] {
    return [...(this.workers.get(connId)?.leases ?? [])];
  }
}
