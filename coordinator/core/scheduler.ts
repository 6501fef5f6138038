/**
 * The scheduling core: a pure state machine with no I/O. Given events (a worker connected, a result arrived, time
 * passed) it updates its state and returns the effects the adapters must carry out: persist a commit, send a
 * lease, revoke leases. Expired leases are not a special case: every `tick` reconciles the lease table with the
 * clock, like a controller's sync loop.
 *
 * A worker is a client like any other: a result is first checked against the lease it answers (validation), and
 * only then recorded (assimilation). Results are recorded per chunk by `record`; a committed chunk may be computed
 * again elsewhere to check it, and a disagreement is decided by further computations, the wrong worker quarantined.
 */
import { CalculationRuntime, identityKey, type ChunkEntry } from './calculation-runtime.js';
import { DeadlineList, type DeadlineLinks } from './deadline-list.js';
import { IndexedHeap } from './indexed-heap.js';
import { MemoryLeaseTokens } from './memory-lease-tokens.js';
import { isTerminal, type CalculationRecord, type ChunkCommit } from './model.js';
import type { IdSource } from './ports.js';
import {
  DEFAULT_SCHEDULER_OPTIONS,
  LEASE_RETURNED,
  type Effect,
  type FailureReport,
  type LeaseClaim,
  type LeaseGrant,
  type LeasePurpose,
  type LeaseTokens,
  type PoolSnapshot,
  type QuarantineRecord,
  type RejectReason,
  type ReleaseReason,
  type ResultReport,
  type RevokeReason,
  type SchedulerOptions,
  type WorkerKind,
  type WorkerSnapshot,
} from './scheduler-types.js';
import { WorkerRegistry, type Connection } from './worker-registry.js';

interface Lease extends LeaseGrant, DeadlineLinks<Lease> {
  readonly connId: string;
  readonly grantedAtMs: number;
  deadlineMs: number;
}

export interface SchedulerPorts {
  readonly ids: IdSource;
  /** Mints and checks lease ids. @default in-memory tokens (they do not survive a restart) */
  readonly tokens?: LeaseTokens;
  /** Uniform in [0, 1): which chunks are verified. @default a fixed-seed generator */
  readonly random?: () => number;
}

export interface WorkerHello {
  readonly connId: string;
  readonly workerId: string;
  readonly instanceId?: string;
  readonly address: string;
  readonly kind: WorkerKind;
  readonly capacity: number;
  readonly draining?: boolean;
  /** The worker's hello set accepts_chunk_spans (remote workers only). */
  readonly acceptsSpans?: boolean;
}

/** A small deterministic generator (mulberry32), so a scheduler without a random port is reproducible. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** "chunk 7" or "chunks 7..56", for messages. */
function spanText(first: number, count: number): string {
  return count === 1 ? `chunk ${first}` : `chunks ${first}..${first + count - 1}`;
}

/** Why a hit count cannot be a chunk's (not a safe integer in 0..points), or undefined when it can. */
function wrongInside(inside: number, points: number): string | undefined {
  return Number.isSafeInteger(inside) && inside >= 0 && inside <= points ? undefined : `has inside=${inside}, outside 0..${points}`;
}

/** Why a span result cannot answer a span of `count` chunks, or undefined when it can: checked whole, before any commit. */
function wrongSpan(r: ResultReport, count: number, spanInside: readonly number[]): string | undefined {
  if (spanInside.length !== count) return `carries ${spanInside.length} span counts for ${count} chunks`;
  let sum = 0;
  for (let i = 0; i < count; i++) {
    const wrong = wrongInside(spanInside[i], r.points);
    if (wrong !== undefined) return `${wrong} at chunk ${r.chunkIndex + i}`;
    sum += spanInside[i];
  }
  return sum === r.inside ? undefined : `has inside=${r.inside}, but its span counts sum to ${sum}`;
}

/** Fair share: fewest chunks in flight first, then oldest, then by id (a total order). */
function fairer(a: CalculationRuntime, b: CalculationRuntime): boolean {
  const x = a.leased.size;
  const y = b.leased.size;
  if (x !== y) return x < y;
  if (a.rec.createdAtMs !== b.rec.createdAtMs) return a.rec.createdAtMs < b.rec.createdAtMs;
  return a.rec.id < b.rec.id;
}

/**
 * Every event costs O(log n) or less in the size of the pool and of the lease table: leases expire from a deadline list,
 * free credits and idle workers are kept in sets, calculations with a backlog in a fair-share heap, calculations
 * with waiting checks in a set. Nothing scans all workers or all leases except status snapshots (on demand) and
 * quarantines (rare).
 */
export class Scheduler {
  private readonly opts: SchedulerOptions;
  private readonly tokens: LeaseTokens;
  private readonly random: () => number;
  private readonly calcs = new Map<string, CalculationRuntime>();
  private readonly registry: WorkerRegistry;
  private readonly leases = new Map<string, Lease>();
  private readonly deadlines = new DeadlineList<Lease>();
  /** Calculations with chunks waiting to be leased, by fair share; `single` ones go to the local pool. */
  private readonly backlogged = {
    distributed: new IndexedHeap<CalculationRuntime>(fairer),
    single: new IndexedHeap<CalculationRuntime>(fairer),
  };
  /** Calculations with checks waiting for a lease. */
  private readonly checksWaiting = new Set<CalculationRuntime>();
  private lastNow = 0;
  private granting = true;
  /** While the chunks of one span result are recorded: they share one pace sample and one duration sample. */
  private spanResult = false;
  /** Rewards given while recording the current span result. */
  private spanRewards = 0;
  /**
   * A chunk of the current span result progressed its calculation: one copy of the record goes into the effects once
   * the span is recorded, instead of one per chunk (the store step keeps only a calculation's last copy anyway).
   */
  private spanProgressed = false;
  /**
   * Typical kernel time per point of the last distributed calculation that ended with a known typical chunk time:
   * the kernel speed span sizing assumes for a calculation before its own first result (see {@link spanChunks}).
   */
  private recentMsPerPoint: number | undefined;

  constructor(ports: SchedulerPorts, opts: Partial<SchedulerOptions> = {}) {
    this.opts = Object.freeze({ ...DEFAULT_SCHEDULER_OPTIONS, ...opts });
    this.tokens = ports.tokens ?? new MemoryLeaseTokens();
    this.random = ports.random ?? seededRandom(1);
    this.registry = new WorkerRegistry(this.opts);
  }

  // ---- calculations -------------------------------------------------------------------------------------------

  /**
   * Adds a new or restored calculation; `committed` holds the chunks already in the store (after a restart). One
   * that is already complete in the store (every chunk committed, every check settled) ends at once.
   */
  addCalculation(rec: CalculationRecord, committed: ReadonlyMap<number, ChunkCommit> = new Map(), now = 0, effects: Effect[] = []): void {
    if (isTerminal(rec.status) || this.calcs.has(rec.id)) return;
    const c = new CalculationRuntime(rec, committed, now);
    this.calcs.set(rec.id, c);
    if (c.isDone()) this.finish(c, 'completed', now, effects);
    else this.touch(c);
  }

  /** The live record of an active calculation (a copy), or undefined if it is not active. */
  calculation(id: string): CalculationRecord | undefined {
    const c = this.calcs.get(id);
    return c ? { ...c.rec } : undefined;
  }

  /** The active calculations, as copies (admission caps count them). */
  activeCalculations(): CalculationRecord[] {
    return [...this.calcs.values()].map((c) => ({ ...c.rec }));
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
   * A worker said hello. The same worker id and instance on another stream is the same process (a dual-stack pod
   * found under two addresses): the newest stream takes the leases and the older one only finishes what it holds.
   * The same worker id with another instance is another process: it never takes over the first one's leases; both
   * are scheduled on their own, each earning its own trust. (With authenticated identities, a certificate decides.)
   */
  connectWorker(hello: WorkerHello, now: number, effects: Effect[] = []): void {
    const instanceId = hello.instanceId ?? '';
    this.lastNow = now;
    for (const other of this.registry.withWorkerId(hello.workerId)) {
      if (other.kind !== hello.kind || other.connId === hello.connId) continue;
      if (other.instanceId === instanceId) {
        other.draining = true;
        this.registry.refresh(other, now);
      } else {
        effects.push({
          type: 'worker',
          connId: hello.connId,
          workerId: hello.workerId,
          event: 'identity_conflict',
          detail: `worker id already connected from another process (${other.address}); neither takes the other's leases`,
        });
      }
    }
    this.registry.add({ ...hello, instanceId, draining: hello.draining ?? false }, now);
  }

  /** Quarantines found in the store after a restart: those workers stay quarantined. */
  restoreQuarantined(records: readonly QuarantineRecord[]): void {
    for (const r of records) this.registry.quarantine(r);
  }

  /** The worker takes no new leases; the ones it holds stay valid. */
  drainWorker(connId: string): void {
    const w = this.registry.get(connId);
    if (!w) return;
    w.draining = true;
    this.registry.refresh(w, this.lastNow);
  }

  /** The worker's stream is gone: every lease it held goes back to the queue. */
  disconnectWorker(connId: string, effects: Effect[]): void {
    const w = this.registry.get(connId);
    if (!w) return;
    for (const leaseId of [...w.leases]) this.release(this.leases.get(leaseId)!, 'worker_lost', effects);
    this.registry.remove(connId);
  }

  /** Renews the leases a worker says it still holds (unknown ids are ignored) and counts as a sign of life. */
  heartbeat(connId: string, leaseIds: readonly string[], now: number, effects: Effect[] = []): void {
    const w = this.registry.get(connId);
    if (!w) return;
    this.lastNow = now;
    this.alive(w, effects);
    for (const id of leaseIds) {
      const lease = this.leases.get(id);
      if (lease && lease.connId === connId && lease.deadlineMs !== Number.POSITIVE_INFINITY) {
        lease.deadlineMs = now + this.opts.leaseTtlMs;
        this.deadlines.upsert(lease);
      }
    }
  }

  // ---- results: validation ------------------------------------------------------------------------------------

  /**
   * A chunk result. It is recorded only if it answers a lease this coordinator granted to this worker for exactly
   * this calculation, chunk, seed and points: a live lease of this stream, or (after an expiry, a revoke or a
   * coordinator restart) a lease id whose token vouches for exactly this claim and this worker. Anything else is
   * rejected and leaves the lease table as it was, except that a live lease answered wrongly goes back to the queue.
   */
  result(connId: string, r: ResultReport, now: number, effects: Effect[]): void {
    const w = this.registry.get(connId);
    if (!w) return;
    this.lastNow = now;
    const lease = this.leases.get(r.leaseId);
    const live = lease !== undefined && lease.connId === connId;
    if (w.trust.quarantine !== undefined) {
      if (live) this.release(lease, 'quarantined', effects);
      this.reject(w, 'quarantined', `result for chunk ${r.chunkIndex} of ${r.calculationId} from a quarantined worker`, effects);
      return;
    }
    this.alive(w, effects);
    // The count the result claims (0 or absent: one chunk). A span is checked whole before anything is recorded.
    const count = r.chunkCount === undefined || r.chunkCount === 0 ? 1 : r.chunkCount;
    const spanInside = r.spanInside ?? [];
    if (live) {
      if (
        lease.calculationId !== r.calculationId ||
        lease.chunkIndex !== r.chunkIndex ||
        lease.seed !== r.seed ||
        lease.points !== r.points ||
        lease.chunkCount !== count ||
        (count === 1 && spanInside.length > 0)
      ) {
        const said = `${spanText(r.chunkIndex, count)} of ${r.calculationId} (seed ${r.seed}, ${r.points} points${spanInside.length > 0 ? `, ${spanInside.length} span counts` : ''})`;
        const granted = `${spanText(lease.chunkIndex, lease.chunkCount)} of ${lease.calculationId} (seed ${lease.seed}, ${lease.points} points)`;
        this.release(lease, 'invalid_result', effects);
        this.reject(w, 'lease_mismatch', `lease ${r.leaseId} was granted for ${granted}; the result names ${said}`, effects);
        this.penalise(w, now, effects);
        return;
      }
    } else {
      const claim: LeaseClaim = {
        calculationId: r.calculationId,
        chunkIndex: r.chunkIndex,
        seed: r.seed,
        points: r.points,
        workerId: w.workerId,
        instanceId: w.instanceId,
        chunkCount: count,
      };
      if (typeof r.leaseId !== 'string' || r.leaseId === '' || !this.tokens.verify(r.leaseId, claim)) {
        this.reject(
          w,
          'unknown_lease',
          `lease ${JSON.stringify(String(r.leaseId).slice(0, 80))} was not granted to this worker for ${spanText(r.chunkIndex, count)} of ${r.calculationId}`,
          effects,
        );
        return;
      }
      if (count === 1 && spanInside.length > 0) {
        this.reject(
          w,
          'lease_mismatch',
          `lease ${r.leaseId} covers one chunk; the result carries ${spanInside.length} span counts`,
          effects,
        );
        this.penalise(w, now, effects);
        return;
      }
    }
    const wrong = count === 1 ? wrongInside(r.inside, r.points) : wrongSpan(r, count, spanInside);
    if (wrong !== undefined) {
      if (lease) this.release(lease, 'invalid_result', effects);
      this.reject(w, 'invalid_result', `result for ${spanText(r.chunkIndex, count)} of ${r.calculationId} ${wrong}`, effects);
      this.penalise(w, now, effects);
      return;
    }
    // Genuine: the lease is answered, whichever stream of this worker held it.
    if (lease) this.detach(lease);
    const c = this.calcs.get(r.calculationId);
    if (!c) {
      // The calculation ended: the adapter compares the copy with what the store committed.
      effects.push({ type: 'late', connId, report: r });
      return;
    }
    if (count === 1) this.record(c, r.chunkIndex, r.inside, r.elapsedMs, w, now, effects);
    else this.recordSpan(c, r, spanInside, w, now, effects);
  }

  /**
   * A genuine span result: each chunk is recorded as its own result (commit, duplicate compare, check selection,
   * votes), the span is one sample of the typical chunk time and one result in the worker's pace. Stops when the
   * worker is quarantined by one of its own chunks (the rest is not trusted: back to the queue), and hands what is
   * left to the `late` path when the calculation completed on the way (the remaining chunks are then committed copies
   * to compare).
   */
  private recordSpan(
    c: CalculationRuntime,
    r: ResultReport,
    spanInside: readonly number[],
    w: Connection,
    now: number,
    effects: Effect[],
  ): void {
    const count = spanInside.length;
    const perChunkMs = r.elapsedMs / count;
    c.noteChunkMs(perChunkMs);
    this.spanResult = true;
    this.spanRewards = 0;
    this.spanProgressed = false;
    try {
      for (let i = 0; i < count; i++) {
        if (w.trust.quarantine !== undefined) {
          // Quarantined by one of its own chunks: the rest is not trusted. The span's lease ended with this result,
          // so a chunk of the rest that nobody committed, holds or queued goes back to the queue (else it would be
          // orphaned and the calculation would never complete).
          if (this.calcs.has(c.rec.id)) {
            this.releaseChunks(c, r.chunkIndex + i, r.chunkIndex + count, (index) => c.requeueIfIdle(index), 'quarantined', effects);
          }
          return;
        }
        if (!this.calcs.has(c.rec.id)) {
          const rest = spanInside.slice(i);
          const report: ResultReport = {
            ...r,
            chunkIndex: r.chunkIndex + i,
            chunkCount: rest.length,
            spanInside: rest,
            inside: rest.reduce((a, b) => a + b, 0),
          };
          effects.push({ type: 'late', connId: w.connId, report });
          return;
        }
        // Stored per chunk as whole milliseconds: the chunks table's elapsed_ms is an INTEGER column (a fractional
        // value stopped the coordinator with SQLITE_CONSTRAINT_DATATYPE); the typical time above keeps the fraction.
        this.record(c, r.chunkIndex + i, spanInside[i], Math.round(perChunkMs), w, now, effects);
      }
    } finally {
      this.spanResult = false;
      if (this.spanProgressed && this.calcs.has(c.rec.id)) effects.push({ type: 'calculation', calculation: { ...c.rec } });
      if (this.spanRewards > 0) {
        this.registry.paced(w, now);
        this.registry.refresh(w, now);
      }
    }
  }

  /** A chunk could not be computed, or was handed back. The worker is backed off; kernel errors are retried a bounded number of times. */
  failure(connId: string, f: FailureReport, now: number, effects: Effect[]): void {
    const w = this.registry.get(connId);
    const lease = this.leases.get(f.leaseId);
    if (!w || !lease || lease.connId !== connId) return;
    this.lastNow = now;
    this.alive(w, effects);
    const returned = f.code === LEASE_RETURNED;
    this.release(lease, returned ? 'returned' : 'failed', effects);
    if (!w.draining) this.penalise(w, now, effects);
    const c = this.calcs.get(lease.calculationId);
    if (!c || returned || lease.purpose === 'verify') return;
    // A span's failure is a failure of each of its chunks not committed since.
    for (let index = lease.chunkIndex; index < lease.chunkIndex + lease.chunkCount; index++) {
      if (c.committed.has(index)) continue;
      const attempts = (c.failures.get(index) ?? 0) + 1;
      c.failures.set(index, attempts);
      if (attempts >= this.opts.maxChunkAttempts) {
        this.finish(c, 'failed', now, effects, {
          code: 'CHUNK_FAILED',
          message: `chunk ${index} failed ${attempts} times; last error ${f.code}: ${f.message}`,
        });
        return;
      }
    }
  }

  // ---- results: assimilation ----------------------------------------------------------------------------------

  /** Records a genuine hit count for a chunk: a first commit, a check of a committed one, or a vote in a dispute. */
  private record(
    c: CalculationRuntime,
    index: number,
    inside: number,
    elapsedMs: number,
    w: Connection,
    now: number,
    effects: Effect[],
  ): void {
    const e = c.committed.get(index);
    if (!e) {
      this.firstCommit(c, index, inside, elapsedMs, w, now, effects);
      return;
    }
    if (e.check === 'disputed') {
      this.vote(c, index, e, inside, w, now, effects);
      return;
    }
    if (e.by === w.key) {
      if (inside === e.inside) this.duplicate(c, index, effects);
      else
        this.quarantine(
          w.workerId,
          w.instanceId,
          `chunk ${index} of ${c.rec.id}: reported inside=${inside} after reporting inside=${e.inside}`,
          now,
          effects,
        );
      return;
    }
    if (inside === e.inside) {
      c.confirm(index, w.workerId);
      this.registry.trustOf(e.by).verified += 1;
      w.trust.verified += 1;
      this.reward(w);
      c.rec.duplicateResults += 1;
      effects.push({
        type: 'verification',
        outcome: 'match',
        calculationId: c.rec.id,
        chunkIndex: index,
        detail: `${e.workerId} and ${w.workerId} agree on inside=${inside}`,
      });
      effects.push({ type: 'duplicate', calculationId: c.rec.id, chunkIndex: index });
      effects.push({ type: 'commit', commit: this.commitOf(c, index, e) });
      this.progressed(c, now, effects);
      return;
    }
    const detail = `chunk ${index} of ${c.rec.id}: ${e.workerId} committed inside=${e.inside}, ${w.workerId} computed inside=${inside}`;
    effects.push({ type: 'verification', outcome: 'mismatch', calculationId: c.rec.id, chunkIndex: index, detail });
    effects.push({ type: 'mismatch', calculationId: c.rec.id, chunkIndex: index, committedInside: e.inside, reportedInside: inside });
    if (e.verifiedBy !== null) {
      // Two independent workers already agreed on the committed value.
      this.quarantine(w.workerId, w.instanceId, `${detail}, confirmed by ${e.verifiedBy}`, now, effects);
      return;
    }
    c.wantCheck(index, now);
    e.check = 'disputed';
    e.votes = new Map([
      [e.by, e.inside],
      [w.key, inside],
    ]);
    effects.push({ type: 'commit', commit: this.commitOf(c, index, e) });
    this.touch(c);
    effects.push({ type: 'calculation', calculation: { ...c.rec } });
  }

  private firstCommit(
    c: CalculationRuntime,
    index: number,
    inside: number,
    elapsedMs: number,
    w: Connection,
    now: number,
    effects: Effect[],
  ): void {
    const entry: ChunkEntry = {
      inside,
      by: w.key,
      workerId: w.workerId,
      instanceId: w.instanceId,
      elapsedMs,
      committedAtMs: now,
      verifiedBy: null,
      check: 'none',
    };
    c.commit(index, entry, !this.spanResult);
    w.chunksCompleted += 1;
    this.reward(w);
    // The coordinator's own pool is trusted; a remote worker's result is checked: always while it is new, then a
    // random share of the time.
    if (w.kind === 'remote') {
      const trust = w.trust;
      // No draw at rate 0: none could select the chunk (a draw is ~1-2 µs of crypto per chunk in production).
      if (trust.checked < this.opts.verifyFirst || (this.opts.verifyRate > 0 && this.random() < this.opts.verifyRate)) {
        trust.checked += 1;
        c.wantCheck(index, now);
      }
    }
    effects.push({ type: 'commit', commit: this.commitOf(c, index, entry), first: true });
    this.progressed(c, now, effects);
  }

  private duplicate(c: CalculationRuntime, index: number, effects: Effect[]): void {
    c.rec.duplicateResults += 1;
    effects.push({ type: 'duplicate', calculationId: c.rec.id, chunkIndex: index });
    effects.push({ type: 'calculation', calculation: { ...c.rec } });
  }

  /**
   * One more computation of a disputed chunk. The first value two different workers agree on wins; every worker
   * that reported another value is quarantined (after the chunk is settled, so the winner's value stays).
   */
  private vote(c: CalculationRuntime, index: number, e: ChunkEntry, inside: number, w: Connection, now: number, effects: Effect[]): void {
    const votes = e.votes!;
    const previous = votes.get(w.key);
    if (previous !== undefined) {
      if (previous !== inside)
        this.quarantine(
          w.workerId,
          w.instanceId,
          `chunk ${index} of ${c.rec.id}: reported inside=${inside} after reporting inside=${previous}`,
          now,
          effects,
        );
      return;
    }
    votes.set(w.key, inside);
    const winners = [...votes].filter(([, v]) => v === inside);
    if (winners.length < 2) {
      c.wantCheck(index, now);
      this.touch(c);
      effects.push({ type: 'calculation', calculation: { ...c.rec } });
      return;
    }
    const losers = [...votes].filter(([, v]) => v !== inside).map(([key]) => key);
    if (e.inside !== inside) {
      const [firstKey] = winners[0];
      c.replace(index, inside, { key: firstKey, ...this.identityOf(firstKey, c, index) });
    }
    const verifierKey = winners.map(([key]) => key).find((key) => key !== e.by)!;
    c.confirm(index, this.identityOf(verifierKey, c, index).workerId);
    for (const [key] of winners) this.registry.trustOf(key).verified += 1;
    this.reward(w);
    effects.push({
      type: 'verification',
      outcome: 'match',
      calculationId: c.rec.id,
      chunkIndex: index,
      detail: `dispute decided: ${winners.length} workers agree on inside=${inside}`,
    });
    effects.push({ type: 'commit', commit: this.commitOf(c, index, e) });
    for (const key of losers) {
      const who = this.identityOf(key, c, index);
      this.quarantine(
        who.workerId,
        who.instanceId,
        `chunk ${index} of ${c.rec.id}: reported inside=${votes.get(key)}, ${winners.length} other workers computed inside=${inside}`,
        now,
        effects,
      );
    }
    this.progressed(c, now, effects);
  }

  /**
   * A worker computed a wrong result: it is leased nothing more, its leases go back to the queue, and every chunk
   * it committed in an active calculation that no one else confirmed is computed again elsewhere.
   */
  private quarantine(workerId: string, instanceId: string, reason: string, now: number, effects: Effect[]): void {
    const key = identityKey(workerId, instanceId);
    if (this.registry.isQuarantined(key)) return;
    const record = { workerId, instanceId, reason, atMs: now };
    this.registry.quarantine(record);
    for (const conn of this.registry.withWorkerId(workerId)) {
      if (conn.key !== key) continue;
      const ids = [...conn.leases];
      if (ids.length > 0) effects.push({ type: 'revoke', connId: conn.connId, leaseIds: ids, reason: 'CALCULATION_ENDED' });
      for (const id of ids) this.release(this.leases.get(id)!, 'quarantined', effects);
      this.registry.refresh(conn, now);
    }
    let recomputed = 0;
    for (const c of this.calcs.values()) {
      let changed = false;
      for (const [index, e] of [...c.committed]) {
        if (e.check === 'disputed' && e.votes?.has(key)) {
          this.dropVote(c, index, e, key, now, effects);
          changed = true;
        } else if (e.by === key && e.verifiedBy === null) {
          c.uncommit(index);
          effects.push({ type: 'uncommit', calculationId: c.rec.id, chunkIndex: index });
          recomputed += 1;
          changed = true;
        }
      }
      if (changed) {
        this.touch(c);
        effects.push({ type: 'calculation', calculation: { ...c.rec } });
      }
    }
    effects.push({ type: 'quarantined', record, recomputed });
  }

  /** A quarantined worker's vote in an open dispute no longer counts; the remaining value needs confirming. */
  private dropVote(c: CalculationRuntime, index: number, e: ChunkEntry, key: string, now: number, effects: Effect[]): void {
    const votes = e.votes!;
    votes.delete(key);
    if (e.by === key) {
      const [otherKey, value] = [...votes][0];
      c.replace(index, value, { key: otherKey, ...this.identityOf(otherKey, c, index) });
    }
    if (votes.size <= 1) {
      e.check = 'wanted';
      e.votes = undefined;
    }
    c.wantCheck(index, now);
    effects.push({ type: 'commit', commit: this.commitOf(c, index, e) });
  }

  // ---- reconciliation -----------------------------------------------------------------------------------------

  /** Coordinator shutdown: grant nothing more; leases out stay valid and their results are still committed. */
  stopGranting(): void {
    this.granting = false;
  }

  /** Expires lapsed leases, grants checks and leases to free credits fairly, and backs up stragglers. */
  tick(now: number, effects: Effect[]): void {
    this.lastNow = now;
    for (let lease = this.deadlines.peek(); lease && lease.deadlineMs <= now; lease = this.deadlines.peek()) {
      effects.push({ type: 'revoke', connId: lease.connId, leaseIds: [lease.leaseId], reason: 'EXPIRED' });
      const w = this.registry.get(lease.connId);
      this.release(lease, 'expired', effects);
      if (w && !w.unresponsive) {
        w.unresponsive = true;
        this.registry.refresh(w, now);
        effects.push({
          type: 'worker',
          connId: w.connId,
          workerId: w.workerId,
          event: 'unresponsive',
          detail: `lease ${lease.leaseId} expired; no new lease until it shows life`,
        });
      }
    }
    for (const w of this.registry.backoffsEndedBy(now)) this.registry.refresh(w, now);
    if (!this.granting) return;
    this.grantChecks(now, effects);
    this.grantFairly(now, effects);
    this.backUpStragglers(now, effects);
  }

  /**
   * Checks go first (they hold a calculation's completion). A check goes to a remote worker that has not computed
   * that chunk yet; the coordinator's own pool takes it when no such worker exists or none took it for
   * stragglerMinMs.
   */
  private grantChecks(now: number, effects: Effect[]): void {
    for (const c of [...this.checksWaiting]) {
      for (const index of [...c.checksWaiting()]) {
        const e = c.committed.get(index)!;
        const voted = (w: Connection) => (e.votes ? e.votes.has(w.key) : e.by === w.key);
        let helper: Connection | undefined;
        for (const w of this.registry.freeOf('remote')) {
          if (!voted(w)) {
            helper = w;
            break;
          }
        }
        if (!helper) {
          let remoteExists = false;
          for (const w of this.registry.usableRemote) {
            if (!voted(w)) {
              remoteExists = true;
              break;
            }
          }
          const waited = now - c.checkSince(index) >= this.opts.stragglerMinMs;
          if (!remoteExists || waited) {
            for (const w of this.registry.freeOf('local')) {
              if (!voted(w)) {
                helper = w;
                break;
              }
            }
          }
        }
        if (helper) this.grant(helper, c, index, 'verify', now, effects);
      }
    }
  }

  /** Each free credit, in round-robin order over the workers, takes a chunk of the fairest calculation. */
  private grantFairly(now: number, effects: Effect[]): void {
    for (const [kind, mode] of [
      ['remote', 'distributed'],
      ['local', 'single'],
    ] as const) {
      const free = this.registry.freeOf(kind);
      const heap = this.backlogged[mode];
      while (free.size > 0 && heap.size > 0) {
        const w = free.first()!;
        const c = heap.peek()!;
        const index = c.take();
        if (index === undefined) {
          heap.remove(c); // cannot happen while the invariant holds: backlog > 0 means a chunk waits
          continue;
        }
        const count = w.acceptsSpans ? c.takeFollowing(index, this.spanChunks(c)) : 1;
        this.grant(w, c, index, 'primary', now, effects, count);
      }
    }
  }

  /**
   * How many chunks a span granted now may cover (before the contiguity and same-points rule of takeFollowing): about
   * spanTargetMs of kernel time at the typical chunk time (before the calculation's first result, at the kernel speed
   * of the last calculation that ended; 1 while both are unknown), at most maxSpanChunks, and at most
   * the backlog over twice the capacity of the ready remote workers - guided self-scheduling: spans shrink as the
   * calculation nears its end, so the last chunks are spread over every thread instead of one long span. O(1).
   */
  private spanChunks(c: CalculationRuntime): number {
    const max = this.opts.maxSpanChunks;
    if (max <= 1) return 1;
    const typical = c.typicalChunkMs() ?? this.assumedChunkMs(c);
    if (typical === undefined) return 1;
    const byTime = typical > 0 ? Math.floor(this.opts.spanTargetMs / typical) : max;
    const byBacklog = Math.ceil(c.backlog() / (2 * Math.max(1, this.registry.readyRemoteCapacity)));
    return Math.max(1, Math.min(max, byTime, byBacklog));
  }

  /**
   * A calculation's chunk time before its first result: its chunk's points at the typical time per point of the last
   * distributed calculation that ended (the kernel's time is linear in the points). Without it, the whole first
   * wave of a calculation - a lease per credit of the pool, ~9,000 at 1,000 workers of 8 threads - went out one chunk
   * a lease. Only span sizing uses it: straggler backups wait for the calculation's own chunk times.
   */
  private assumedChunkMs(c: CalculationRuntime): number | undefined {
    return this.recentMsPerPoint === undefined ? undefined : this.recentMsPerPoint * c.pointsOf(0);
  }

  /**
   * When nothing is left to lease but a chunk has been out far longer than the calculation's typical chunk time,
   * an idle worker of another identity gets a backup copy. The first result wins; the other must match it.
   */
  private backUpStragglers(now: number, effects: Effect[]): void {
    if (this.registry.idle.size === 0) return;
    for (const c of this.calcs.values()) {
      if (c.rec.mode !== 'distributed' || c.backlog() > 0 || this.registry.idle.size === 0) continue;
      const typical = c.typicalChunkMs();
      if (typical === undefined) continue;
      const threshold = Math.max(this.opts.stragglerMinMs, this.opts.stragglerFactor * typical);
      // c.leased is in lease order (a chunk leased again moves to the end): stop at the first young one.
      for (const [, held] of c.leased) {
        if (typeof held !== 'string') continue;
        const only = this.leases.get(held)!;
        if (now - only.grantedAtMs < threshold) break;
        const holder = this.registry.get(only.connId)!;
        // A backup of a span covers the same span: only a worker that accepts spans can take it.
        const span = only.chunkCount > 1;
        let helper: Connection | undefined;
        for (const w of this.registry.idle) {
          if (w.key !== holder.key && (!span || w.acceptsSpans)) {
            helper = w;
            break;
          }
        }
        if (!helper) {
          if (span) continue;
          break;
        }
        this.grant(helper, c, only.chunkIndex, 'backup', now, effects, only.chunkCount);
        if (this.registry.idle.size === 0) return;
      }
    }
  }

  /** Grants `chunkCount` chunks from `index` (taken from the queue, or a copy of what a lease holds) as one lease. */
  private grant(
    w: Connection,
    c: CalculationRuntime,
    index: number,
    purpose: LeasePurpose,
    now: number,
    effects: Effect[],
    chunkCount = 1,
  ): void {
    const ttlMs = this.opts.leaseTtlMs;
    const points = c.pointsOf(index);
    const leaseId = this.tokens.mint({
      calculationId: c.rec.id,
      chunkIndex: index,
      seed: c.rec.seed,
      points,
      workerId: w.workerId,
      instanceId: w.instanceId,
      chunkCount,
    });
    const lease: Lease = {
      leaseId,
      calculationId: c.rec.id,
      chunkIndex: index,
      seed: c.rec.seed,
      points,
      ttlMs,
      purpose,
      chunkCount,
      connId: w.connId,
      grantedAtMs: now,
      // The coordinator's own pool cannot silently vanish: its leases never lapse.
      deadlineMs: w.kind === 'local' ? Number.POSITIVE_INFINITY : now + ttlMs,
      earlier: undefined,
      later: undefined,
      listed: false,
    };
    this.leases.set(leaseId, lease);
    if (lease.deadlineMs !== Number.POSITIVE_INFINITY) this.deadlines.upsert(lease);
    w.leases.add(leaseId);
    c.leaseIds.add(leaseId);
    if (purpose === 'verify') c.addCheckLease(index, leaseId);
    else if (chunkCount === 1) c.addLease(index, leaseId);
    else {
      // Every chunk of the span maps to the lease (a backup copy's chunks committed since are not leased any more).
      for (let i = index; i < index + chunkCount; i++) if (!c.committed.has(i)) c.addLease(i, leaseId);
    }
    this.registry.granted(w, now);
    this.touch(c);
    if (c.rec.status === 'queued') {
      c.rec.status = 'running';
      c.rec.startedAtMs = now;
      effects.push({ type: 'calculation', calculation: { ...c.rec } });
    }
    // Built field by field: an object rest (`{ connId, ...grant } = lease`) copied through a slow generic path.
    const grant: LeaseGrant = { leaseId, calculationId: c.rec.id, chunkIndex: index, seed: c.rec.seed, points, ttlMs, purpose, chunkCount };
    effects.push({ type: 'grant', connId: w.connId, lease: grant });
  }

  // ---- helpers ------------------------------------------------------------------------------------------------

  private reject(w: Connection, reason: RejectReason, detail: string, effects: Effect[]): void {
    effects.push({ type: 'rejected', connId: w.connId, workerId: w.workerId, reason, detail });
  }

  private penalise(w: Connection, now: number, effects: Effect[]): void {
    const ms = this.registry.penalise(w, now);
    this.registry.refresh(w, now);
    effects.push({ type: 'worker', connId: w.connId, workerId: w.workerId, event: 'backoff', detail: `no new lease for ${ms} ms` });
  }

  private alive(w: Connection, effects: Effect[]): void {
    if (!w.unresponsive) return;
    w.unresponsive = false;
    this.registry.refresh(w, this.lastNow);
    effects.push({
      type: 'worker',
      connId: w.connId,
      workerId: w.workerId,
      event: 'alive',
      detail: 'heard from again after a lease expired',
    });
  }

  /** The identity behind a key: a connected worker's, or the committed chunk's. */
  private identityOf(key: string, c: CalculationRuntime, index: number): { workerId: string; instanceId: string } {
    for (const w of this.registry.connections.values()) if (w.key === key) return { workerId: w.workerId, instanceId: w.instanceId };
    const e = c.committed.get(index);
    if (e && e.by === key) return { workerId: e.workerId, instanceId: e.instanceId };
    const [workerId, instanceId = ''] = key.split('\u0000');
    return { workerId, instanceId };
  }

  private commitOf(c: CalculationRuntime, index: number, e: ChunkEntry): ChunkCommit {
    return {
      calculationId: c.rec.id,
      chunkIndex: index,
      points: c.pointsOf(index),
      inside: e.inside,
      workerId: e.workerId,
      instanceId: e.instanceId,
      elapsedMs: e.elapsedMs,
      committedAtMs: e.committedAtMs,
      verifiedBy: e.verifiedBy,
      check: e.check,
    };
  }

  /** Removes a lease from every table without requeueing its chunk (it was answered). */
  private detach(lease: Lease): void {
    this.forget(lease);
    const c = this.calcs.get(lease.calculationId);
    if (!c) return;
    c.leaseIds.delete(lease.leaseId);
    if (lease.purpose === 'verify') {
      // A check still pending after this answer (a dispute, or an answer that did not settle it) waits again.
      c.dropCheckLease(lease.chunkIndex, lease.leaseId);
    } else {
      for (let i = lease.chunkIndex; i < lease.chunkIndex + lease.chunkCount; i++) c.forgetLease(i, lease.leaseId);
    }
    this.touch(c);
  }

  /** Takes a lease out of the lease table, the deadline list and its connection. */
  private forget(lease: Lease): void {
    this.leases.delete(lease.leaseId);
    this.deadlines.remove(lease);
    const w = this.registry.get(lease.connId);
    if (w) {
      w.leases.delete(lease.leaseId);
      this.registry.refresh(w, this.lastNow);
    }
  }

  /** A lease ends unanswered: its chunk (or its check) waits to be leased again unless another lease covers it. */
  private release(lease: Lease, reason: ReleaseReason, effects: Effect[]): void {
    this.forget(lease);
    const c = this.calcs.get(lease.calculationId);
    if (!c) return;
    c.leaseIds.delete(lease.leaseId);
    if (lease.purpose === 'verify') c.dropCheckLease(lease.chunkIndex, lease.leaseId);
    else {
      // Every chunk of a span not committed (and not held by another lease) goes back: one `released` each.
      const end = lease.chunkIndex + lease.chunkCount;
      this.releaseChunks(c, lease.chunkIndex, end, (index) => c.dropLease(index, lease.leaseId), reason, effects);
    }
    this.touch(c);
  }

  /** Chunks from..end-1 for which `sendBack` put the chunk back in the queue: one `released` each, counted. */
  private releaseChunks(
    c: CalculationRuntime,
    from: number,
    end: number,
    sendBack: (index: number) => boolean,
    reason: ReleaseReason,
    effects: Effect[],
  ): void {
    let released = 0;
    for (let i = from; i < end; i++) {
      if (!sendBack(i)) continue;
      released += 1;
      effects.push({ type: 'released', calculationId: c.rec.id, chunkIndex: i, reason });
    }
    if (released > 0) {
      c.rec.chunksReleased += released;
      effects.push({ type: 'calculation', calculation: { ...c.rec } });
      this.touch(c);
    }
  }

  /** After a chunk changed: the calculation completes when every chunk is committed and every check settled. */
  private progressed(c: CalculationRuntime, now: number, effects: Effect[]): void {
    if (c.isDone()) this.finish(c, 'completed', now, effects);
    else {
      this.touch(c);
      if (this.spanResult) this.spanProgressed = true;
      else effects.push({ type: 'calculation', calculation: { ...c.rec } });
    }
  }

  /** Re-files a calculation in the fair-share heap and the waiting-checks set after its chunks changed. */
  private touch(c: CalculationRuntime): void {
    if (!this.calcs.has(c.rec.id)) return;
    const heap = this.backlogged[c.rec.mode];
    if (c.backlog() > 0) heap.upsert(c);
    else heap.remove(c);
    if (c.hasChecksWaiting()) this.checksWaiting.add(c);
    else this.checksWaiting.delete(c);
  }

  /** Credits are earned per identity: every stream of that worker can use the new credit. */
  private reward(w: Connection): void {
    this.spanRewards += 1;
    this.registry.rewarded(w, this.lastNow, !this.spanResult);
    for (const same of this.registry.withWorkerId(w.workerId)) if (same.key === w.key) this.registry.refresh(same, this.lastNow);
  }

  private finish(
    c: CalculationRuntime,
    status: 'completed' | 'failed' | 'cancelled',
    now: number,
    effects: Effect[],
    error?: { code: string; message: string },
  ): void {
    const typical = c.typicalChunkMs();
    if (c.rec.mode === 'distributed' && typical !== undefined && c.pointsOf(0) > 0) this.recentMsPerPoint = typical / c.pointsOf(0);
    c.rec.status = status;
    c.rec.finishedAtMs = now;
    c.rec.error = error?.message ?? null;
    c.rec.errorCode = error?.code ?? null;
    const reason: RevokeReason = status === 'cancelled' ? 'CANCELLED' : 'CALCULATION_ENDED';
    const byConn = new Map<string, string[]>();
    for (const id of c.leaseIds) {
      const lease = this.leases.get(id)!;
      const list = byConn.get(lease.connId) ?? [];
      list.push(id);
      byConn.set(lease.connId, list);
      this.forget(lease);
    }
    for (const [connId, leaseIds] of byConn) effects.push({ type: 'revoke', connId, leaseIds, reason });
    c.leaseIds.clear();
    this.calcs.delete(c.rec.id);
    this.backlogged[c.rec.mode].remove(c);
    this.checksWaiting.delete(c);
    effects.push({ type: 'calculation', calculation: { ...c.rec } });
  }

  // ---- status -------------------------------------------------------------------------------------------------

  snapshot(now: number): PoolSnapshot {
    const workers: WorkerSnapshot[] = [...this.registry.connections.values()].map((w) => ({
      connId: w.connId,
      workerId: w.workerId,
      instanceId: w.instanceId,
      address: w.address,
      kind: w.kind,
      capacity: w.capacity,
      credits: this.registry.credits(w),
      inFlight: w.leases.size,
      state: this.registry.state(w, now),
      chunksCompleted: w.chunksCompleted,
      chunksVerified: w.trust.verified,
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
      quarantined: this.registry.quarantined(),
    };
  }

  /** Leases a worker holds (for tests and drain). */
  leasesOf(connId: string): readonly string[] {
    return [...(this.registry.get(connId)?.leases ?? [])];
  }

  /**
   * A lease's span: one chunk unless it is a primary or backup lease of a remote worker that accepts spans, at most
   * maxSpanChunks (a backup copies its original's), inside its calculation, every chunk of the same points, and every
   * chunk of it not committed indexed to it.
   */
  private spanViolations(lease: Lease, w: Connection | undefined): string[] {
    const out: string[] = [];
    const n = lease.chunkCount;
    if (!Number.isSafeInteger(n) || n < 1) return [`lease ${lease.leaseId} covers ${n} chunks`];
    if (n === 1) return out;
    if (lease.purpose === 'verify') out.push(`verify lease ${lease.leaseId} covers ${n} chunks`);
    if (w && !w.acceptsSpans) out.push(`lease ${lease.leaseId} of ${n} chunks went to ${w.connId}, which does not accept spans`);
    if (n > this.opts.maxSpanChunks) out.push(`lease ${lease.leaseId} covers ${n} chunks, over maxSpanChunks`);
    const c = this.calcs.get(lease.calculationId);
    if (!c) return out;
    if (lease.chunkIndex + n > c.rec.chunkCount) out.push(`lease ${lease.leaseId} runs past the last chunk of ${c.rec.id}`);
    for (let i = lease.chunkIndex; i < lease.chunkIndex + n; i++) {
      if (c.pointsOf(i) !== lease.points) out.push(`lease ${lease.leaseId}: chunk ${i} has other points than the span`);
      if (!c.committed.has(i) && !c.leasesOfChunk(i).includes(lease.leaseId))
        out.push(`lease ${lease.leaseId}: chunk ${i} of its span is neither committed nor indexed to it`);
    }
    return out;
  }

  /**
   * The scheduler's invariants, as a list of violations (empty when they hold). Tests call it after every step:
   * every chunk of an active calculation is committed, waiting to be leased, or held by a live lease; every lease
   * belongs to a connected stream; a pending check waits for a lease or has one; the counters match the chunks.
   */
  violations(): string[] {
    const out: string[] = [...this.registry.indexViolations(this.lastNow)];
    for (const lease of this.leases.values()) {
      if (lease.deadlineMs !== Number.POSITIVE_INFINITY && !this.deadlines.has(lease))
        out.push(`lease ${lease.leaseId} has no deadline timer`);
      const c = this.calcs.get(lease.calculationId);
      if (c && !c.leaseIds.has(lease.leaseId)) out.push(`lease ${lease.leaseId} is missing from ${c.rec.id}'s lease set`);
    }
    for (const c of this.calcs.values()) {
      if (c.backlog() > 0 !== this.backlogged[c.rec.mode].has(c))
        out.push(`${c.rec.id}: fair-share index says backlog ${c.backlog() <= 0}`);
      if (c.hasChecksWaiting() !== this.checksWaiting.has(c)) out.push(`${c.rec.id}: waiting-checks index wrong`);
      for (const id of c.leaseIds) if (!this.leases.has(id)) out.push(`${c.rec.id}: lease set holds dead lease ${id}`);
    }
    for (const lease of this.leases.values()) {
      const w = this.registry.get(lease.connId);
      if (!w) out.push(`lease ${lease.leaseId} belongs to ${lease.connId}, which is not connected`);
      else if (!w.leases.has(lease.leaseId)) out.push(`lease ${lease.leaseId} is missing from ${lease.connId}'s set`);
      out.push(...this.spanViolations(lease, w));
    }
    for (const w of this.registry.connections.values()) {
      for (const id of w.leases) if (!this.leases.has(id)) out.push(`${w.connId} holds unknown lease ${id}`);
    }
    for (const c of this.calcs.values()) {
      const id = c.rec.id;
      let inside = 0;
      let pending = 0;
      for (let i = 0; i < c.rec.chunkCount; i++) {
        const e = c.committed.get(i);
        const leased = c.leasesOfChunk(i);
        for (const l of leased) {
          const lease = this.leases.get(l);
          if (!lease) out.push(`${id} chunk ${i}: lease ${l} is not live`);
          else if (i < lease.chunkIndex || i >= lease.chunkIndex + lease.chunkCount)
            out.push(`${id} chunk ${i}: indexed to lease ${l}, which does not cover it`);
        }
        if (e) {
          inside += e.inside;
          if (e.check !== 'none') {
            pending += 1;
            const v = c.verifying.get(i);
            if (!c.isCheckWaiting(i) && !(v && [...v].some((l) => this.leases.has(l))))
              out.push(`${id} chunk ${i}: check pending with no lease and not queued`);
          }
        } else if (leased.length === 0 && !c.isWaiting(i)) {
          out.push(`${id} chunk ${i}: neither committed, leased nor waiting`);
        }
        if (e && c.leased.has(i)) out.push(`${id} chunk ${i}: committed but still in the leased table`);
      }
      if (inside !== c.rec.inside) out.push(`${id}: inside ${c.rec.inside} != sum of chunks ${inside}`);
      if (c.committed.size !== c.rec.chunksDone) out.push(`${id}: chunksDone ${c.rec.chunksDone} != ${c.committed.size}`);
      if (pending !== c.pendingChecks()) out.push(`${id}: pending checks ${c.pendingChecks()} != ${pending}`);
      if (c.isDone()) out.push(`${id}: done but still active`);
    }
    return out;
  }
}
